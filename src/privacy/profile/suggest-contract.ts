// Turns column profiles into a proposed contract, as YAML to paste into a spec: a classification per column
// from the PII found in it, the PII category when one type dominates, and a scan step for free text.
import type { Classification } from '../../spec/classification.ts';
import { maxClassification } from '../../spec/classification.ts';
import { fieldNameSchema } from '../../spec/contract.ts';
import type { PiiCategory } from '../../spec/contract.ts';
import type { PiiType } from '../detect/detector.ts';
import type { ColumnProfile } from './column-profile.ts';

/** How sensitive each kind of finding makes a column; a column takes the highest of what it holds. */
const CLASS_OF: Record<PiiType, Classification> = {
  CREDIT_CARD: 'restricted',
  US_SSN: 'restricted',
  IBAN: 'restricted',
  CRYPTO: 'restricted',
  SECRET: 'restricted',
  EMAIL: 'confidential',
  PHONE: 'confidential',
  PERSON: 'confidential',
  DATE_OF_BIRTH: 'confidential',
  IP_ADDRESS: 'confidential',
  MAC_ADDRESS: 'confidential',
  URL: 'internal',
};

const CATEGORY_OF: Record<PiiType, PiiCategory> = {
  EMAIL: 'email',
  PHONE: 'phone',
  CREDIT_CARD: 'payment_card',
  US_SSN: 'ssn',
  IBAN: 'iban',
  IP_ADDRESS: 'ip_address',
  PERSON: 'person_name',
  DATE_OF_BIRTH: 'date_of_birth',
  SECRET: 'credentials',
  MAC_ADDRESS: 'other',
  URL: 'other',
  CRYPTO: 'other',
};

/** A type found in at least this share of a column's values makes it that kind of column (pii: email). */
const DOMINANT_SHARE = 0.8;

function percent(share: number): string {
  return `${(share * 100).toFixed(share < 0.1 ? 1 : 0)}%`;
}

/** The suggested classification of a column: the highest its findings call for; internal when none. */
export function suggestedClass(profile: ColumnProfile): Classification {
  // Data nobody has looked at is not public: internal is the floor of a suggestion.
  return profile.pii.reduce<Classification>((level, p) => maxClassification(level, CLASS_OF[p.type]), 'internal');
}

/** The YAML of a contract (with a scan step where free text holds PII), with comments giving the evidence. */
export function suggestContract(profiles: readonly ColumnProfile[], header: readonly string[]): string {
  const lines = header.map((h) => `# ${h}`);
  lines.push('contract:', '  fields:');
  const scanFields: string[] = [];
  const records = profiles.reduce((n, x) => Math.max(n, x.present), 0);
  for (const p of profiles) {
    const values = p.present - p.nulls;
    const valid = fieldNameSchema.safeParse(p.name).success;
    const evidence = p.pii.length > 0 ? p.pii.map((x) => `${x.type} in ${percent(x.share)}`).join(', ') + ` of ${values} values` : `no PII found in ${values} values`;
    if (!valid) {
      lines.push(`    # '${p.name.replace(/[\r\n]/g, ' ')}' is not a valid field name: rename it with a rename step first (${evidence})`);
      continue;
    }
    lines.push(`    ${p.name}:`, `      # ${evidence}${p.freeText ? '; free text' : ''}`);
    lines.push(`      type: ${p.type}`, `      class: ${suggestedClass(p)}`);
    const dominant = p.pii[0];
    if (dominant && dominant.share >= DOMINANT_SHARE) lines.push(`      pii: ${CATEGORY_OF[dominant.type]}`);
    else if (p.pii.length > 0) {
      lines.push('      pii: other');
      if (p.freeText) scanFields.push(p.name);
    }
    if (p.present < records) lines.push('      required: false');
    if (p.nulls > 0) lines.push('      nullable: true');
  }
  if (scanFields.length > 0) {
    lines.push('', '# These fields hold PII in some values only (free text): scan them before any sink.', 'steps:', '  - scan:', `      fields: [${scanFields.join(', ')}]`);
  }
  return lines.join('\n') + '\n';
}
