// Private keys: PEM blocks whose label names a private key (RFC 7468 §2 and §10–11: PKCS #1, PKCS #8, SEC 1,
// OpenSSH, encrypted PKCS #8; RFC 4880 §6.2 for PGP armour) and PuTTY .ppk files. The span is the whole block.
import type { SecretMatch } from '../secret-match.ts';
import { looksMasked } from '../placeholder.ts';

export const PRIVATE_KEY_RULE = 'private-key';
export const PUTTY_KEY_RULE = 'putty-private-key';

const BEGIN = '-----BEGIN ';
/** RFC 7468 labels are upper-case words; a private key's ends in PRIVATE KEY (PGP armour adds BLOCK). */
const PRIVATE_LABEL = /^[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?$/;
/** The least base64 a real key body holds (an Ed25519 OpenSSH key has about 400 characters). */
const MIN_BODY = 64;
/** How far a footer is looked for. */
const MAX_BLOCK = 65_536;

/** Finds PEM-armoured private keys; linear: each footer search resumes where the last one for its label ended. */
export function scanPemPrivateKeys(text: string, out: SecretMatch[], from = 0): void {
  const footers = new Map<string, number>();
  let nextBegin = -1;
  for (;;) {
    const b = text.indexOf(BEGIN, from);
    if (b < 0) return;
    const labelEnd = text.indexOf('-----', b + BEGIN.length);
    if (labelEnd < 0) return;
    from = b + BEGIN.length;
    const label = text.slice(b + BEGIN.length, labelEnd);
    if (labelEnd - b > 80 || !PRIVATE_LABEL.test(label)) continue;
    const footer = `-----END ${label}-----`;
    let f = footers.get(label);
    if (f === undefined || (f >= 0 && f < labelEnd)) {
      f = text.indexOf(footer, labelEnd + 5);
      footers.set(label, f);
    }
    const bodyStart = labelEnd + 5;
    // A BEGIN before the footer means this one is not closed: its body ends there (so bodies never overlap).
    if (nextBegin < bodyStart) nextBegin = text.indexOf(BEGIN, bodyStart);
    if (nextBegin >= 0 && (f < 0 || nextBegin < f)) continue;
    if (f >= 0 && f - b <= MAX_BLOCK) {
      const base64 = countBase64(text, bodyStart, f);
      if (base64 >= MIN_BODY && !looksMasked(text.slice(bodyStart, Math.min(f, bodyStart + 400)).replace(/\\n|\s/g, ''))) {
        out.push({ rule: PRIVATE_KEY_RULE, start: b, end: f + footer.length, confidence: 0.99 });
        from = f + footer.length;
      }
      continue;
    }
    // No footer (the text was cut): a long base64 body after the header is still a leaked key.
    let end = bodyStart;
    const limit = Math.min(text.length, bodyStart + MAX_BLOCK);
    while (end < limit && isBodyChar(text.charCodeAt(end))) end++;
    if (countBase64(text, bodyStart, end) >= 4 * MIN_BODY) {
      out.push({ rule: PRIVATE_KEY_RULE, start: b, end, confidence: 0.85 });
      from = end;
    }
  }
}

/**
 * Base64 characters in a PEM body, not counting RFC 1421 headers (`Proc-Type: 4,ENCRYPTED`, `Comment:`); lines
 * end at real or escaped line breaks.
 */
function countBase64(text: string, from: number, to: number): number {
  let n = 0;
  let lineHasColon = false;
  let lineCount = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    // A line break, or one escaped inside a JSON or code string (`\n`).
    const escapedBreak = c === 92 && (text.charCodeAt(i + 1) === 110 || text.charCodeAt(i + 1) === 114);
    if (escapedBreak) i++;
    if (c === 10 || c === 13 || escapedBreak) {
      if (!lineHasColon) n += lineCount;
      lineHasColon = false;
      lineCount = 0;
    } else if (c === 58) lineHasColon = true;
    else if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47) lineCount++;
  }
  if (!lineHasColon) n += lineCount;
  return n;
}

/** Characters a PEM body may hold, including `\n` escapes and string quoting in source code. */
function isBodyChar(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47 || c === 61 || c === 10 || c === 13 || c === 32 || c === 92 || c === 9;
}

/** PuTTY private key files (PPK v2/v3): the Private-Lines section up to the MAC. */
export function scanPuttyKeys(text: string, out: SecretMatch[], from = 0): void {
  for (;;) {
    const h = text.indexOf('PuTTY-User-Key-File-', from);
    if (h < 0) return;
    from = h + 20;
    const p = text.indexOf('Private-Lines:', from);
    if (p < 0 || p - h > 8192) continue;
    // The section must hold key material: a base64 line after the header (not code that writes the format).
    if (!/^Private-Lines: *\d+\r?\n[A-Za-z0-9+/]{16,}/.test(text.slice(p, p + 128))) continue;
    const mac = text.indexOf('Private-MAC:', p);
    let end = mac >= 0 && mac - p < 8192 ? text.indexOf('\n', mac) : -1;
    if (end < 0) end = mac >= 0 && mac - p < 8192 ? text.length : -1;
    if (end < 0) continue;
    out.push({ rule: PUTTY_KEY_RULE, start: h, end, confidence: 0.95 });
    from = end;
  }
}
