// Deterministic fake credentials for the tests: random bodies from a seeded generator, with GitHub-style CRC32
// checksums, GitLab routable-token checksums and PyPI macaroon headers computed the way the providers do. Tests
// build tokens at run time, so the sources hold no string a push-protection scanner would take for a live secret.
import { crc32 } from 'node:zlib';

export const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const LOWER = 'abcdefghijklmnopqrstuvwxyz';
export const DIGITS = '0123456789';
export const ALNUM = UPPER + LOWER + DIGITS;
export const LOWER_ALNUM = LOWER + DIGITS;
export const UPPER_ALNUM = UPPER + DIGITS;
export const HEX = '0123456789abcdef';
export const BASE64URL = ALNUM + '-_';
export const BASE32 = UPPER + '234567';

/** A seeded generator of random strings (xorshift32; not for cryptography). */
export function fakeGenerator(seed: number): (alphabet: string, length: number) => string {
  let state = seed >>> 0 || 1;
  const next = (): number => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
  return (alphabet, length) => {
    let s = '';
    for (let i = 0; i < length; i++) s += alphabet.charAt(next() % alphabet.length);
    return s;
  };
}

const BASE62 = DIGITS + UPPER + LOWER;

function base62(n: number, width: number): string {
  let s = '';
  while (n > 0) {
    s = BASE62.charAt(n % 62) + s;
    n = Math.floor(n / 62);
  }
  return s.padStart(width, '0');
}

/** A GitHub-format token (`ghp_`, `npm_`, …): 30 random base62 characters and their CRC32 in base62. */
export function withGithubChecksum(prefix: string, random30: string): string {
  return prefix + random30 + base62(crc32(random30), 6);
}

/** A GitLab routable token: prefix + base64url payload + "." + base36 payload length + base36 CRC32. */
export function gitlabRoutable(prefix: string, payload: string): string {
  const encoded = `${prefix}${payload}.${payload.length.toString(36).padStart(2, '0')}`;
  return encoded + crc32(encoded).toString(36).padStart(7, '0');
}

/** A PyPI API token: `pypi-` + base64url of a version-2 macaroon for pypi.org followed by `rest`. */
export function pypiToken(rest: string): string {
  return 'pypi-' + Buffer.from('\x02\x01\x08pypi.org' + rest, 'latin1').toString('base64url');
}
