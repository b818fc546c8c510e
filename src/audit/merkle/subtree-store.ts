// The persisted layout that makes audit proofs fast on a large log: the roots of aligned perfect subtrees of 2^8
// leaves and more, stored beside the events, and the NodeSource that reads them and computes the rest from leaves.
//
// Layout. Node (level L, index i) is MTH(D[i·2^L : (i+1)·2^L]), the root of the perfect subtree over leaves
// i·2^L to (i+1)·2^L - 1. It is the same hash in every tree of at least (i+1)·2^L leaves, because RFC 9162 trees
// only grow on the right; so it is written once, when its last leaf is appended (MerkleAccumulator's onSubtree says
// exactly when), and never changes. A log stores the nodes of every level L ≥ K = STORED_FROM_LEVEL = 8: one node
// per 256 leaves, one per 512, and so on, fewer than n/2^(K-1) in all: under 78,125 nodes (2.5 MB of hashes) for
// 10M events, against 20M for every node. A table (level, idx) → hash, primary key (level, idx), is enough;
// `SubtreeStore.get` is its lookup.
//
// Reading. Every hash in a proof is the MTH of a range that starts at a multiple of its largest power of two, so it
// splits into perfect subtrees, largest first (proofs.ts). One of level ≥ K is one stored read; one of level < K lies
// inside a single block of 2^K leaves and is computed from them. An inclusion proof touches the leaf's block and the
// tree's last, partial block; a consistency proof the blocks at both tree sizes' edges. So a proof costs O(log n)
// stored reads plus at most a few blocks of 256 leaf hashes, whatever n is. A node that is missing (a store written
// before this layout, or a write lost in a crash) is computed from its two halves, so a gap costs time, never
// correctness; and a wrong stored node gives a proof that fails verification against the signed checkpoint, because
// the prover is never trusted.
import { HASH_SIZE, type SubtreeListener } from './merkle-hash.ts';
import type { NodeSource } from './proofs.ts';
import { SluiceError } from '../../errors.ts';

/** The lowest stored level: one stored node per 2^8 = 256 leaves, and every level above. */
export const STORED_FROM_LEVEL = 8;

/** Stored perfect-subtree roots, as the state store keeps them. */
export interface SubtreeStore {
  /** The root of the perfect subtree (level, index), or undefined if it is not stored. */
  get(level: number, index: number): Promise<Buffer | undefined>;
}

/** Where the leaf hashes come from: the events' table, typically. */
export type LeafSource = Pick<NodeSource, 'leafHash' | 'leafHashes'>;

/** A NodeSource over stored subtrees of level ≥ `storedFromLevel` and leaves for the rest. */
export function storedNodeSource(store: SubtreeStore, leaves: LeafSource, storedFromLevel = STORED_FROM_LEVEL): NodeSource {
  const source: NodeSource = {
    leafHash: (index) => leaves.leafHash(index),
    subtreeHash: async (start, size) => {
      const level = Math.log2(size);
      if (!Number.isInteger(level) || level < storedFromLevel || start % size !== 0) return undefined;
      return store.get(level, start / size);
    },
  };
  const { leafHashes } = leaves;
  if (leafHashes !== undefined) source.leafHashes = (start, count) => leafHashes.call(leaves, start, count);
  return source;
}

/**
 * The MerkleAccumulator listener a writer installs: it passes on each completed subtree of level ≥ `storedFromLevel`
 * to `put` (which writes it in the same transaction as the event that completed it).
 */
export function recordStoredSubtrees(put: SubtreeListener, storedFromLevel = STORED_FROM_LEVEL): SubtreeListener {
  return (level, index, hash) => {
    if (level >= storedFromLevel) put(level, index, hash);
  };
}

/** SubtreeStore in memory: for tests, measurements and short-lived logs. */
export class MemorySubtreeStore implements SubtreeStore {
  readonly #levels: Buffer[][] = [];
  #count = 0;

  put(level: number, index: number, hash: Uint8Array): void {
    if (!Number.isSafeInteger(level) || level < 0 || !Number.isSafeInteger(index) || index < 0 || hash.length !== HASH_SIZE) {
      throw new SluiceError('SLUICE_CRYPTO_PARAMETERS', `a stored subtree needs a level, an index and a ${HASH_SIZE}-byte hash`);
    }
    const row = (this.#levels[level] ??= []);
    if (row[index] === undefined) this.#count++;
    row[index] = Buffer.from(hash);
  }

  async get(level: number, index: number): Promise<Buffer | undefined> {
    return this.#levels[level]?.[index];
  }

  /** How many nodes are stored. */
  get size(): number {
    return this.#count;
  }
}
