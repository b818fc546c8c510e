// Inclusion and consistency proofs for the audit log (RFC 9162 §2.1.3 and §2.1.4): generated from a NodeSource, so a
// log of 10M events needs no hashes in memory, and verified by the RFC's algorithms exactly as written, with a
// failure that says which check failed.
import { SluiceError } from '../../errors.ts';
import { emptyRoot, HASH_SIZE, nodeHash, splitPoint } from './merkle-hash.ts';

/**
 * Where proof generation reads the tree. Only `leafHash` is required: every other node can be computed from leaves.
 * A log keeps the roots of large perfect subtrees (subtree-store.ts) and answers `subtreeHash` from them, so a proof
 * reads O(log n) stored nodes and a few hundred leaves instead of n leaves.
 */
export interface NodeSource {
  /** The leaf hash (leafHash(data), 32 bytes) at a 0-based index. */
  leafHash(index: number): Promise<Buffer>;
  /** The leaf hashes [start, start + count) in order, when the source reads a range at once (one query, not count). */
  leafHashes?(start: number, count: number): Promise<Buffer[]>;
  /**
   * The root of the perfect subtree over leaves [start, start + size), if known; undefined to have it computed.
   * Asked only for perfect subtrees: size a power of two ≥ 2, start a multiple of size.
   */
  subtreeHash?(start: number, size: number): Promise<Buffer | undefined>;
}

/** Ranges up to this many leaves are read with one leafHashes() call when the source offers it (32 KiB of hashes). */
const MAX_LEAF_BATCH = 1024;

/** PATH(m, D[n]) (RFC 9162 §2.1.3.1): the hashes that prove leaf m is in the tree of size n, from the leaf up. */
export async function proveInclusion(source: NodeSource, leafIndex: number, treeSize: number): Promise<Buffer[]> {
  requireCount('tree size', treeSize);
  requireCount('leaf index', leafIndex);
  if (leafIndex >= treeSize) {
    throw new SluiceError('SLUICE_USAGE', `leaf index ${leafIndex} is not in a tree of ${treeSize} leaves: indexes run from 0 to ${treeSize - 1}`);
  }
  // PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]) if m < k, else PATH(m - k, D[k:n]) : MTH(D[0:k]). Unrolled: walk
  // down from the root collecting the sibling of each step, then reverse, since the innermost sibling comes first.
  const ranges: Array<[start: number, size: number]> = [];
  let start = 0;
  let n = treeSize;
  let m = leafIndex;
  while (n > 1) {
    const k = splitPoint(n);
    if (m < k) {
      ranges.push([start + k, n - k]);
      n = k;
    } else {
      ranges.push([start, k]);
      start += k;
      m -= k;
      n -= k;
    }
  }
  return hashRanges(source, ranges.reverse());
}

/**
 * PROOF(m, D[n]) (RFC 9162 §2.1.4.1): the hashes that prove the tree of size m is a prefix of the tree of size n.
 * Empty when m is 0 or m = n (nothing to prove beyond equal roots).
 */
export async function proveConsistency(source: NodeSource, size1: number, size2: number): Promise<Buffer[]> {
  requireCount('first tree size', size1);
  requireCount('second tree size', size2);
  if (size1 > size2) {
    throw new SluiceError('SLUICE_USAGE', `a consistency proof goes from a smaller tree to a larger one, not from ${size1} to ${size2}`);
  }
  if (size1 === 0 || size1 === size2) return [];
  // SUBPROOF(m, D[n], b): for m ≤ k, SUBPROOF(m, D[0:k], b) : MTH(D[k:n]); for m > k, SUBPROOF(m - k, D[k:n], false)
  // : MTH(D[0:k]); SUBPROOF(m, D[m], true) = {} and SUBPROOF(m, D[m], false) = {MTH(D[m])}. Unrolled as above.
  const ranges: Array<[start: number, size: number]> = [];
  let start = 0;
  let n = size2;
  let m = size1;
  let whole = true;
  while (m < n) {
    const k = splitPoint(n);
    if (m <= k) {
      ranges.push([start + k, n - k]);
      n = k;
    } else {
      ranges.push([start, k]);
      start += k;
      m -= k;
      n -= k;
      whole = false;
    }
  }
  if (!whole) ranges.push([start, n]);
  return hashRanges(source, ranges.reverse());
}

/**
 * Checks that `path` proves the leaf hash is at `leafIndex` in the tree of `treeSize` whose root is `rootHash`, by
 * RFC 9162 §2.1.3.2. Throws SLUICE_AUDIT_VERIFY_FAILED saying which check failed.
 */
export function verifyInclusion(proof: {
  leafIndex: number;
  treeSize: number;
  leafHash: Uint8Array;
  path: readonly Uint8Array[];
  rootHash: Uint8Array;
}): void {
  const { leafIndex, treeSize, path } = proof;
  checkCount('tree size', treeSize);
  checkCount('leaf index', leafIndex);
  checkHash('leaf hash', proof.leafHash);
  checkHash('root hash', proof.rootHash);
  path.forEach((h, i) => checkHash(`inclusion path hash ${i}`, h));
  // 1. If leaf_index is greater than or equal to tree_size, fail.
  if (leafIndex >= treeSize) fail(`leaf index ${leafIndex} is not in a tree of ${treeSize} leaves`);
  // 2. Set fn to leaf_index and sn to tree_size - 1. 3. Set r to hash.
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r: Buffer = Buffer.from(proof.leafHash);
  // 4. For each value p in the inclusion_path array:
  for (const p of path) {
    // a. If sn is 0, stop and fail.
    if (sn === 0) fail(wrongLength('inclusion', path.length, inclusionPathLength(leafIndex, treeSize), `leaf ${leafIndex} in a tree of ${treeSize}`));
    // b. If LSB(fn) is set, or fn equals sn: r = HASH(0x01 || p || r), and if LSB(fn) is not set, right-shift fn and
    //    sn equally until LSB(fn) is set or fn is 0. Otherwise r = HASH(0x01 || r || p).
    if (lsb(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!lsb(fn)) {
        while (!lsb(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    // c. Right-shift fn and sn one time.
    fn = half(fn);
    sn = half(sn);
  }
  // 5. Inclusion is proven if sn is 0 and r equals root_hash.
  if (sn !== 0) fail(wrongLength('inclusion', path.length, inclusionPathLength(leafIndex, treeSize), `leaf ${leafIndex} in a tree of ${treeSize}`));
  if (!r.equals(proof.rootHash)) {
    fail(`the inclusion proof of leaf ${leafIndex} does not lead to the root hash of the tree of ${treeSize}: the leaf, a proof hash or the root is not what the log holds`);
  }
}

/**
 * Checks that `path` proves the tree of `size1` leaves with root `root1` is a prefix of the tree of `size2` leaves with
 * root `root2`, by RFC 9162 §2.1.4.2. Equal sizes need equal roots and an empty path; the empty tree is a prefix of
 * every tree (with an empty path and its root MTH({})). Throws SLUICE_AUDIT_VERIFY_FAILED saying which check failed.
 */
export function verifyConsistency(proof: {
  size1: number;
  size2: number;
  root1: Uint8Array;
  root2: Uint8Array;
  path: readonly Uint8Array[];
}): void {
  const { size1, size2, path } = proof;
  checkCount('first tree size', size1);
  checkCount('second tree size', size2);
  checkHash('first root hash', proof.root1);
  checkHash('second root hash', proof.root2);
  path.forEach((h, i) => checkHash(`consistency path hash ${i}`, h));
  if (size1 > size2) fail(`the first tree has ${size1} leaves and the second ${size2}: a log never shrinks, so the second is not an extension of the first`);
  if (size1 === 0 && !emptyRoot().equals(proof.root1)) fail('the first tree is empty but its root hash is not MTH({}), the SHA-256 of nothing');
  if (size1 === size2) {
    if (path.length !== 0) fail(wrongLength('consistency', path.length, 0, `two trees of size ${size1}`));
    if (!Buffer.from(proof.root1).equals(proof.root2)) fail(`two trees of ${size1} leaves have different root hashes: the log shows two different histories`);
    return;
  }
  if (size1 === 0) {
    if (path.length !== 0) fail(wrongLength('consistency', path.length, 0, `the empty tree and a tree of ${size2}`));
    return;
  }
  const expected = consistencyPathLength(size1, size2);
  const between = `trees of ${size1} and ${size2} leaves`;
  // 1. If consistency_path is an empty array, fail.
  if (path.length === 0) fail(wrongLength('consistency', 0, expected, between));
  // 2. If first is an exact power of 2, prepend first_hash to the consistency_path array.
  const full = isPowerOfTwo(size1) ? [proof.root1, ...path] : path;
  // 3. Set fn to first - 1 and sn to second - 1.
  let fn = size1 - 1;
  let sn = size2 - 1;
  // 4. If LSB(fn) is set, right-shift fn and sn equally until LSB(fn) is not set.
  while (lsb(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  // 5. Set both fr and sr to the first value in the consistency_path array.
  let fr: Buffer = Buffer.from(full[0]!);
  let sr = fr;
  // 6. For each subsequent value c in the consistency_path array:
  for (const c of full.slice(1)) {
    // a. If sn is 0, stop and fail.
    if (sn === 0) fail(wrongLength('consistency', path.length, expected, between));
    // b. If LSB(fn) is set or fn equals sn: fr = HASH(0x01 || c || fr), sr = HASH(0x01 || c || sr), and if LSB(fn)
    //    is not set, right-shift fn and sn equally until LSB(fn) is set or fn is 0. Otherwise sr = HASH(0x01 || sr || c).
    if (lsb(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!lsb(fn)) {
        while (!lsb(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    // c. Right-shift fn and sn one time.
    fn = half(fn);
    sn = half(sn);
  }
  // 7. fr must equal first_hash, sr must equal second_hash, and sn must be 0.
  if (sn !== 0) fail(wrongLength('consistency', path.length, expected, between));
  if (!fr.equals(proof.root1)) {
    fail(`the consistency proof from ${size1} to ${size2} leaves does not lead to the first root hash: the first tree, or a proof hash, is not what the log holds`);
  }
  if (!sr.equals(proof.root2)) {
    fail(`the consistency proof from ${size1} to ${size2} leaves does not lead to the second root hash: the second tree does not extend the first, or a proof hash is wrong`);
  }
}

/** How many hashes PATH(m, D[n]) has: the iterations of §2.1.3.2 step 4 until sn reaches 0. */
export function inclusionPathLength(leafIndex: number, treeSize: number): number {
  let count = 0;
  let fn = leafIndex;
  for (let sn = treeSize - 1; sn > 0; count++) {
    if (!lsb(fn) && fn === sn) {
      while (!lsb(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    }
    fn = half(fn);
    sn = half(sn);
  }
  return count;
}

/** How many hashes PROOF(m, D[n]) has for 0 < m < n: the iterations of §2.1.4.2 step 6, less the prepended root. */
export function consistencyPathLength(size1: number, size2: number): number {
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (lsb(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let count = 1;
  for (; sn > 0; count++) {
    if (!lsb(fn) && fn === sn) {
      while (!lsb(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    }
    fn = half(fn);
    sn = half(sn);
  }
  return isPowerOfTwo(size1) ? count - 1 : count;
}

/** MTH of each range, in order. */
async function hashRanges(source: NodeSource, ranges: ReadonlyArray<[number, number]>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const [start, size] of ranges) out.push(await rangeHash(source, start, size));
  return out;
}

/**
 * MTH(D[start:start+size]). Every range a proof needs starts at a multiple of its largest power of two, so it is the
 * perfect subtrees of its set bits, largest first, and RFC 9162's split gives H(p0 || H(p1 || … pj)).
 */
async function rangeHash(source: NodeSource, start: number, size: number): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for (let offset = start, rest = size; rest > 0; ) {
    const piece = highestPowerOfTwo(rest);
    pieces.push(await perfectHash(source, offset, piece));
    offset += piece;
    rest -= piece;
  }
  let root = pieces.pop()!;
  while (pieces.length > 0) root = nodeHash(pieces.pop()!, root);
  return root;
}

/** The root of a perfect subtree: from the source's cache, else from one batch of leaves, else from its two halves. */
async function perfectHash(source: NodeSource, start: number, size: number): Promise<Buffer> {
  if (size === 1) return sourceHash(await source.leafHash(start), `leaf ${start}`);
  const cached = await source.subtreeHash?.(start, size);
  if (cached !== undefined) return sourceHash(cached, `the subtree of leaves ${start}..${start + size - 1}`);
  if (source.leafHashes !== undefined && size <= MAX_LEAF_BATCH) {
    const leaves = await source.leafHashes(start, size);
    if (leaves.length !== size) {
      throw new SluiceError('SLUICE_STATE_STORE', `the audit log returned ${leaves.length} leaf hashes for leaves ${start}..${start + size - 1}, not ${size}`);
    }
    let level = leaves.map((h, i) => sourceHash(h, `leaf ${start + i}`));
    while (level.length > 1) {
      const next: Buffer[] = [];
      for (let i = 0; i < level.length; i += 2) next.push(nodeHash(level[i]!, level[i + 1]!));
      level = next;
    }
    return level[0]!;
  }
  const halfSize = size / 2;
  return nodeHash(await perfectHash(source, start, halfSize), await perfectHash(source, start + halfSize, halfSize));
}

/** A hash read from the log's storage: 32 bytes, or the store is damaged. */
function sourceHash(value: unknown, what: string): Buffer {
  if (!(value instanceof Uint8Array) || value.length !== HASH_SIZE) {
    throw new SluiceError('SLUICE_STATE_STORE', `the audit log's hash of ${what} is not ${HASH_SIZE} bytes: the store is damaged`);
  }
  return Buffer.from(value);
}

function fail(message: string): never {
  throw new SluiceError('SLUICE_AUDIT_VERIFY_FAILED', message);
}

function wrongLength(kind: string, got: number, want: number, of: string): string {
  return `the ${kind} proof for ${of} has ${got} hash${got === 1 ? '' : 'es'}; it must have ${want}: it was truncated, extended, or made for another tree size`;
}

function checkCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) fail(`the ${name} must be a whole number from 0 to 2^53 - 1, not ${String(value)}`);
}

function requireCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new SluiceError('SLUICE_USAGE', `the ${name} must be a whole number from 0 to 2^53 - 1, not ${String(value)}`);
  }
}

function checkHash(name: string, value: Uint8Array): void {
  if (!(value instanceof Uint8Array) || value.length !== HASH_SIZE) {
    fail(`the ${name} must be ${HASH_SIZE} bytes (SHA-256), not ${value instanceof Uint8Array ? value.length : typeof value}`);
  }
}

// Sizes reach past 2^32, so arithmetic instead of bitwise operators (which truncate to 32 bits).
function lsb(n: number): boolean {
  return n % 2 === 1;
}

function half(n: number): number {
  return Math.floor(n / 2);
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && highestPowerOfTwo(n) === n;
}

function highestPowerOfTwo(n: number): number {
  let p = 1;
  while (p * 2 <= n) p *= 2;
  return p;
}
