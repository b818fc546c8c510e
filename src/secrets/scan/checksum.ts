// Checks that providers publish for their tokens: GitHub's and npm's CRC32 in base62, GitLab's routable-token
// CRC32 in base36, and the structure embedded in PyPI macaroons and base64 JSON payloads.
import { crc32 } from 'node:zlib';

// GitHub "Behind GitHub's new authentication token formats" (2021-04-05): the last six characters are a CRC32
// of the random part, base62-encoded with the 0-9A-Za-z alphabet and left-padded with zeros. npm adopted the same
// layout for its granular tokens ("npm has a new access token format", 2021-09-23).
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Decodes a base62 (0-9A-Za-z) number; NaN if a character is outside the alphabet. */
export function decodeBase62(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const d = BASE62.indexOf(s.charAt(i));
    if (d < 0) return NaN;
    n = n * 62 + d;
  }
  return n;
}

/**
 * Whether a GitHub (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`) or npm (`npm_`) token's trailing six characters are
 * the CRC32 of the thirty characters between its four-character prefix and the checksum.
 */
export function base62Crc32Valid(token: string): boolean {
  if (token.length !== 40) return false;
  const random = token.slice(4, 34);
  const sum = decodeBase62(token.slice(34));
  return sum === crc32(random);
}

/**
 * GitLab routable tokens (gitlab-org/gitlab, Authn::TokenField::Generator::RoutableToken): `prefix` +
 * base64url(payload) + `.` + the base64 length in base36 (two characters) + CRC32 of everything before it in
 * base36, padded to seven. Returns whether the length field and the CRC both hold.
 */
export function gitlabRoutableValid(token: string): boolean {
  const dot = token.lastIndexOf('.');
  if (dot < 0 || token.length - dot !== 10) return false;
  const body = token.slice(token.indexOf('-') + 1, dot);
  const declared = parseInt(token.slice(dot + 1, dot + 3), 36);
  // Runner tokens carry `t1_`/`t2_` before the payload; the length field counts only the payload.
  const payload = /^t\d_/.test(body) ? body.slice(3) : body;
  if (declared !== payload.length && declared !== body.length) return false;
  const sum = parseInt(token.slice(dot + 3), 36);
  return sum === crc32(token.slice(0, dot + 3));
}

/** Decodes base64 or base64url text to a Latin-1 string; undefined when it is not valid base64. */
export function decodeBase64(s: string): string | undefined {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(s) || s.length % 4 === 1) return undefined;
  return Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('latin1');
}

/** Whether base64 text decodes to a JSON object (what JWT segments and several tokens embed). */
export function isBase64Json(s: string): boolean {
  const text = decodeBase64(s);
  if (text === undefined || !text.startsWith('{')) return false;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null;
  } catch {
    return false;
  }
}

/**
 * A PyPI API token is `pypi-` + base64url of a macaroon (Warehouse, warehouse/macaroons): version-2 binary
 * macaroons start 0x02 0x01 0x08 "pypi.org" (or "test.pypi.org"), which base64url encodes as `AgEIcHlwaS5vcmc`
 * or `AgENdGVzdC5weXBpLm9yZw`.
 */
export function pypiMacaroonValid(token: string): boolean {
  const raw = decodeBase64(token.slice(5).slice(0, 24));
  return raw !== undefined && (raw.startsWith('\x02\x01\x08pypi.org') || raw.startsWith('\x02\x01\x0dtest.pypi.org'));
}

// BIP 173 Bech32: the generator of the BCH code over GF(32) and the character set.
const BECH32_CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const BECH32_GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

/** Whether a Bech32 string (HRP, "1", data with a 6-character checksum) has a valid checksum (BIP 173). */
export function bech32Valid(s: string): boolean {
  const text = s.toLowerCase();
  const sep = text.lastIndexOf('1');
  if (sep < 1 || text.length - sep < 7) return false;
  let chk = 1;
  const step = (v: number): void => {
    const top = chk >>> 25;
    chk = (((chk & 0x1ffffff) << 5) ^ v) >>> 0;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk = (chk ^ BECH32_GENERATOR[i]!) >>> 0;
  };
  for (let i = 0; i < sep; i++) step(text.charCodeAt(i) >>> 5);
  step(0);
  for (let i = 0; i < sep; i++) step(text.charCodeAt(i) & 31);
  for (let i = sep + 1; i < text.length; i++) {
    const v = BECH32_CHARSET.indexOf(text.charAt(i));
    if (v < 0) return false;
    step(v);
  }
  return chk === 1;
}
