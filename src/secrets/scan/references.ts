// Secret references met while scanning (`vault://secret/crm#token`, `aws-sm://prod/crm#key` or an ARN,
// `env://DB_PASSWORD`): they say where a secret lives, so nothing inside one is a secret. Well-formed is decided
// by the one parser specs use (../reference.ts), so `file://relative?token=…` or `https://user:pw@host` stay
// literal text and keep their findings.
import { parseSecretReference, SECRET_SCHEMES } from '../reference.ts';
import type { SecretMatch } from './secret-match.ts';

const SCHEMES: ReadonlySet<string> = new Set(Object.keys(SECRET_SCHEMES));

/** The longest reference looked at: an aws-sm ARN with a key is under 2,200 characters. */
const MAX_REFERENCE = 2200;
/** The longest scheme name (`aws-sm`) with room to spare. */
const MAX_SCHEME = 8;

/** RFC 3986 §3.1 scheme characters (upper case too, so `Xenv://` is not read as `env://`). */
const isSchemeChar = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46;

/** Characters that end a reference written in a config file, a shell line or code. */
function endsReference(c: number): boolean {
  return c <= 32 || c === 34 || c === 39 || c === 96 || c === 60 || c === 62 || c === 40 || c === 41 || c === 91 || c === 93 || c === 123 || c === 125 || c === 44 || c === 59 || c === 124 || c === 92;
}

/** Whether `text` is a well-formed secret reference. */
export function isSecretReference(text: string): boolean {
  try {
    parseSecretReference(text);
    return true;
  } catch {
    return false;
  }
}

/** Whether [start, end) lies inside a well-formed secret reference written in `text`. */
export function withinReference(text: string, start: number, end: number): boolean {
  return withinReferenceAt(text, start, end, separatorsOf(text));
}

/** Every position of '://' in `text`, ascending: found once per text, then searched per match. */
function separatorsOf(text: string): number[] {
  const found: number[] = [];
  for (let at = text.indexOf('://'); at >= 0; at = text.indexOf('://', at + 1)) found.push(at);
  return found;
}

function withinReferenceAt(text: string, start: number, end: number, separators: readonly number[]): boolean {
  // The last '://' that starts at or before end - 3, by binary search: a reference holding [start, end) has
  // its separator there, no further back than MAX_REFERENCE.
  let low = 0;
  let high = separators.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (separators[mid]! <= end - 3) low = mid + 1;
    else high = mid;
  }
  if (low === 0) return false;
  const separator = separators[low - 1]!;
  if (separator < start - MAX_REFERENCE) return false;
  let schemeStart = separator;
  while (schemeStart > 0 && separator - schemeStart < MAX_SCHEME && isSchemeChar(text.charCodeAt(schemeStart - 1))) schemeStart--;
  if (schemeStart > start || !SCHEMES.has(text.slice(schemeStart, separator))) return false;
  if (schemeStart > 0 && isSchemeChar(text.charCodeAt(schemeStart - 1))) return false;
  let referenceEnd = separator + 3;
  const limit = Math.min(text.length, schemeStart + MAX_REFERENCE);
  while (referenceEnd < limit && !endsReference(text.charCodeAt(referenceEnd))) referenceEnd++;
  return referenceEnd >= end && isSecretReference(text.slice(schemeStart, referenceEnd));
}

/** The matches that do not lie inside a secret reference. */
export function dropReferences(text: string, matches: SecretMatch[]): SecretMatch[] {
  if (matches.length === 0 || !text.includes('://')) return matches;
  const separators = separatorsOf(text);
  return matches.filter((m) => !withinReferenceAt(text, m.start, m.end, separators));
}
