// Secret references: where a credential lives, written in a spec or settings instead of the credential.
// Parsing is strict and happens when the spec loads, so a typo is a spec error with its place, not a failed
// run hours later; resolving (reading the value) happens only when a component needs it.
import { isAbsolute, normalize } from 'node:path';
import { SluiceError } from '../errors.ts';

/** The schemes Sluice resolves, each with the form its references take (shown in errors). */
export const SECRET_SCHEMES = {
  env: 'env://NAME',
  file: 'file:///run/secrets/name',
  vault: 'vault://mount/path#key',
  'aws-sm': 'aws-sm://name#key',
  sluice: 'sluice://name',
} as const;

export type SecretScheme = keyof typeof SECRET_SCHEMES;

/** A parsed reference. `text` is the reference as written: safe to show, log and put in errors. */
export type SecretReference =
  | { scheme: 'env'; text: string; name: string }
  | { scheme: 'file'; text: string; path: string }
  /** A key of a HashiCorp Vault KV v2 secret: GET /v1/<mount>/data/<path>, field <key>. */
  | { scheme: 'vault'; text: string; mount: string; path: string; key: string }
  /** An AWS Secrets Manager secret (a name or ARN); with `key`, one field of its JSON SecretString. */
  | { scheme: 'aws-sm'; text: string; secretId: string; key?: string }
  /** A secret of Sluice's built-in store. */
  | { scheme: 'sluice'; text: string; name: string };

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A built-in store name: lower-case words with dots, dashes, underscores and slashes between them. */
export const STORE_NAME = /^[a-z0-9](?:[a-z0-9._/-]{0,126}[a-z0-9])?$/;
const VAULT_SEGMENT = /^[A-Za-z0-9._-]+$/;
const FIELD_KEY = /^[A-Za-z0-9._-]{1,128}$/;
// AWS: "The name can contain ASCII letters, numbers, and the following characters: /_+=.@-" (CreateSecret);
// an ARN adds colons. Up to 2048 characters for an ARN.
const AWS_SECRET_ID = /^(?:arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:)?[A-Za-z0-9/_+=.@-]{1,512}$/;

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//;

/** Whether `text` is written as a reference (scheme://…), valid or not: a value that is not must not go where a credential goes. */
export function looksLikeReference(text: string): boolean {
  return SCHEME.test(text);
}

function invalid(text: string, problem: string, scheme?: SecretScheme): SluiceError {
  const form = scheme ? ` Write it as ${SECRET_SCHEMES[scheme]}.` : '';
  return new SluiceError('SLUICE_SECRET_REFERENCE', `the secret reference '${text}' ${problem}.${form}`);
}

/**
 * Parses a reference or throws SLUICE_SECRET_REFERENCE naming the reference and the form it should take. The
 * reference itself is not a secret (it says where one is), so it may be quoted.
 */
export function parseSecretReference(text: string): SecretReference {
  const scheme = SCHEME.exec(text)?.[1];
  if (scheme === undefined) {
    throw new SluiceError('SLUICE_SECRET_REFERENCE', `a secret reference is expected here (one of ${Object.values(SECRET_SCHEMES).join(', ')}), not a literal value`);
  }
  const rest = text.slice(scheme.length + 3);
  switch (scheme) {
    case 'env':
      if (!ENV_NAME.test(rest)) throw invalid(text, 'does not name an environment variable (letters, digits and _)', 'env');
      return { scheme, text, name: rest };
    case 'file': {
      // file:///run/secrets/x: the authority is empty and the path absolute. Relative paths would depend on
      // the working folder the process happens to start in.
      if (!rest.startsWith('/') || !isAbsolute(rest)) throw invalid(text, 'does not hold an absolute path', 'file');
      if (normalize(rest) !== rest || rest.endsWith('/')) throw invalid(text, 'holds a path with ./, ../, // or a trailing /', 'file');
      if (/[?#]/.test(rest)) throw invalid(text, 'holds ? or #, which file references do not take', 'file');
      return { scheme, text, path: rest };
    }
    case 'vault': {
      const hash = rest.indexOf('#');
      if (hash < 0) throw invalid(text, 'names no key: a KV secret is a map, so say which key (#key)', 'vault');
      const segments = rest.slice(0, hash).split('/');
      const key = rest.slice(hash + 1);
      // '.' and '..' would make the request URL name another path (another mount, or sys/).
      if (segments.length < 2 || !segments.every((s) => VAULT_SEGMENT.test(s) && s !== '.' && s !== '..')) throw invalid(text, 'needs a mount and a path of plain segments (no . or ..)', 'vault');
      if (!FIELD_KEY.test(key)) throw invalid(text, `has a key '${key}' that is empty or holds characters other than letters, digits, '.', '_' and '-'`, 'vault');
      return { scheme, text, mount: segments[0]!, path: segments.slice(1).join('/'), key };
    }
    case 'aws-sm': {
      const hash = rest.indexOf('#');
      const secretId = hash < 0 ? rest : rest.slice(0, hash);
      const key = hash < 0 ? undefined : rest.slice(hash + 1);
      if (!AWS_SECRET_ID.test(secretId)) throw invalid(text, 'does not hold a Secrets Manager name (letters, digits and /_+=.@-) or ARN', 'aws-sm');
      if (key !== undefined && !FIELD_KEY.test(key)) throw invalid(text, `has a key '${key}' that is empty or holds characters other than letters, digits, '.', '_' and '-'`, 'aws-sm');
      return { scheme, text, secretId, ...(key !== undefined ? { key } : {}) };
    }
    case 'sluice':
      if (!STORE_NAME.test(rest)) throw invalid(text, 'does not hold a store name (lower-case letters, digits and ._/- inside, up to 128)', 'sluice');
      return { scheme, text, name: rest };
    default:
      // Not quoted whole: 'https://user:password@host' is a literal credential, not a reference.
      throw new SluiceError('SLUICE_SECRET_REFERENCE', `a secret reference has the unknown scheme '${scheme}://'. Sluice resolves ${Object.values(SECRET_SCHEMES).join(', ')}.`);
  }
}
