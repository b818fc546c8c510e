// RFC 9162 §2.1.1 Merkle tree hashing for the audit log: leaf and node hashes, the root of a list of leaf hashes,
// and the incremental accumulator the log writer keeps (O(log n) memory, the root at any size).
import { hash } from 'node:crypto';
import { SluiceError } from '../../errors.ts';

/** SHA-256: every hash in the tree is 32 bytes. */
export const HASH_SIZE = 32;

// RFC 9162 §2.1.1: domain separation between leaves and interior nodes, so a leaf can never pass for a node
// (the second-preimage attack on plain Merkle trees).
const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

// Speed: verifying a log costs two SHA-256 per event (its leaf, and amortised one node), so the per-call overhead is
// the budget. On Node 20, createHash().update().digest() costs about 4 µs for 65 bytes and crypto.hash(…, 'buffer')
// about 2.5 µs, almost all of it making the result Buffer; crypto.hash to a latin1 string, one char per byte, about
// 0.45 µs. So hashes in the hot paths are latin1 strings (Latin1Hash), written into one scratch buffer when they are
// hashed again (these functions are synchronous) and made Buffers only at the edges.
function sha256(input: Uint8Array): Buffer {
  return Buffer.from(hash('sha256', input, 'binary'), 'latin1');
}

/** A 32-byte hash as a latin1 string (one char per byte): what the hot paths pass around instead of Buffers. */
export type Latin1Hash = string;

const nodeInput = Buffer.alloc(1 + 2 * HASH_SIZE);
nodeInput[0] = NODE_PREFIX;

/** MTH({}) = SHA-256() (RFC 9162 §2.1.1): the root of the empty tree. */
const EMPTY_ROOT = sha256(new Uint8Array(0));

export function emptyRoot(): Buffer {
  return Buffer.from(EMPTY_ROOT);
}

/**
 * leafHash of a text's UTF-8 bytes, as a latin1 string. crypto.hash encodes a string input as UTF-8 (a lone
 * surrogate as U+FFFD, as Buffer.from does) and NUL is the one byte 0x00, so no Buffer is made.
 */
export function leafHashOfText(text: string): Latin1Hash {
  return hash('sha256', `\u0000${text}`, 'binary');
}

/** MTH({d(0)}) = SHA-256(0x00 || d(0)): the hash of one leaf's data. */
export function leafHash(data: Uint8Array): Buffer {
  const input = Buffer.allocUnsafe(1 + data.length);
  input[0] = LEAF_PREFIX;
  input.set(data, 1);
  return sha256(input);
}

/**
 * SHA-256(0x01 || left || right): an interior node. The tree's children are HASH_SIZE bytes (callers that take
 * hashes from outside, like proof verification, check that first); other sizes are hashed as given.
 */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) {
    return sha256(Buffer.concat([Uint8Array.of(NODE_PREFIX), left, right]));
  }
  nodeInput.set(left, 1);
  nodeInput.set(right, 1 + HASH_SIZE);
  return sha256(nodeInput);
}

/** nodeHash of two latin1 hashes, as a latin1 string. */
export function nodeHashLatin1(left: Latin1Hash, right: Latin1Hash): Latin1Hash {
  nodeInput.write(left, 1, HASH_SIZE, 'latin1');
  nodeInput.write(right, 1 + HASH_SIZE, HASH_SIZE, 'latin1');
  return hash('sha256', nodeInput, 'binary');
}

/** The largest power of two smaller than n (n ≥ 2): RFC 9162's k, where every subtree splits. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[n]) of a list of leaf hashes (RFC 9162 §2.1.1), in O(log n) memory beside the list. */
export function rootOf(leafHashes: readonly Uint8Array[]): Buffer {
  const accumulator = new MerkleAccumulator();
  for (const leaf of leafHashes) accumulator.append(leaf);
  return accumulator.root();
}

/** Told of every perfect subtree the accumulator completes: its level (log2 of its leaf count), index and root. */
export type SubtreeListener = (level: number, index: number, hash: Buffer) => void;

/** What a writer persists to resume an accumulator: the size and the roots of its perfect subtrees. */
export interface AccumulatorState {
  size: number;
  /** One root per set bit of `size`, the largest (leftmost) subtree first. */
  hashes: Buffer[];
}

/**
 * The compact representation of a tree (transparency-dev's "compact range" of [0, n)): the roots of the perfect
 * subtrees that make up the first n leaves, one per set bit of n. Appending merges equal-sized subtrees like a binary
 * counter carries (the stack and merge_count of RFC 9162 §2.1.2, verifying a tree head given entries), so memory is
 * O(log n) and each append costs one leaf plus amortised one node hash.
 *
 * The root at size n folds those roots from the right: MTH(D[n]) = H(r0 || H(r1 || … H(r(j-1) || rj))), which is
 * RFC 9162's recursive split at the largest power of two (each set bit is the k of the split below it).
 */
export class MerkleAccumulator {
  #size = 0;
  readonly #stack: Latin1Hash[] = [];
  readonly #onSubtree: SubtreeListener | undefined;

  /**
   * `onSubtree` hears every perfect subtree of two or more leaves as it completes: the log writer stores those of
   * level ≥ STORED_FROM_LEVEL (subtree-store.ts) so proofs need not read every leaf.
   */
  constructor(options: { onSubtree?: SubtreeListener } = {}) {
    this.#onSubtree = options.onSubtree;
  }

  /** Resumes from a persisted state (checked: one 32-byte root per set bit of the size). */
  static restore(state: AccumulatorState, options: { onSubtree?: SubtreeListener } = {}): MerkleAccumulator {
    if (!Number.isSafeInteger(state.size) || state.size < 0) {
      throw new SluiceError('SLUICE_CRYPTO_PARAMETERS', `a Merkle accumulator size must be a non-negative integer, not ${state.size}`);
    }
    const expected = bitCount(state.size);
    if (state.hashes.length !== expected || state.hashes.some((h) => h.length !== HASH_SIZE)) {
      throw new SluiceError(
        'SLUICE_CRYPTO_PARAMETERS',
        `a Merkle accumulator of size ${state.size} holds ${expected} hashes of ${HASH_SIZE} bytes; this state has ${state.hashes.length}`,
      );
    }
    const accumulator = new MerkleAccumulator(options);
    accumulator.#size = state.size;
    for (const h of state.hashes) accumulator.#stack.push(latin1(h));
    return accumulator;
  }

  /** How many leaves were appended. */
  get size(): number {
    return this.#size;
  }

  /** Appends the next leaf hash (leafHash(data), not the data). */
  append(leaf: Uint8Array): void {
    if (leaf.length !== HASH_SIZE) {
      throw new SluiceError('SLUICE_CRYPTO_PARAMETERS', `a leaf hash is ${HASH_SIZE} bytes, not ${leaf.length}: append leafHash(data)`);
    }
    this.appendLatin1(latin1(leaf));
  }

  /** append() for a leaf hash held as a latin1 string (leafHashOfText), as the verifier does. */
  appendLatin1(leaf: Latin1Hash): void {
    if (leaf.length !== HASH_SIZE) throw new SluiceError('SLUICE_CRYPTO_PARAMETERS', `a leaf hash is ${HASH_SIZE} bytes, not ${leaf.length}`);
    let node = leaf;
    let index = this.#size;
    let level = 0;
    // Each trailing 1 bit of the old size is a perfect subtree as large as the one just made: merge (carry).
    for (let carry = this.#size; carry % 2 === 1; carry = (carry - 1) / 2) {
      node = nodeHashLatin1(this.#stack.pop()!, node);
      level++;
      index = Math.floor(index / 2);
      this.#onSubtree?.(level, index, Buffer.from(node, 'latin1'));
    }
    this.#stack.push(node);
    this.#size++;
  }

  /** MTH(D[size]): the root at the current size (the empty tree's root at size 0). */
  root(): Buffer {
    return this.#stack.length === 0 ? emptyRoot() : Buffer.from(this.rootLatin1(), 'latin1');
  }

  /** root() as a latin1 string. */
  rootLatin1(): Latin1Hash {
    if (this.#stack.length === 0) return latin1(EMPTY_ROOT);
    let root = this.#stack[this.#stack.length - 1]!;
    for (let i = this.#stack.length - 2; i >= 0; i--) root = nodeHashLatin1(this.#stack[i]!, root);
    return root;
  }

  /** A copy of the state to persist beside the log. */
  state(): AccumulatorState {
    return { size: this.#size, hashes: this.#stack.map((h) => Buffer.from(h, 'latin1')) };
  }
}

/** A hash's bytes as a latin1 string. */
export function latin1(bytes: Uint8Array): Latin1Hash {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** Set bits of a non-negative safe integer (beyond 32 bits, so no bitwise operators). */
function bitCount(n: number): number {
  let count = 0;
  for (let rest = n; rest > 0; rest = Math.floor(rest / 2)) count += rest % 2;
  return count;
}
