// Credentials carried by connection strings and commands: the password in a URL's userinfo (RFC 3986 §3.2.1:
// `scheme://user:password@host`, as in postgres://, mongodb+srv://, amqp://, redis://, https://), `curl -u
// user:password`, and HTTP Basic credentials (RFC 7617 §2: base64 of `user-id:password`).
import type { SecretMatch } from '../secret-match.ts';
import { decodeBase64 } from '../checksum.ts';
import { isPlaceholderValue, looksTemplated } from '../placeholder.ts';

export const URL_PASSWORD_RULE = 'url-password';
export const CURL_USER_RULE = 'curl-user-password';

const MAX_USERINFO = 256;

function isSchemeChar(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46;
}

/** Characters that end a URL's authority before any `@` (so `@` after them is not userinfo). */
function endsAuthority(c: number): boolean {
  return c <= 32 || c === 47 || c === 63 || c === 35 || c === 34 || c === 39 || c === 60 || c === 62 || c === 92 || c === 96 || c === 123 || c === 125 || c === 40 || c === 41;
}

/** A password that is not one: a template, a mask, a dictionary placeholder, or the user name again. */
function isPasswordPlaceholder(user: string, pass: string): boolean {
  if (pass.length < 4) return true;
  if (isPlaceholderValue(pass) || /^(?:pass(?:word)?|pwd|secret|token|changeit|changeme|xyz|abc|\*+|x+|\.+)$/i.test(pass)) return true;
  if (/^[$%{<[]/.test(pass) || pass === user) return true;
  return false;
}

/**
 * The password of the URL whose `://` starts at `at`, if it has userinfo with one. The span is the password;
 * the user name is not a secret.
 */
export function urlPasswordAt(text: string, at: number, out: SecretMatch[]): void {
  let s = at;
  while (s > 0 && at - s < 32 && isSchemeChar(text.charCodeAt(s - 1))) s--;
  if (s === at) return;
  let colon = -1;
  let sign = -1;
  const limit = Math.min(text.length, at + 3 + MAX_USERINFO);
  for (let i = at + 3; i < limit; i++) {
    const c = text.charCodeAt(i);
    if (c === 64) {
      sign = i;
      break;
    }
    if (c === 58 && colon < 0) colon = i;
    else if (endsAuthority(c)) break;
  }
  if (sign < 0 || colon < 0) return;
  const user = text.slice(at + 3, colon);
  const pass = text.slice(colon + 1, sign);
  const host = text.charCodeAt(sign + 1);
  if (!((host >= 48 && host <= 57) || (host >= 65 && host <= 90) || (host >= 97 && host <= 122) || host === 91)) return;
  if (isPasswordPlaceholder(user, pass) || looksTemplated(user + ':' + pass)) return;
  out.push({ rule: URL_PASSWORD_RULE, start: colon + 1, end: sign, confidence: pass.length >= 8 ? 0.85 : 0.75 });
}

/** What the last line looked at was: its bounds and whether its shell command so far holds `curl`. */
export interface CurlLineState {
  lineStart: number;
  /** Index of the newline ending the line, or the text's length. */
  lineEnd: number;
  curl: boolean;
}

export function newCurlLineState(): CurlLineState {
  return { lineStart: -1, lineEnd: -1, curl: false };
}

const CURL_WORD = /(?:^|[^\w-])curl(?:\s|$)/;

/** Whether the line before the newline at `nl` ends with a `\` continuation. */
function continued(text: string, nl: number): boolean {
  const c = text.charCodeAt(nl - 1);
  return c === 92 || (c === 13 && text.charCodeAt(nl - 2) === 92);
}

/**
 * Whether `at` sits in a shell command (lines joined by `\`) that holds a `curl` word. Callers pass positions in
 * increasing order with one state, so every line is read once: linear in the text.
 */
function inCurlCommand(text: string, at: number, st: CurlLineState): boolean {
  if (at >= st.lineStart && at < st.lineEnd) return st.curl;
  const lineStart = text.lastIndexOf('\n', at - 1) + 1;
  let lineEnd = text.indexOf('\n', at);
  if (lineEnd < 0) lineEnd = text.length;
  let curl = CURL_WORD.test(text.slice(lineStart, lineEnd));
  let s = lineStart;
  while (!curl && s > 0 && continued(text, s - 1)) {
    const prevEnd = s - 1;
    if (prevEnd <= st.lineEnd) {
      curl = prevEnd === st.lineEnd && st.curl;
      break;
    }
    const prevStart = text.lastIndexOf('\n', prevEnd - 1) + 1;
    curl = CURL_WORD.test(text.slice(prevStart, prevEnd));
    s = prevStart;
  }
  st.lineStart = lineStart;
  st.lineEnd = lineEnd;
  st.curl = curl;
  return curl;
}

const CURL_USER = /(?:-u|--user)(?:=|[ \t]{1,5})("[^"\n]{1,256}"(?::"[^"\n]{1,256}")?|'[^'\n]{1,256}'|[^\s"']{1,256}(?:'[^'\n]{1,256}'|"[^"\n]{1,256}")?)/y;

/**
 * `curl -u user:password` / `--user` whose flag starts at `at`: the password, or with an empty password the
 * user (an API key passed as the user name, as Stripe and Mailgun document).
 */
export function curlUserAt(text: string, at: number, out: SecretMatch[], st: CurlLineState): void {
  const before = at > 0 ? text.charCodeAt(at - 1) : 32;
  if (before !== 32 && before !== 9 && before !== 10) return;
  CURL_USER.lastIndex = at;
  const m = CURL_USER.exec(text);
  if (m === null || !inCurlCommand(text, at, st)) return;
  const arg = m[1]!;
  const argStart = at + m[0].length - arg.length;
  const plain = arg.replace(/["']/g, '');
  const colon = plain.indexOf(':');
  if (colon < 0) return;
  const user = plain.slice(0, colon);
  const pass = plain.slice(colon + 1);
  const secret = pass.length > 0 ? pass : user;
  if (secret.length < 4 || isPasswordPlaceholder(pass.length > 0 ? user : '', secret)) return;
  if (looksTemplated(user) || looksTemplated(plain) || /^[<{$]/.test(plain)) return;
  out.push({ rule: CURL_USER_RULE, start: argStart, end: argStart + arg.length, confidence: 0.8 });
}

/** RFC 7617 §2: whether base64 text is a Basic credential, `user-id:password` in printable characters. */
export function isBasicCredential(b64: string): boolean {
  const decoded = decodeBase64(b64);
  if (decoded === undefined || decoded.length < 3) return false;
  const colon = decoded.indexOf(':');
  return colon >= 0 && /^[\x20-\x7e]+$/.test(decoded) && decoded.length > 1;
}
