// Judges the name a value is assigned to (`client_secret`, `GITHUB_TOKEN`, `apiKey`, `<jiraToken>`): whether it
// names a credential, how strongly, and whether a word around the credential word says it is something else
// (`token_url`, `secret_name`, `public_key`, `csrf_token`, `credentialsId`).

/** How strongly a key names a credential: 0 not at all, 1 a weak word (`key`, `auth`), 2 an unambiguous one. */
export type KeyStrength = 0 | 1 | 2;

export interface KeyVerdict {
  strength: KeyStrength;
  /** The name says the value is an HTTP credential (`Authorization`), which may carry a scheme word. */
  authorization: boolean;
  /** The name says the value is a password (human-chosen: lower entropy is normal). */
  password: boolean;
}

/** Words that, at the end of a word, make it a credential: `token`, `githubtoken`, `clientsecret`, `passwd`. */
const STRONG_ENDINGS = ['token', 'tokens', 'secret', 'secrets', 'password', 'passwords', 'passwd', 'passphrase', 'pwd', 'apikey', 'apikeys', 'credential', 'credentials', 'creds', 'privatekey', 'accesskey', 'secretkey', 'authkey', 'signingkey', 'masterkey', 'encryptionkey', 'licensekey', 'sessionkey', 'clientkey', 'appkey', 'adminkey', 'serviceaccountkey', 'authorization', 'bearer', 'jwt', 'pat', 'psk'];

/** Words that name a credential only weakly: many keys, auths and logins are not secrets. */
const WEAK_WORDS = new Set(['key', 'keys', 'auth', 'pass', 'login', 'cred', 'access', 'api']);

/** A word before `key` that makes the pair an unambiguous credential name (`api_key`, `private-key`). */
const KEY_QUALIFIERS = new Set(['api', 'access', 'secret', 'private', 'client', 'master', 'encryption', 'signing', 'license', 'licence', 'auth', 'app', 'application', 'service', 'account', 'admin', 'root', 'subscription', 'consumer', 'server', 'write', 'read', 'deploy', 'sas', 'shared', 'storage', 'hmac', 'webhook', 'session', 'sign', 'crypt', 'cipher', 'aes', 'token', 'user', 'integration', 'ingest', 'insert', 'personal', 'management', 'dev', 'prod', 'live', 'test']);

/** Words after the credential word that make the value something else: its name, location, size or kind. */
const NOT_SECRET_AFTER = new Set([
  'id', 'ids', 'name', 'names', 'url', 'urls', 'uri', 'uris', 'endpoint', 'endpoints', 'host', 'hostname', 'domain', 'file', 'files', 'filename', 'path', 'paths', 'dir', 'directory',
  'size', 'length', 'len', 'bits', 'type', 'types', 'version', 'count', 'num', 'number', 'mode', 'format', 'prefix', 'suffix', 'field', 'fields', 'label', 'ref', 'refs', 'reference',
  'policy', 'arn', 'enabled', 'enable', 'disabled', 'required', 'expiry', 'expires', 'expiration', 'expire', 'ttl', 'timeout', 'lifetime', 'algorithm', 'alg', 'kind', 'region',
  'scope', 'scopes', 'hint', 'template', 'provider', 'env', 'var', 'variable', 'header', 'param', 'parameter', 'query', 'selector', 'pair', 'press', 'pressed', 'store',
  'storetype', 'vault', 'ring', 'board', 'frame', 'word', 'stone', 'alias', 'index', 'idx', 'column', 'table', 'min', 'max', 'regex', 'pattern', 'placeholder', 'sample',
  'example', 'chars', 'charset', 'alphabet', 'str', 'class', 'method', 'location', 'source', 'manager', 'service', 'status', 'state', 'key', 'keys', 'hash', 'digest', 'fingerprint', 'usage', 'rotation', 'created', 'updated', 'at', 'date', 'time', 'timestamp', 'owner', 'user', 'username', 'email', 'description', 'desc', 'help', 'message', 'msg', 'error', 'title', 'text', 'label', 'position', 'pos', 'offset', 'start', 'end', 'tab', 'code', 'generator', 'validator', 'parser', 'encoder', 'decoder', 'helper', 'util', 'utils', 'list', 'map', 'set', 'count', 'field', 'input', 'output', 'length', 'spec', 'config', 'settings', 'options',
  'info', 'with', 'from', 'to', 'by', 'client', 'command', 'request', 'response', 'handler', 'factory', 'builder', 'interface', 'schema', 'model',
  'validator', 'oid', 'parameters', 'params', 'props', 'event', 'events', 'callback', 'listener', 'promise', 'result', 'exception',
]);

/** Words just before the credential word that make it a non-secret of the same name. */
const NOT_SECRET_BEFORE = new Set([
  'public', 'pub', 'csrf', 'xsrf', 'next', 'page', 'continuation', 'cancellation', 'cancel', 'sync', 'primary', 'foreign', 'sort', 'partition', 'cache', 'bucket', 'schema', 'sequence',
  'idempotency', 'unique', 'row', 'object', 'map', 'dict', 'lookup', 'translation', 'i18n', 'message', 'label', 'max', 'min', 'no', 'num', 'hot', 'natural', 'composite', 'surrogate',
  'sorting', 'grouping', 'group', 'routing', 'shard', 'hash', 'cursor', 'pagination', 'paging', 'resume', 'entity', 'item', 'record', 'field', 'column', 'primary', 'ssh', 'gpg', 'pgp', 'host',
  'react', 'list', 'dom', 'registry', 'event', 'lexer', 'parser', 'syntax', 'ast', 'jwks', 'well', 'test', 'fake', 'mock', 'dummy', 'example', 'sample', 'placeholder', 'default', 'empty',
  // Anti-forgery tokens are per-session nonces written into pages (Rails authenticity_token, ASP.NET
  // __RequestVerificationToken), not credentials.
  'authenticity', 'verification', 'antiforgery', 'forgery', 'nonce', 'state',
]);

/** Words that may follow the credential word without changing what it names (`token_value`, `secret_b64`). */
const SAME_THING_AFTER = new Set(['value', 'val', 'str', 'string', 'b64', 'base64', 'hex', 'raw', 'enc', 'encoded', 'plain', 'plaintext', 'prod', 'production', 'dev', 'development', 'test', 'staging', 'stage', 'live', 'sandbox', 'new', 'old', 'current', 'primary', 'secondary', 'main', 'backup', 'v', 'ro', 'rw', 'data', 'here', 'for', 'of']);

/** Splits an identifier into lower-case words at separators, camelCase humps and letter/digit changes. */
export function keyWords(key: string): string[] {
  const words: string[] = [];
  let start = -1;
  const flush = (end: number): void => {
    if (start >= 0) words.push(key.slice(start, end).toLowerCase());
    start = -1;
  };
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    const upper = c >= 65 && c <= 90;
    const lower = c >= 97 && c <= 122;
    if (!upper && !lower) {
      flush(i);
      continue;
    }
    if (start >= 0 && upper) {
      const prev = key.charCodeAt(i - 1);
      const next = key.charCodeAt(i + 1);
      // aB starts a word at B; ABc starts one at B (the end of an acronym).
      if ((prev >= 97 && prev <= 122) || (prev >= 65 && prev <= 90 && next >= 97 && next <= 122)) flush(i);
    }
    if (start < 0) start = i;
  }
  flush(key.length);
  return words;
}

const NONE: KeyVerdict = { strength: 0, authorization: false, password: false };

/** A cheap test every credential key passes: one of the credential words' stems, in any case. */
const CREDENTIAL_STEM = /tok|secr|pass|pwd|key|auth|cred|login|acc|api|bear|jwt|pat|psk|priv/i;

/** Judges a key name. */
export function judgeKey(key: string): KeyVerdict {
  if (!CREDENTIAL_STEM.test(key)) return NONE;
  const words = keyWords(key);
  let at = -1;
  let strength: KeyStrength = 0;
  for (let i = words.length - 1; i >= 0; i--) {
    const w = words[i]!;
    const ending = STRONG_ENDINGS.find((e) => w.endsWith(e) && (w.length === e.length || e.length >= 5));
    if (ending !== undefined) {
      // `csrftoken`, `nexttoken`, `publickey`: the same qualifiers, written as one word.
      if (NOT_SECRET_BEFORE.has(w.slice(0, w.length - ending.length))) return NONE;
      at = i;
      strength = 2;
      break;
    }
    if (WEAK_WORDS.has(w)) {
      at = i;
      strength = w === 'key' || w === 'keys' ? (i > 0 && KEY_QUALIFIERS.has(words[i - 1]!) ? 2 : 1) : 1;
      break;
    }
  }
  if (at < 0) return NONE;
  for (let j = at + 1; j < words.length; j++) {
    const after = words[j]!;
    if (NOT_SECRET_AFTER.has(after)) return NONE;
    // A weak word names the value only at the end of the key (`key`, not `key_down_event`), give or take words
    // that change nothing (`key_value`); a strong one unless a word after it names something else.
    if (strength === 1 && !SAME_THING_AFTER.has(after)) return NONE;
  }
  if (at > 0 && NOT_SECRET_BEFORE.has(words[at - 1]!)) return NONE;
  const w = words[at]!;
  // `access` and `api` alone name a credential only as part of a pair the loop above already caught.
  if ((w === 'access' || w === 'api') && at === words.length - 1) strength = 1;
  return {
    strength,
    authorization: w === 'authorization' || w === 'auth' || w === 'bearer',
    password: /pass|pwd/.test(w),
  };
}

/**
 * Services whose name, in a key, marks the value as that service's credential (`sonar.login`, `cloudflare:`),
 * a weak signal the value's own randomness must back up.
 */
const SERVICE_NAMES = /adafruit|adobe|airtable|algolia|alibaba|aliyun|anthropic|artifactory|asana|atlassian|jira|confluence|auth0|azure|beamer|bitbucket|bittrex|circleci|clickhouse|cloudflare|codecov|cohere|coinbase|confluent|contentful|databricks|datadog|digitalocean|discord|doppler|droneci|dropbox|dynatrace|easypost|etsy|facebook|fastly|finicity|finnhub|flickr|flutterwave|freshbooks|github|gitlab|gitter|gocardless|grafana|heroku|hubspot|huggingface|intercom|jfrog|kraken|kucoin|launchdarkly|linear|linkedin|mailchimp|mailgun|mapbox|mattermost|meraki|messagebird|netlify|newrelic|nytimes|okta|openai|pagerduty|plaid|postman|pulumi|rapidapi|sendbird|sendgrid|sentry|shopify|slack|snyk|sonar|sourcegraph|squarespace|stripe|sumologic|telegram|travis|twilio|twitch|twitter|typeform|vercel|yandex|zendesk/i;

const SERVICE_NAMES_ALL = new RegExp(SERVICE_NAMES.source, 'gi');
const KEY_HINT = new RegExp(`${CREDENTIAL_STEM.source}|${SERVICE_NAMES.source}|^BUNDLE_`, 'i');

export function namesService(key: string): boolean {
  if (!SERVICE_NAMES.test(key)) return false;
  // Match whole words only (`SetSysctl` is not Etsy, `rookTable` not Okta): test the service names against the
  // words joined, and keep a hit only where it starts and ends on word boundaries.
  const words = keyWords(key);
  if (words.length === 0) return false;
  const joined = words.join('');
  const bounds = new Set<number>([0]);
  let at = 0;
  for (const w of words) bounds.add((at += w.length));
  SERVICE_NAMES_ALL.lastIndex = 0;
  for (let m = SERVICE_NAMES_ALL.exec(joined); m !== null; m = SERVICE_NAMES_ALL.exec(joined)) {
    if (bounds.has(m.index) && bounds.has(m.index + m[0].length)) return true;
    SERVICE_NAMES_ALL.lastIndex = m.index + 1;
  }
  return false;
}

/** What a key name says: its credential verdict and whether it names a service. */
export interface KeyClass {
  verdict: KeyVerdict;
  service: boolean;
}

const NOTHING: KeyClass = { verdict: NONE, service: false };

/** Judged names, memoized: records repeat their field names, so most look-ups are hits. Cleared when full. */
const judged = new Map<string, KeyClass>();
const MAX_JUDGED = 4096;

/** Classifies a key name (cheaply rejecting names with no credential or service word in them). */
export function classifyKey(name: string): KeyClass {
  const known = judged.get(name);
  if (known !== undefined) return known;
  const result: KeyClass = KEY_HINT.test(name) ? { verdict: judgeKey(name), service: namesService(name) } : NOTHING;
  if (judged.size >= MAX_JUDGED) judged.clear();
  judged.set(name, result);
  return result;
}
