// AES-256-SIV over a whole batch of values in a few native calls (siv-sealer.ts seals one value in two).
//
// Why: a column of a batch is thousands of short values, and each native AES call costs about a microsecond
// whatever its length; sealing one value took two (a CBC call for its CMAC, an ECB call for its key stream) and
// they were most of a token's 4-5 µs. The CMACs of many messages are independent, so they advance together, one
// block of every message per call: round r encrypts, in one AES-256-ECB call under K1, block r of every message
// that has one, xored with that message's chain so far (CBC by hand, RFC 4493 §2.4 step 6). Messages sorted by
// length, longest first, make the messages still going in round r a prefix of the order. The CTR key streams of
// all values then come from one ECB call under K2 (RFC 5297 §2.5). So a batch takes (longest message in blocks) + 1
// calls; values longer than LONG_VALUE_BLOCKS go to the one-value path, so that one long value cannot add rounds.
// The construction and the byte order are siv-sealer.ts's; the tests check outputs against noble's aessiv, and
// the sealer's self-test checks this path, at 1 to 8 rounds and with a long value, each time a sealer is made.

const BLOCK = 16;
/** Values whose S2V message exceeds this many blocks (128 bytes) are sealed one by one. */
export const LONG_VALUE_BLOCKS = 8;

/** What a sealer derived from its key and associated data, shared with the one-value path. */
export interface SivParts {
  /** D of S2V up to the value: dbl(CMAC(K1, <zero>)) xor CMAC(K1, AD). */
  d: Uint8Array;
  /** dbl(D), for values shorter than a block. */
  dd: Uint8Array;
  /** The CMAC subkeys of K1. */
  k1: Uint8Array;
  k2: Uint8Array;
  /** AES-256 under K1 and under K2 on whole blocks (ECB contexts, padding off). */
  macBlocks: (blocks: Uint8Array) => Buffer;
  streamBlocks: (blocks: Uint8Array) => Buffer;
  /** The one-value path, for long values. */
  sealOne: (plaintext: Uint8Array) => Buffer;
}

/** Values side by side: value i is `data[bounds[i], bounds[i + 1])` (no object per value). */
export interface PackedValues {
  data: Uint8Array;
  bounds: Uint32Array;
}

/** Sealed values side by side: value i's SIV output is `sealed[offsets[i], offsets[i + 1])`. */
export interface SealedBatch {
  sealed: Buffer;
  offsets: Uint32Array;
}

/** Packs separate values side by side (for tests and the self-test; callers with many values pack as they encode). */
export function packValues(values: readonly Uint8Array[]): PackedValues {
  const bounds = new Uint32Array(values.length + 1);
  values.forEach((value, i) => (bounds[i + 1] = bounds[i]! + value.length));
  const data = new Uint8Array(bounds[values.length]!);
  values.forEach((value, i) => data.set(value, bounds[i]));
  return { data, bounds };
}

/** Seals every value; the same bytes as sealing each on its own. */
export function sealBatch(parts: SivParts, { data, bounds }: PackedValues): SealedBatch {
  const count = bounds.length - 1;
  const offsets = new Uint32Array(count + 1);
  for (let i = 0; i < count; i++) offsets[i + 1] = offsets[i]! + BLOCK + (bounds[i + 1]! - bounds[i]!);
  const sealed = Buffer.allocUnsafe(offsets[count]!);

  // The S2V messages' block counts; long values are sealed one by one here and left out of the rounds.
  const blocksOf = new Uint8Array(count);
  const withBlocks = new Uint32Array(LONG_VALUE_BLOCKS + 1);
  let streamBlocks = 0;
  for (let i = 0; i < count; i++) {
    const length = bounds[i + 1]! - bounds[i]!;
    const blocks = Math.max(1, Math.ceil(length / BLOCK));
    if (blocks > LONG_VALUE_BLOCKS) {
      parts.sealOne(data.subarray(bounds[i], bounds[i + 1])).copy(sealed, offsets[i]);
      continue;
    }
    blocksOf[i] = blocks;
    withBlocks[blocks]!++;
    streamBlocks += Math.ceil(length / BLOCK);
  }
  // active[r]: how many messages have a block r. Longest first, those are the first active[r] of `order`.
  const active = new Uint32Array(LONG_VALUE_BLOCKS + 1);
  for (let r = LONG_VALUE_BLOCKS - 1; r >= 0; r--) active[r] = active[r + 1]! + withBlocks[r + 1]!;
  const batched = active[0]!;
  if (batched === 0) return { sealed, offsets };
  // Messages of b blocks start at active[b] in the order.
  const order = new Uint32Array(batched);
  const next = Uint32Array.from(active);
  for (let i = 0; i < count; i++) if (blocksOf[i]! > 0) order[next[blocksOf[i]!]!++] = i;

  // The S2V messages, laid out by round: row r holds block r of every message that has one, so each round's
  // input is one run of memory. CMAC's last-block treatment is applied (RFC 4493 §2.4 steps 3-4).
  const rowAt = new Uint32Array(LONG_VALUE_BLOCKS + 1);
  for (let r = 1; r <= LONG_VALUE_BLOCKS; r++) rowAt[r] = rowAt[r - 1]! + active[r - 1]! * BLOCK;
  const messages = Buffer.alloc(rowAt[LONG_VALUE_BLOCKS]!);
  // Wiped however this ends: the messages hold the plaintexts, the rest what was derived from them.
  let chain: Buffer | undefined;
  let counters: Buffer | undefined;
  let stream: Buffer | undefined;
  try {
    const { d, dd, k1, k2 } = parts;
    for (let k = 0; k < batched; k++) {
      const i = order[k]!;
      const from = bounds[i]!;
      const length = bounds[i + 1]! - from;
      const blocks = blocksOf[i]!;
      if (length >= BLOCK) {
        // T = P xorend D, block by block into its rows
        const dAt = length - BLOCK;
        for (let j = 0; j < length; j++) {
          const into = rowAt[j >>> 4]! + k * BLOCK + (j & 15);
          messages[into] = j < dAt ? data[from + j]! : data[from + j]! ^ d[j - dAt]!;
        }
      } else {
        // T = dbl(D) xor pad(P): one whole block
        const at = rowAt[0]! + k * BLOCK;
        for (let j = 0; j < BLOCK; j++) messages[at + j] = dd[j]! ^ (j < length ? data[from + j]! : j === length ? 0x80 : 0);
      }
      const tLength = Math.max(BLOCK, length);
      const last = rowAt[blocks - 1]! + k * BLOCK;
      const rest = tLength - (blocks - 1) * BLOCK;
      if (rest !== BLOCK) messages[last + rest] = 0x80;
      const subkey = rest === BLOCK ? k1 : k2;
      for (let j = 0; j < BLOCK; j++) messages[last + j]! ^= subkey[j]!;
    }

    // The CMAC rounds: row r, xored with the chain of the first active[r] messages, in one call.
    chain = parts.macBlocks(messages.subarray(0, active[0]! * BLOCK));
    for (let r = 0; ; r++) {
      // Messages of r + 1 blocks end here: their chain is V, the first block of their output.
      for (let k = active[r + 1]!; k < active[r]!; k++) {
        const into = offsets[order[k]!]!;
        for (let j = 0; j < BLOCK; j++) sealed[into + j] = chain[k * BLOCK + j]!;
      }
      if (active[r + 1] === 0) break;
      const row = rowAt[r + 1]!;
      const n = active[r + 1]! * BLOCK;
      for (let j = 0; j < n; j++) messages[row + j]! ^= chain[j]!;
      chain.fill(0);
      chain = parts.macBlocks(messages.subarray(row, row + n));
    }
    // The key streams: Q = V with bits 63 and 31 cleared, then Q+1, Q+2, … (mod 2^128), all values in one call.
    counters = Buffer.alloc(streamBlocks * BLOCK);
    let at = 0;
    for (let k = 0; k < batched; k++) {
      const i = order[k]!;
      const blocks = Math.ceil((bounds[i + 1]! - bounds[i]!) / BLOCK);
      if (blocks === 0) continue;
      const v = offsets[i]!;
      for (let j = 0; j < BLOCK; j++) counters[at + j] = sealed[v + j]!;
      counters[at + 8]! &= 0x7f;
      counters[at + 12]! &= 0x7f;
      for (let b = 1; b < blocks; b++) {
        const to = at + b * BLOCK;
        for (let j = 0; j < BLOCK; j++) counters[to + j] = counters[to - BLOCK + j]!;
        for (let j = to + BLOCK - 1; j >= to; j--) if ((counters[j] = (counters[j]! + 1) & 0xff) !== 0) break;
      }
      at += blocks * BLOCK;
    }
    stream = streamBlocks > 0 ? parts.streamBlocks(counters) : Buffer.alloc(0);
    at = 0;
    for (let k = 0; k < batched; k++) {
      const i = order[k]!;
      const from = bounds[i]!;
      const length = bounds[i + 1]! - from;
      const into = offsets[i]! + BLOCK;
      for (let j = 0; j < length; j++) sealed[into + j] = data[from + j]! ^ stream[at + j]!;
      at += Math.ceil(length / BLOCK) * BLOCK;
    }
  } finally {
    messages.fill(0);
    chain?.fill(0);
    counters?.fill(0);
    stream?.fill(0);
  }
  return { sealed, offsets };
}
