// Recognises values that stand in for a secret rather than being one: template references (`${VAR}`,
// `{{ .Values.x }}`, `$(cat f)`, `%VAR%`, `<your-token>`), masks (`xxxx`, `****`), documentation words
// (`changeme`, `example`, `your_token_here`) and alphabet listings.
import type { ValueStats } from './entropy.ts';
import { measure } from './entropy.ts';
import { isSecretReference } from './references.ts';

/** Words that mark a documentation or test value, wherever they appear in it. */
const PLACEHOLDER_WORDS = /changeme|change_me|change-me|changeit|example|placeholder|your[_-]?(?:own[_-]?)?(?:api|access|secret|token|key|pass|client|app)|yourtoken|yourkey|_here\b|[-_]here$|insert[_-]|replace[_-]?me|redacted|dummy|sample|not[_-]?a[_-]?real|lorem|ipsum|\bfoo\b|foobar/i;

/** Whole values that are words or test values, not secrets. */
const PLACEHOLDER_VALUES = /^(?:test|tests|testing|test\d{1,4}|testtest|password\d{0,4}|passwd|secret\d{0,4}|token|apikey|api_key|admin\d{0,4}|root|default|none|null|nil|undefined|empty|string|value|true|false|xxx+|abc\d*|abcdef|qwerty\d*|letmein|welcome\d*|hunter2|pass\d{0,4}|pa\$\$w0rd|p@ssw0rd|p@ssword|demo|fake|mock|todo|tbd|n\/a|na)$/i;

/** Template and variable references: the value names where the secret comes from. */
const TEMPLATE = /\$\{|\{\{|\}\}|\$\(|#\{|<%|%>|^\$[A-Za-z_][A-Za-z0-9_]*$|^%[A-Za-z_][A-Za-z0-9_]*%$|^@[A-Za-z_][A-Za-z0-9_]*@$|^\{[A-Za-z_][A-Za-z0-9_.]*\}$|^<[^<>]*>$|^\[[^[\]]*\]$|^%[sdv]$|^\{\d{0,2}\}$|^env\(|^process\.env|^os\.(?:environ|getenv)|getenv\(|^vault:|^secret:|^ENC\[|^arn:aws:/;

export function looksTemplated(value: string): boolean {
  return TEMPLATE.test(value);
}

/**
 * `xxxx`, `XXXX-XXXX`, `****`, `••••`, `....`, `####`, `0000`: a value dominated by one mask character or by mask
 * characters; or one with a run of six of them inside (`…HZwXZXXXXXXXXJnru…`), an edited example.
 */
export function looksMasked(value: string, stats: ValueStats = measure(value)): boolean {
  if (stats.longestMaskRun >= 4 && stats.maskCount * 2 >= stats.length) return true;
  return (stats.length >= 4 && stats.dominantShare >= 0.6) || stats.longestStrictMaskRun >= 6;
}

/** A word, delimited inside a value, that marks a test or documentation value (`hvs.test-double-7c1f`). */
const TEST_WORD = /(?:^|[-_.:/])(?:test|tests|testing|dummy|fake|mock|sample|example|demo|placeholder)(?:[-_.:/]|$)/i;

/** Whether bytes mostly count up or down by one (`00 01 02 03…`): test-vector keys, IVs and nonces. */
function countsBytes(bytes: ArrayLike<number>): boolean {
  if (bytes.length < 8) return false;
  let steps = 0;
  for (let i = 1; i < bytes.length; i++) if (Math.abs(bytes[i]! - bytes[i - 1]!) === 1) steps++;
  return steps * 4 >= (bytes.length - 1) * 3;
}

/**
 * Hex or base64 whose bytes count (`000102030405…`, `AAECAwQFBgcI…`): test-vector and documentation keys, not
 * secrets in use.
 */
export function isCountingBytes(value: string): boolean {
  if (value.length < 16) return false;
  if (value.length % 2 === 0 && /^[0-9a-fA-F]+$/.test(value)) return countsBytes(Buffer.from(value, 'hex'));
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(value) && value.length % 4 === 0) return countsBytes(Buffer.from(value, 'base64'));
  return false;
}

/** The pattern tests of `isPlaceholderValue`, as one regular expression (one pass over the value). */
const PLACEHOLDER = new RegExp([PLACEHOLDER_VALUES.source, TEMPLATE.source, PLACEHOLDER_WORDS.source, TEST_WORD.source].join('|'), 'i');

/** A free-form value (the right-hand side of `password = ...`) that is a placeholder, not a secret. */
export function isPlaceholderValue(value: string, stats: ValueStats = measure(value)): boolean {
  return stats.walkShare >= 0.5 || looksMasked(value, stats) || PLACEHOLDER.test(value) || isCountingBytes(value);
}

/**
 * Base64 that wraps a placeholder, a template or a secret reference (`Y2hhbmdlbWU=` is `changeme`), as Kubernetes
 * Secret data and encoded config values hold them. Only printable text is judged: random bytes are what keys
 * look like, and random base64 seldom decodes to printable text. Decoded structures are not judged whole.
 */
export function wrapsPlaceholder(value: string): boolean {
  if (value.length < 8 || value.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return false;
  const decoded = Buffer.from(value, 'base64').toString('latin1').replace(/\r?\n$/, '');
  // One value, not a structure: `{"auths":{"https://example…"}}` (a Docker config) is judged by what it holds.
  if (decoded === '' || !/^[\x21-\x7e]+$/.test(decoded) || /["']/.test(decoded)) return false;
  return (decoded.length <= 64 && isPlaceholderValue(decoded)) || isSecretReference(decoded);
}

/** Words that, inside a prefixed token, mark it as documentation (`sha256~XXXX_PUT_YOUR_TOKEN_HERE`). */
const TOKEN_PLACEHOLDER_WORDS = /EXAMPLE|example|YOUR_|_YOUR|your_|_HERE|_here|PLACEHOLDER|placeholder|REDACTED|redacted|\.\.\./;

/** The body of a prefixed token (what follows `ghp_`, `xoxb-`, …) that is a mask or a listing. */
export function isPlaceholderToken(body: string, stats: ValueStats = measure(body)): boolean {
  return stats.walkShare >= 0.5 || looksMasked(body, stats) || TOKEN_PLACEHOLDER_WORDS.test(body);
}
