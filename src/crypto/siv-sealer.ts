// AES-256-SIV sealing (RFC 5297) for tokenizing a column: many values under one key and associated data, on
// node:crypto's native AES. Opening stays on @noble/ciphers' audited aessiv (aes-siv.ts), and every output of
// this sealer is byte for byte aessiv's: the Wycheproof vectors, a property test against aessiv, and a self-test
// against aessiv each time a sealer is made check it.
//
// Why not aessiv itself: its AES is JavaScript, and each of its CMACs expands the key again. Tokenizing was
// 16-19 µs of the 41 µs a record took end to end (docs/performance.md). Here the two AES-256 keys are each
// expanded once, into a long-lived native context (AES-NI, constant time, unlike table-based AES in JavaScript):
// AES-256-CBC for the MACs, AES-256-ECB for the key stream. The modes around them are RFC 5297's and RFC 4493's:
// - S2V (§2.4): D = dbl(CMAC(K1, <zero>)) xor CMAC(K1, AD), once per sealer; per value T = P xorend D (or
//   dbl(D) xor pad(P) when P is shorter than a block) and V = CMAC(K1, T).
// - AES-CMAC (RFC 4493 §2.3-2.4): subkeys from L = AES(K1, 0^128); CBC over the blocks from a zero chain; the
//   last block xored with the first subkey when whole, padded and xored with the second when not.
// - CTR (§2.5-2.6): Q = V with bits 31 and 63 (from the right) cleared, incremented as a 128-bit big-endian
//   integer per block; the key stream is AES(K2, Q), AES(K2, Q+1), … from one ECB call.
// Scratch holding T, CBC states and key stream is wiped after each value.
import { createCipheriv } from 'node:crypto';
import type { Cipher } from 'node:crypto';
import { aessiv } from '@noble/ciphers/aes.js';
import { SluiceError } from '../errors.ts';
import { packValues, sealBatch } from './siv-batch.ts';
import type { PackedValues, SealedBatch, SivParts } from './siv-batch.ts';

const BLOCK = 16;
const KEY_BYTES = 64;

/** Seals many plaintexts under one key and associated data: the same output as sivSeal. */
export interface SivSealer {
  seal(plaintext: Uint8Array): Buffer;
  /** Seals a batch in a few native calls (siv-batch.ts): value i's output is `sealed[offsets[i], offsets[i + 1])`. */
  sealAll(values: PackedValues): SealedBatch;
}

/** RFC 5297 §2.3 dbl(): doubling in GF(2^128), x^128 + x^7 + x^2 + x + 1; no branch on the secret bit. */
export function dbl(block: Uint8Array): Uint8Array {
  const out = new Uint8Array(BLOCK);
  for (let i = 0; i < BLOCK; i++) out[i] = ((block[i]! << 1) | (i + 1 < BLOCK ? block[i + 1]! >>> 7 : 0)) & 0xff;
  out[BLOCK - 1]! ^= 0x87 & -(block[0]! >>> 7);
  return out;
}

/** AES-256 under one key, a block at a time: an ECB context with padding off, fed whole blocks, never finished. */
function aesBlocks(key: Uint8Array): (blocks: Uint8Array) => Buffer {
  const ecb: Cipher = createCipheriv('aes-256-ecb', key, null);
  ecb.setAutoPadding(false);
  return (blocks) => ecb.update(blocks);
}

/**
 * AES-CMAC (RFC 4493) under a fixed key, each message in one native call: a long-lived AES-256-CBC context
 * (padding off) chains every call from the last ciphertext block of the one before, so xoring that block into a
 * message's first block makes the chain start from zero, as CMAC's does (C1 = AES(M1 xor C_prev xor C_prev)).
 * The last block of the output is the MAC; the CBC states before it are wiped.
 */
function cmacWith(key: Uint8Array): { mac: (message: Uint8Array) => Buffer; k1: Uint8Array; k2: Uint8Array } {
  const cbc: Cipher = createCipheriv('aes-256-cbc', key, Buffer.alloc(BLOCK));
  cbc.setAutoPadding(false);
  const chain = Buffer.alloc(BLOCK);
  let scratch = Buffer.alloc(256);
  const cbcFromZero = (blocks: Buffer): Buffer => {
    for (let i = 0; i < BLOCK; i++) blocks[i]! ^= chain[i]!;
    const out = cbc.update(blocks);
    const tagAt = out.length - BLOCK;
    out.copy(chain, 0, tagAt);
    out.fill(0, 0, tagAt);
    return out.subarray(tagAt);
  };
  const l = cbcFromZero(Buffer.alloc(BLOCK));
  const k1 = dbl(l);
  const k2 = dbl(k1);
  l.fill(0);
  const mac = (message: Uint8Array): Buffer => {
    // An empty message is one incomplete block (§2.4 step 3).
    const blocks = Math.max(1, Math.ceil(message.length / BLOCK));
    if (scratch.length < blocks * BLOCK) scratch = Buffer.alloc(blocks * BLOCK);
    const m = scratch.subarray(0, blocks * BLOCK);
    m.set(message);
    // M_last: the last block xor K1 when it is whole, else padding(last) xor K2, padding = 0x80 then zeros.
    const at = (blocks - 1) * BLOCK;
    const rest = message.length - at;
    const subkey = rest === BLOCK ? k1 : k2;
    for (let i = rest; i < BLOCK; i++) m[at + i] = i === rest ? 0x80 : 0;
    for (let i = 0; i < BLOCK; i++) m[at + i]! ^= subkey[i]!;
    const tag = cbcFromZero(m);
    m.fill(0);
    return tag;
  };
  return { mac, k1, k2 };
}

/**
 * The self-test's plaintexts: empty, shorter than a block, one block, across blocks, 4 and 8 blocks (the batch path's
 * round counts up to its longest), and longer (sealed one by one in a batch).
 */
const SELF_TEST_VALUES = ['', 'a', 'alice@example.com', '0123456789abcdef', 'x'.repeat(47), 'z'.repeat(64), 'w'.repeat(128), 'y'.repeat(129)].map((s) => Buffer.from(s, 'utf8'));

/** A sealer for one 64-byte key and one associated data string. Checks itself against aessiv before use. */
export function sivSealer(key: Uint8Array, aad: Uint8Array): SivSealer {
  if (key.length !== KEY_BYTES) throw new SluiceError('SLUICE_CRYPTO_PARAMETERS', `AES-256-SIV keys are ${KEY_BYTES} bytes`);
  const { mac, k1, k2 } = cmacWith(key.subarray(0, KEY_BYTES / 2));
  const macBlocks = aesBlocks(key.subarray(0, KEY_BYTES / 2));
  const ctr = aesBlocks(key.subarray(KEY_BYTES / 2));
  // S2V up to the value: D = dbl(CMAC(K1, <zero>)) xor CMAC(K1, AD). An empty AD is still one string (§2.4).
  const zero = mac(new Uint8Array(BLOCK));
  const d = dbl(zero);
  zero.fill(0);
  const adMac = mac(aad);
  for (let i = 0; i < BLOCK; i++) d[i]! ^= adMac[i]!;
  adMac.fill(0);
  const dd = dbl(d);
  let t = Buffer.alloc(256);
  let counters = Buffer.alloc(256);
  // The CMAC's chain must match the CBC context's own state; if anything fails mid-value, it may not, so the
  // sealer refuses to go on rather than risk a wrong token.
  let broken = false;
  const parts: SivParts = { d, dd, k1, k2, macBlocks, streamBlocks: ctr, sealOne: (plaintext) => sealer.seal(plaintext) };
  const sealer: SivSealer = {
    sealAll: (values) => sealBatch(parts, values),
    seal(plaintext) {
      if (broken) throw new SluiceError('SLUICE_CRYPTO_PARAMETERS', 'this AES-SIV sealer failed earlier and is no longer used; open a new tokenizer');
      broken = true;
      const length = Math.max(plaintext.length, BLOCK);
      if (t.length < length) t = Buffer.alloc(length);
      const tv = t.subarray(0, length);
      if (plaintext.length >= BLOCK) {
        // T = P xorend D
        tv.set(plaintext);
        const at = length - BLOCK;
        for (let i = 0; i < BLOCK; i++) tv[at + i]! ^= d[i]!;
      } else {
        // T = dbl(D) xor pad(P)
        tv.set(dd);
        for (let i = 0; i < plaintext.length; i++) tv[i]! ^= plaintext[i]!;
        tv[plaintext.length]! ^= 0x80;
      }
      const v = mac(tv);
      tv.fill(0);
      const out = Buffer.allocUnsafe(BLOCK + plaintext.length);
      v.copy(out, 0);
      if (plaintext.length > 0) {
        const blocks = Math.ceil(plaintext.length / BLOCK);
        if (counters.length < blocks * BLOCK) counters = Buffer.alloc(blocks * BLOCK);
        const q = counters.subarray(0, blocks * BLOCK);
        // Q = V bitand (1^64 || 0^1 || 1^31 || 0^1 || 1^31), then Q+1, Q+2, … (mod 2^128).
        v.copy(q, 0);
        q[8]! &= 0x7f;
        q[12]! &= 0x7f;
        for (let b = 1; b < blocks; b++) {
          q.copy(q, b * BLOCK, (b - 1) * BLOCK, b * BLOCK);
          for (let i = b * BLOCK + BLOCK - 1; i >= b * BLOCK; i--) if ((q[i] = (q[i]! + 1) & 0xff) !== 0) break;
        }
        const stream = ctr(q);
        q.fill(0);
        for (let i = 0; i < plaintext.length; i++) out[BLOCK + i] = plaintext[i]! ^ stream[i]!;
        stream.fill(0);
      }
      v.fill(0);
      broken = false;
      return out;
    },
  };
  selfTest(sealer, key, aad);
  return sealer;
}

/** Compares the sealer with aessiv on a few values, one by one and as a batch; a sealer that disagrees is never used. */
export function selfTest(sealer: SivSealer, key: Uint8Array, aad: Uint8Array): void {
  const expected = SELF_TEST_VALUES.map((value) => Buffer.from(aessiv(key, aad).encrypt(value)));
  const { sealed, offsets } = sealer.sealAll(packValues(SELF_TEST_VALUES));
  SELF_TEST_VALUES.forEach((value, i) => {
    if (!sealer.seal(value).equals(expected[i]!) || !sealed.subarray(offsets[i], offsets[i + 1]).equals(expected[i]!)) {
      throw new SluiceError('SLUICE_CRYPTO_PARAMETERS', 'the AES-SIV sealer failed its self-test against @noble/ciphers (a platform fault); refusing to tokenize');
    }
  });
}
