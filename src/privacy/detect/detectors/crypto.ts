// CRYPTO: Bitcoin mainnet addresses. Legacy P2PKH ("1...") and P2SH ("3...") in Base58Check, whose 4-byte
// double-SHA-256 checksum must hold, and SegWit ("bc1...") in bech32 (BIP-173) or bech32m (BIP-350), whose
// BCH checksum and witness program rules must hold.
import { hash } from 'node:crypto';
import { contextBoost, contextWords } from '../context.ts';
import type { Detector, PiiMatch } from '../detector.ts';
import { codeAt } from '../char-code.ts';
import { TextProfile } from '../text-profile.ts';

// A 32-bit checksum (Base58Check) or a 30-bit BCH code (bech32) leaves about a one-in-a-billion chance of a
// random string passing.
const BASE_CONFIDENCE = 0.95;
const CONTEXT = contextWords(['bitcoin', 'btc', 'wallet', 'crypto', 'address', 'send', 'pay']);

const BASE58_ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
// 25 bytes: version, 20-byte hash, 4-byte checksum; 26 to 35 Base58 digits spell them.
const BASE58_LENGTH = { min: 26, max: 35 } as const;
const P2PKH_VERSION = 0x00;
const P2SH_VERSION = 0x05;

const BECH32_CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
// BIP-173: "bc", the separator '1', a version, a program of 2 to 40 bytes and 6 checksum characters; at most 90.
const BECH32_LENGTH = { min: 14, max: 90 } as const;
// BIP-350: the checksum constants of bech32 (witness version 0) and bech32m (versions 1 to 16).
const BECH32_CONST = 1;
const BECH32M_CONST = 0x2bc830a3;
const BECH32_GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3] as const;

const BASE58_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE58_ALPHABET.length; i++) BASE58_VALUE[BASE58_ALPHABET.charCodeAt(i)] = i;
const BECH32_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < BECH32_CHARSET.length; i++) {
  BECH32_VALUE[BECH32_CHARSET.charCodeAt(i)] = i;
  BECH32_VALUE[BECH32_CHARSET.toUpperCase().charCodeAt(i)] = i;
}

/** Finds Bitcoin mainnet addresses whose checksum holds. */
export const cryptoDetector: Detector = {
  type: 'CRYPTO',
  detect(text: string, profile: TextProfile = new TextProfile(text)): PiiMatch[] {
    // The profile's scan says whether an address can start anywhere: most texts have no '1' or '3' followed by
    // 25 Base58 digits and no "bc1".
    if (text.length < BECH32_LENGTH.min || !profile.mayHoldAddress()) return [];
    const matches: PiiMatch[] = [];
    // Every address holds a '1' (P2PKH's version digit, bech32's separator) or starts with '3'. indexOf finds
    // those far faster than a regex can look at every character, and each token is looked at once.
    scan(text, 0x31, matches);
    scan(text, 0x33, matches);
    if (matches.length > 1) matches.sort((a, b) => a.start - b.start);
    return matches;
  },
};

function scan(text: string, digit: number, matches: PiiMatch[]): void {
  const needle = String.fromCharCode(digit);
  for (let at = text.indexOf(needle); at >= 0; ) {
    const found = addressAt(text, at, digit);
    if (found) matches.push(found);
    at = text.indexOf(needle, found ? found.end : at + 1);
  }
}

/**
 * The address whose token starts at `at`, or the bech32 one whose separator is the '1' at `at`. Most hits are
 * digits inside numbers, so the cheap tests come before the token is read.
 */
function addressAt(text: string, at: number, digit: number): PiiMatch | undefined {
  if (!isAlnum(codeAt(text, at - 1))) {
    // A token as long as an address: three probes rule out most words before the token is read.
    if (!isAlnum(codeAt(text, at + 8)) || !isAlnum(codeAt(text, at + 16)) || !isAlnum(codeAt(text, at + BASE58_LENGTH.min - 1))) return undefined;
    const end = tokenEnd(text, at);
    if (end - at < BASE58_LENGTH.min || end - at > BASE58_LENGTH.max || !isBase58CheckAddress(text.slice(at, end))) return undefined;
    return match(text, at, end);
  }
  const start = at - 2;
  if (digit !== 0x31 || !isBech32Prefix(codeAt(text, start), codeAt(text, start + 1)) || isAlnum(codeAt(text, start - 1))) return undefined;
  const end = tokenEnd(text, at);
  const length = end - start;
  if (length < BECH32_LENGTH.min || length > BECH32_LENGTH.max || !isSegwitAddress(text.slice(start, end))) return undefined;
  return match(text, start, end);
}

/**
 * The end of the run of letters and digits from `at`, stopping one past the longest address: a valid address
 * with more characters after it is not an address.
 */
function tokenEnd(text: string, at: number): number {
  let end = at + 1;
  while (end - at <= BECH32_LENGTH.max && isAlnum(codeAt(text, end))) end++;
  return end;
}

/** "bc" or "BC": mainnet's human-readable part, in one case as BIP-173 requires. */
function isBech32Prefix(b: number, c: number): boolean {
  return (b === 0x62 && c === 0x63) || (b === 0x42 && c === 0x43);
}

function match(text: string, start: number, end: number): PiiMatch {
  return { type: 'CRYPTO', start, end, confidence: contextBoost(BASE_CONFIDENCE, text, start, end, CONTEXT) };
}

/** Base58Check with a P2PKH or P2SH version byte and the double-SHA-256 checksum (Bitcoin's base58.cpp). */
function isBase58CheckAddress(candidate: string): boolean {
  if (candidate.length < BASE58_LENGTH.min || candidate.length > BASE58_LENGTH.max) return false;
  const bytes = base58Decode(candidate, 25);
  if (!bytes || (bytes[0] !== P2PKH_VERSION && bytes[0] !== P2SH_VERSION)) return false;
  const payload = bytes.subarray(0, 21);
  const digest = hash('sha256', hash('sha256', payload, 'buffer'), 'buffer');
  for (let i = 0; i < 4; i++) if (digest[i] !== bytes[21 + i]) return false;
  return true;
}

/** Decodes into exactly `size` bytes; undefined when the number does not fit or is not canonically written. */
function base58Decode(text: string, size: number): Uint8Array | undefined {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < text.length; i++) {
    let carry = BASE58_VALUE[text.charCodeAt(i)] ?? -1;
    if (carry < 0) return undefined;
    for (let j = size - 1; j >= 0; j--) {
      carry += bytes[j]! * 58;
      bytes[j] = carry & 0xff;
      carry >>= 8;
    }
    if (carry !== 0) return undefined;
  }
  // Each leading '1' stands for one leading zero byte, and the zero bytes of the number are written as '1's.
  let ones = 0;
  while (ones < text.length && text.charCodeAt(ones) === 0x31) ones++;
  let zeros = 0;
  while (zeros < size && bytes[zeros] === 0) zeros++;
  return ones === zeros ? bytes : undefined;
}

/** BIP-173/BIP-350 segwit address for the "bc" prefix: checksum variant by witness version, program 2..40 bytes. */
function isSegwitAddress(candidate: string): boolean {
  // BIP-173: all lower case or all upper case, and the separator is the last '1'.
  if (candidate !== candidate.toLowerCase() && candidate !== candidate.toUpperCase()) return false;
  if (candidate.charCodeAt(2) !== 0x31) return false;
  const data: number[] = [];
  for (let i = 3; i < candidate.length; i++) {
    const value = BECH32_VALUE[candidate.charCodeAt(i)] ?? -1;
    if (value < 0) return false;
    data.push(value);
  }
  const checksum = bech32Polymod(candidate.slice(0, 2).toLowerCase(), data);
  const version = data[0]!;
  if (version > 16) return false;
  // BIP-350: version 0 keeps bech32's constant, versions 1 to 16 use bech32m's.
  if (checksum !== (version === 0 ? BECH32_CONST : BECH32M_CONST)) return false;
  const program = convertBits(data.slice(1, -6));
  if (!program || program.length < 2 || program.length > 40) return false;
  // BIP-141: a version 0 program is a 20-byte key hash or a 32-byte script hash.
  return version !== 0 || program.length === 20 || program.length === 32;
}

/** BIP-173's polymod over the expanded human-readable part and the data, as the reference code computes it. */
function bech32Polymod(hrp: string, data: readonly number[]): number {
  let chk = 1;
  const step = (value: number): void => {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ value;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= BECH32_GENERATOR[i]!;
  };
  for (let i = 0; i < hrp.length; i++) step(hrp.charCodeAt(i) >>> 5);
  step(0);
  for (let i = 0; i < hrp.length; i++) step(hrp.charCodeAt(i) & 31);
  for (const value of data) step(value);
  return chk >>> 0;
}

/** 5-bit groups to bytes; undefined on more than 4 bits of padding or non-zero padding (BIP-173 "convertbits"). */
function convertBits(words: readonly number[]): number[] | undefined {
  const bytes: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const word of words) {
    acc = ((acc << 5) | word) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((acc >>> bits) & 0xff);
    }
  }
  if (bits >= 5 || ((acc << (8 - bits)) & 0xff) !== 0) return undefined;
  return bytes;
}

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}
