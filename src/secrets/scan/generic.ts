// The generic rule: a key-like name (`client_secret`, `GITHUB_TOKEN`, `<apiKey>`, `"Authorization"`) assigned a
// value — with `=`, `:`, `:=`, `=>`, `?=`, `.=`, a quoted `,` argument, or an XML element — that looks random
// enough and long enough to be a credential, and is not a placeholder, a reference or a piece of code.
import type { SecretMatch } from './secret-match.ts';
import { measure, randomness } from './entropy.ts';
import type { KeyVerdict } from './key-name.ts';
import { classifyKey, judgeKey } from './key-name.ts';
import { isPlaceholderValue, wrapsPlaceholder } from './placeholder.ts';
import { isBasicCredential } from './rules/url-credentials.ts';

export const GENERIC_RULE = 'generic-secret';

const MAX_KEY = 80;
const MAX_VALUE = 400;

const isQuote = (c: number): boolean => c === 34 || c === 39 || c === 96;
const isBlank = (c: number): boolean => c === 32 || c === 9;
/** Characters of a key name: identifiers, dotted and dashed names (`sonar.login`, `x-api-key`). */
const isKeyChar = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45 || c === 46;

/** Characters that end an unquoted value. */
function endsBareValue(c: number): boolean {
  return c <= 32 || isQuote(c) || c === 59 || c === 44 || c === 92 || c === 60 || c === 62 || c === 38 || c === 124 || c === 41 || c === 93 || c === 125 || c === 40 || c === 91 || c === 127;
}

const isWordCode = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;

interface KeyAt {
  start: number;
  end: number;
  quoted: boolean;
}

/** Reads the key whose last character (or closing quote) is at `k`, walking back a bounded distance. */
function readKey(text: string, k: number): KeyAt | undefined {
  let quoted = false;
  let c = text.charCodeAt(k);
  if (c === 93) {
    // os.environ['KEY'] = …, $config["key"] = …
    k--;
    c = text.charCodeAt(k);
  }
  if (isQuote(c)) {
    quoted = true;
    k--;
    if (text.charCodeAt(k) === 92) k--;
  }
  const end = k + 1;
  while (k >= 0 && end - k <= MAX_KEY && isKeyChar(text.charCodeAt(k))) k--;
  const start = k + 1;
  if (start >= end || end - start > MAX_KEY) return undefined;
  if (quoted) {
    let q = text.charCodeAt(start - 1);
    if (q === 92) q = text.charCodeAt(start - 2);
    if (!isQuote(q)) return undefined;
  }
  return { start, end, quoted };
}

interface ValueAt {
  start: number;
  end: number;
  quoted: boolean;
}

/** Reads the value starting at or after `from`. */
function readValue(text: string, from: number, acrossLines: boolean): ValueAt | undefined {
  let i = from;
  const limit = Math.min(text.length, from + (acrossLines ? 64 : 16));
  while (i < limit && (isBlank(text.charCodeAt(i)) || (acrossLines && (text.charCodeAt(i) === 10 || text.charCodeAt(i) === 13)))) i++;
  let c = text.charCodeAt(i);
  let quote = 0;
  let escaped = false;
  if (c === 92 && isQuote(text.charCodeAt(i + 1))) {
    quote = text.charCodeAt(i + 1);
    escaped = true;
    i += 2;
  } else if (isQuote(c)) {
    quote = c;
    i++;
  }
  const start = i;
  const max = Math.min(text.length, start + MAX_VALUE);
  if (quote !== 0) {
    for (; i < max; i++) {
      c = text.charCodeAt(i);
      if (c === 10 || c === 13) break;
      if (escaped ? c === 92 && text.charCodeAt(i + 1) === quote : c === quote) return { start, end: i, quoted: true };
    }
    // Unterminated: keep what reads as one token.
    let j = start;
    while (j < i && !endsBareValue(text.charCodeAt(j))) j++;
    return j > start ? { start, end: j, quoted: false } : undefined;
  }
  if (acrossLines) {
    // XML text content: up to the closing tag, blanks trimmed.
    while (i < max && text.charCodeAt(i) !== 60) i++;
    let e = i;
    while (e > start && text.charCodeAt(e - 1) <= 32) e--;
    return e > start ? { start, end: e, quoted: true } : undefined;
  }
  // An `=` before a word character starts the next assignment (`a=1&b=2`, `k=v=…`); base64 padding does not.
  while (i < max && !endsBareValue(text.charCodeAt(i)) && !(text.charCodeAt(i) === 61 && isWordCode(text.charCodeAt(i + 1)))) i++;
  // Nothing, or code: a call `getenv(…)`, an index `tokens[i]`, a type `Key[]`.
  if (i === start || text.charCodeAt(i) === 40 || text.charCodeAt(i) === 91) return undefined;
  return { start, end: i, quoted: false };
}

/** Type names that sit between a variable and its `=` in typed declarations. */
const TYPE_WORDS = /^(?:string|String|str|char|byte|bytes|\[\]byte|Text|text)$/;

/** HTTP authentication schemes (RFC 9110 §11, and the common `Token`/`Api-Token` variants). */
const SCHEME = /^(?:bearer|basic|token|api-token|apikey|api-key|digest|bot|oauth|jwt|sso-key|key|hmac|splunk|ssws|gentoken)$/i;

/**
 * One segment of a name in code: letters with at most a short number after them (`key_length`, `X25519`,
 * `Suite`, `AES256`), a number, or a camelCase name (`generatePkcs12Key`).
 */
function isIdentifierPart(p: string): boolean {
  return /^[A-Za-z]+[0-9]{0,3}$|^[0-9]+$/.test(p) || (/^[A-Za-z][A-Za-z0-9]*$/.test(p) && /[A-Z]/.test(p) && lowercaseRunShare(p, 3) >= 0.5);
}

/**
 * A value that is a reference in code rather than a literal: a dotted or optional-chained path of names
 * (`var.db_password`, `this.#options.token`, `result.groups?.password`, `Suite.ALG_AES256_GCM`) or a constant's
 * name (`ACCESS_TOKEN`).
 */
function isCodeReference(v: string): boolean {
  const path = v.split(/\??\./);
  const parts = path.flatMap((segment) => segment.replace(/^[#$]/, '').split('_')).filter((p) => p.length > 0);
  if (path.length < 2 && !/^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/.test(v)) return false;
  return parts.length > 0 && parts.every(isIdentifierPart);
}

/** A file name or path, not a secret. */
const PATH_LIKE = /^(?:\.{0,2}\/|~\/|[A-Za-z]:\\)|\.(?:pem|key|crt|cer|p12|pfx|jks|json|ya?ml|txt|env|pub|keytab|keystore|conf|cfg|ini|xml|properties)$/i;
/** Version strings and dates. */
const VERSION_OR_DATE = /^v?\d+(?:\.\d+){1,3}(?:[-+.][\w.-]*)?$|^\d{4}-\d{2}-\d{2}/;

/**
 * Splits a value at separators; when every piece is a plain word, a plain number, or a word with a short
 * number after it (`rc0`, `v8`), the value is a name or a version string (`rc0.15.0_20231217-SNAPSHOT`,
 * `cmp2-qat-1208358310`), not random.
 */
function isStructuredName(v: string): boolean {
  const parts = v.split(/[-_.:/=+~]+/).filter((p) => p.length > 0);
  if (parts.length < 2) return false;
  return parts.every((p) => /^[a-z]+[0-9]*$|^[A-Z]+[0-9]{0,2}$|^(?:[A-Z][a-z]+)+[0-9]{0,2}$|^[0-9]+$/.test(p));
}

/**
 * The share of a value in runs of `minRun` or more lower-case letters. camelCase names (`formatNationalNumber`,
 * `CleartextPassword1`, `OAuth2Client`) are mostly such runs; random mixed-case strings seldom hold one.
 */
function lowercaseRunShare(v: string, minRun = 4): number {
  let inRuns = 0;
  let run = 0;
  for (let i = 0; i <= v.length; i++) {
    const c = i < v.length ? v.charCodeAt(i) : 0;
    if (c >= 97 && c <= 122) run++;
    else {
      if (run >= minRun) inRuns += run;
      run = 0;
    }
  }
  return inRuns / v.length;
}

/** The confidence the value deserves under a key of this verdict, or 0. */
export function judgeValue(v: string, key: KeyVerdict, service: boolean, quoted: boolean): number {
  const strong = key.strength === 2 || (key.strength === 1 && service);
  const len = v.length;
  // Passwords are chosen by people and may be short; generated keys and tokens are not.
  if (len < (strong ? (key.password ? 8 : 12) : 16) || len > MAX_VALUE) return 0;
  // `{Name}`, `[name]`, `<name>`, `$NAME`, `%NAME%`: a reference, even when cut short.
  if (!quoted && /^[{[(<$%]/.test(v)) return 0;
  const stats = measure(v);
  const k = stats.classes;
  if (isPlaceholderValue(v, stats) || v.includes('://') || PATH_LIKE.test(v) || VERSION_OR_DATE.test(v) || wrapsPlaceholder(v)) return 0;
  // Unquoted, a dotted path or a camelCase name is code: `this.#options.token`, `OAuth2Client`.
  if (!quoted && (isCodeReference(v) || (k.lower && k.upper && /^[A-Za-z_$][\w$]*$/.test(v) && lowercaseRunShare(v) >= 0.4))) return 0;
  // Secrets are printable ASCII; quotes, brackets and non-ASCII text inside mean code or prose.
  if (/[^\x21-\x7e]|["'`()[\]{}<>]/.test(v)) return 0;
  const r = randomness(stats);
  if (/^[A-Za-z_-]+$/.test(v)) {
    // Letters only: words and identifiers, unless long, of both cases and random (base64 without digits).
    if (len < 24 || !(k.lower && k.upper) || r < 0.9 || lowercaseRunShare(v) >= 0.4) return 0;
  }
  if (k.digit && !k.lower && !k.upper && !k.other) {
    // Digits only: ids, timestamps and phone numbers mostly; only under a strong key and long.
    return key.strength === 2 && len >= 12 && r >= 0.8 ? 0.55 : 0;
  }
  if (isStructuredName(v) || (k.lower && k.upper && lowercaseRunShare(v) >= 0.6)) return 0;
  const floor = strong ? (key.password ? 0.6 : 0.7) : 0.85;
  if (r < floor || stats.entropy < (strong ? 2.5 : 3.2)) return 0;
  const base = strong ? 0.7 : 0.55;
  return Math.min(0.9, base + (r - floor) * 0.5 + (len >= 20 ? 0.05 : 0));
}

/**
 * Looks at the assignment whose operator is at `op` (`=`, `:`, `>`, `,`) and records the value when the key names
 * a credential and the value passes `judgeValue`.
 */
export function scanAssignment(text: string, op: number, out: SecretMatch[], tokens: readonly SecretMatch[] = []): void {
  const c = text.charCodeAt(op);
  const next = text.charCodeAt(op + 1);
  const prev = text.charCodeAt(op - 1);
  let valueFrom = op + 1;
  let k = op - 1;
  let xml = false;
  if (c === 61) {
    // = := ::= ?= .= += => ; not == != <= >=
    if (next === 61 || prev === 61 || prev === 33 || prev === 60 || prev === 62) return;
    if (next === 62) valueFrom++;
    let ops = 0;
    while (k >= 0 && ops < 3 && (text.charCodeAt(k) === 58 || text.charCodeAt(k) === 63 || text.charCodeAt(k) === 46 || text.charCodeAt(k) === 43)) {
      k--;
      ops++;
    }
  } else if (c === 58) {
    if (next === 58 || next === 61 || prev === 58 || (next === 47 && text.charCodeAt(op + 2) === 47)) return;
  } else if (c === 62) {
    if (prev === 61 || prev === 47 || prev === 45) return;
    xml = true;
  } else if (c === 44) {
    // Only a quoted first argument: setProperty("API_TOKEN", "…").
    let j = k;
    while (j >= 0 && op - j < 8 && isBlank(text.charCodeAt(j))) j--;
    if (!isQuote(text.charCodeAt(j))) return;
  } else return;
  while (k >= 0 && op - k < 16 && isBlank(text.charCodeAt(k))) k--;
  if (k < 0) return;
  let key = readKey(text, k);
  if (key === undefined) return;
  if (TYPE_WORDS.test(text.slice(key.start, key.end)) && !key.quoted) {
    // Go `var name string = …`, Kotlin `val name: String = …`: the name is before the type.
    let t = key.start - 1;
    while (t >= 0 && key.start - t < 8 && (isBlank(text.charCodeAt(t)) || text.charCodeAt(t) === 58)) t--;
    if (t < key.start - 1) {
      const named = readKey(text, t);
      if (named !== undefined && !named.quoted) key = named;
    }
  }
  if (xml && text.charCodeAt(key.start - 1) !== 60) return;
  if (c === 44 && !key.quoted) return;
  let name = text.slice(key.start, key.end);
  // Prose and headers name a credential in two words (`API key: …`, `Secret Key: …`, `GPG key: …`): take the
  // word before a one-word key into account.
  if (!key.quoted && text.charCodeAt(key.start - 1) === 32 && /^[A-Za-z]+$/.test(name)) {
    const before = /([A-Za-z]+) $/.exec(text.slice(Math.max(0, key.start - 24), key.start));
    if (before !== null) name = `${before[1]}_${name}`;
  }
  // <add key="ApiKey" value="…"/>: the key attribute names the value attribute that follows.
  if (/^value$/i.test(name)) name = attributeKeyBefore(text, key.start) ?? name;
  const { verdict, service } = classifyKey(name);
  const bundler = name.startsWith('BUNDLE_') && /^BUNDLE_[A-Z0-9_]+__[A-Z0-9_]+$/.test(name);
  if (verdict.strength === 0 && !service && !bundler) return;
  const value = readValue(text, valueFrom, xml);
  if (value === undefined) return;
  if (xml && !closesElement(text, value.end)) return;
  let { start, end } = value;
  let v = text.slice(start, end);
  // An authentication scheme before the credential: `Bearer …`, `Basic …`, `Token …`.
  // RFC 9110 §11.4: credentials = auth-scheme [ 1*SP token68 ]; the scheme is followed by a space.
  const space = v.search(/[ \t]/);
  const firstWord = space > 0 ? v.slice(0, space) : v;
  const schemeThenSpace = space > 0 || (!value.quoted && isBlank(text.charCodeAt(end)));
  if (schemeThenSpace && SCHEME.test(firstWord)) {
    let s = space > 0 ? start + space : end;
    while (s < text.length && isBlank(text.charCodeAt(s))) s++;
    let e = s;
    while (e < text.length && e - s < MAX_VALUE && !endsBareValue(text.charCodeAt(e))) e++;
    if (value.quoted && e > end) e = end;
    if (e <= s) return;
    const credential = text.slice(s, e);
    if (/^basic$/i.test(firstWord) && isBasicCredential(credential) && !isPlaceholderValue(credential)) {
      out.push({ rule: GENERIC_RULE, start: s, end: e, confidence: 0.85 });
      return;
    }
    start = s;
    end = e;
    v = credential;
  } else if (/[ \t]/.test(v)) return;
  // The argument form is a call, `setProperty("API_TOKEN", "…")`: the value is the last argument.
  if (c === 44 && !(value.quoted && closesCall(text, value.end + 1))) return;
  if (bundler && verdict.strength === 0) {
    // Bundler's documented credential variables: BUNDLE_<HOST> = user:password.
    if (/^[^:\s]{3,}:[^:\s]{3,}$/.test(v) && !isPlaceholderValue(v.slice(v.indexOf(':') + 1))) out.push({ rule: GENERIC_RULE, start, end, confidence: 0.8 });
    return;
  }
  // A provider rule already found a token here: it names the secret better, and judging the value again is waste.
  if (isCovered(tokens, start)) return;
  const strength = verdict.authorization && verdict.strength < 2 ? { ...verdict, strength: 2 as const } : verdict;
  const confidence = judgeValue(v, strength, service, value.quoted);
  if (confidence > 0) out.push({ rule: GENERIC_RULE, start, end, confidence });
}

/** Whether one of `tokens` (sorted by start, disjoint) covers position `at`: a binary search. */
function isCovered(tokens: readonly SecretMatch[], at: number): boolean {
  let lo = 0;
  let hi = tokens.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const t = tokens[mid]!;
    if (at < t.start) hi = mid - 1;
    else if (at >= t.end) lo = mid + 1;
    else return true;
  }
  return false;
}

/** Whether `)` follows `at`, after blanks. */
function closesCall(text: string, at: number): boolean {
  const limit = Math.min(text.length, at + 16);
  while (at < limit && isBlank(text.charCodeAt(at))) at++;
  const c = text.charCodeAt(at);
  return c === 41 || at >= text.length || c === 10 || c === 13;
}

/** Whether a closing tag (`</`) follows `at`, after blanks. */
function closesElement(text: string, at: number): boolean {
  const limit = Math.min(text.length, at + 64);
  while (at < limit && text.charCodeAt(at) <= 32) at++;
  return text.startsWith('</', at);
}

/** In `<add key="Name" value="…"`, the `key` (or `name`) attribute's value, read back from `valueAttr`. */
function attributeKeyBefore(text: string, valueAttr: number): string | undefined {
  const window = text.slice(Math.max(0, valueAttr - 200), valueAttr);
  const tag = window.lastIndexOf('<');
  if (tag < 0) return undefined;
  const m = /\b(?:key|name)\s*=\s*["']([^"']{1,80})["']/i.exec(window.slice(tag));
  return m?.[1];
}

const FLAG = /--([A-Za-z][A-Za-z0-9-]{1,40})[ \t]+("[^"\n]{1,400}"|'[^'\n]{1,400}'|[^\s"'-][^\s"']{0,399})/y;

/**
 * A command-line flag that names a credential, with its value as the next argument: `--token hf_…`,
 * `--password "…"`, `--client-secret …` (the `--flag=value` form is an assignment, found at its `=`).
 */
export function scanFlagAt(text: string, at: number, out: SecretMatch[]): void {
  const before = at > 0 ? text.charCodeAt(at - 1) : 32;
  if (!(before <= 32 || isQuote(before))) return;
  FLAG.lastIndex = at;
  const m = FLAG.exec(text);
  if (m === null) return;
  const verdict = judgeKey(m[1]!);
  if (verdict.strength < 2) return;
  let value = m[2]!;
  let start = at + m[0].length - value.length;
  const quoted = isQuote(value.charCodeAt(0));
  if (quoted) {
    value = value.slice(1, -1);
    start++;
  }
  const confidence = judgeValue(value, verdict, false, quoted);
  if (confidence > 0) out.push({ rule: GENERIC_RULE, start, end: start + value.length, confidence });
}
