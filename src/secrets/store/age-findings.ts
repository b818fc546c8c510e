// Findings about the built-in secret store for `sluice check`: secrets older than their max age.
import type { Finding } from '../../plan/findings.ts';
import { isOverdue } from './builtin-store.ts';
import type { SecretRecord } from './secret-record-store.ts';

const DAY_MS = 86_400_000;

export function secretAgeFindings(records: readonly SecretRecord[], stateFile: string, now: Date = new Date()): Finding[] {
  return records
    .filter((record) => isOverdue(record, now))
    .map((record) => ({
      rule: 'SLC202' as const,
      severity: 'warning' as const,
      message: `stored secret '${record.name}' was set ${Math.floor((now.getTime() - Date.parse(record.rotatedAt)) / DAY_MS)} days ago; its max age is ${record.maxAgeDays} days`,
      location: { file: stateFile },
      fix: `run 'sluice secrets rotate ${record.name}' (and update it where it is used, if Sluice does not own it)`,
    }));
}
