// The secret scanner's rules described for people: a title and a description per rule id, its family, and where
// the format is documented. Reports (text, JSON, SARIF rule descriptors) and plan findings all name rules
// through this one table.
import type { SecretFamily } from './secret-match.ts';
import { ANCHOR_RULES, RULE_FAMILIES, TOKEN_RULES } from './scan.ts';

export interface SecretRuleInfo {
  id: string;
  family: SecretFamily;
  /** A noun phrase: `AWS access key ID`, `Password in a URL`. */
  title: string;
  /** One or two sentences on what the rule finds. */
  description: string;
  /** Where the format is documented, for provider rules. */
  sources: readonly string[];
}

/** What each family holds, for descriptions. */
const FAMILY_TEXT: Record<SecretFamily, string> = {
  cloud: 'a cloud or infrastructure provider credential',
  'vcs-ci': 'a source hosting, package registry or CI/CD token',
  payment: 'a payment or commerce API credential',
  chat: 'a messaging, e-mail or webhook credential',
  ai: 'an AI service API key',
  saas: 'a SaaS API credential',
  'private-key': 'a private key',
  jwt: 'a JSON Web Token (a bearer credential while it is valid)',
  'url-credential': 'a password carried by a connection string or command line',
  generic: 'a credential assigned to a credential-like name',
};

/** Rules whose id does not read well as a title, with what they find. */
const DESCRIBED: Record<string, { title: string; description: string }> = {
  'generic-secret': {
    title: 'Secret assigned to a credential name',
    description: 'A random-looking value assigned to a name such as password, token, api_key or client_secret (in code, config, env files, XML or a command-line flag).',
  },
  'kubernetes-secret': {
    title: 'Kubernetes Secret value',
    description: 'A value under data (base64) or stringData of a Kubernetes Secret manifest: base64 is an encoding, not protection.',
  },
  'url-password': { title: 'Password in a URL', description: 'The password of a URL with user information (RFC 3986 §3.2.1: scheme://user:password@host), as in database and broker connection strings.' },
  'curl-user-password': { title: 'Password in a curl command', description: 'The credentials given to curl with -u or --user.' },
  'private-key': { title: 'Private key', description: 'A PEM-armoured private key block (RFC 7468: PKCS #1, PKCS #8, SEC 1, OpenSSH; RFC 4880 PGP).' },
  'putty-private-key': { title: 'PuTTY private key', description: 'The private part of a PuTTY .ppk key file.' },
  jwt: { title: 'JSON Web Token', description: 'A signed or encrypted JSON Web Token (RFC 7519); whoever holds it can use it until it expires.' },
  'jwt-base64': { title: 'Base64-encoded JSON Web Token', description: 'A JSON Web Token wrapped once more in base64, as Kubernetes Secrets and config blobs hold them.' },
};

/** Words of rule ids written in capitals. */
const ACRONYMS = new Set(['aws', 'gcp', 'api', 'id', 'ca', 'ad', 'pat', 'url', 'ci', 'jwt', 'ssh', 'sso']);
/** Words of rule ids with their own spelling. */
const SPELLED: Record<string, string> = {
  github: 'GitHub', gitlab: 'GitLab', openai: 'OpenAI', digitalocean: 'DigitalOcean', pypi: 'PyPI', rubygems: 'RubyGems', npm: 'npm', sendgrid: 'SendGrid',
  huggingface: 'Hugging Face', xai: 'xAI', sonarqube: 'SonarQube', planetscale: 'PlanetScale', clickhouse: 'ClickHouse', flyio: 'Fly.io', langsmith: 'LangSmith',
  '1password': '1Password', openshift: 'OpenShift', frameio: 'Frame.io', settlemint: 'SettleMint', gocardless: 'GoCardless', easypost: 'EasyPost', mailchimp: 'Mailchimp',
};

/** `aws-access-key-id` → `AWS access key ID`. */
function titleOf(id: string): string {
  const words = id.split('-').map((w) => SPELLED[w] ?? (ACRONYMS.has(w) ? w.toUpperCase() : w));
  const first = words[0] ?? id;
  words[0] = first.charAt(0).toUpperCase() + first.slice(1);
  return words.join(' ');
}

/** Every source a rule id's table entries cite. */
const SOURCES = new Map<string, string[]>();
for (const rule of [...TOKEN_RULES, ...ANCHOR_RULES]) {
  const list = SOURCES.get(rule.id) ?? [];
  if (!list.includes(rule.source)) list.push(rule.source);
  SOURCES.set(rule.id, list);
}

function describe(id: string, family: SecretFamily): SecretRuleInfo {
  const known = DESCRIBED[id];
  const sources = SOURCES.get(id) ?? [];
  if (known !== undefined) return { id, family, ...known, sources };
  const title = titleOf(id);
  return { id, family, title, description: `${title}: ${FAMILY_TEXT[family]}, recognised by its documented format.`, sources };
}

/** Every rule the scanner reports, sorted by id. */
export const SECRET_RULES: readonly SecretRuleInfo[] = [...RULE_FAMILIES]
  .map(([id, family]) => describe(id, family))
  .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

const BY_ID = new Map(SECRET_RULES.map((r) => [r.id, r]));

/** The description of a rule id (an id the catalogue lacks is described as a generic credential). */
export function secretRule(id: string): SecretRuleInfo {
  return BY_ID.get(id) ?? describe(id, 'generic');
}

/** The fix every secret finding shares. */
export const SECRET_FIX = 'replace it with a secret reference (env://, file://, vault://, aws-sm:// or sluice://)';

/** What a finding says: the rule's title, and that the value is written in clear. */
export function secretMessage(id: string): string {
  return `${secretRule(id).title} written in clear text`;
}
