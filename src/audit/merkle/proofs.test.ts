// Inclusion and consistency proofs: the RFC 6962 known answers and transparency-dev's corruption probes (the same
// set as its testdata/inclusion and testdata/consistency wantErr files), fast-check properties over random trees,
// the stored-subtree layout (same proofs, bounded leaf reads), sizes past 2^32, and the denials.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { emptyRoot, leafHash, MerkleAccumulator, nodeHash, rootOf } from './merkle-hash.ts';
import {
  consistencyPathLength,
  inclusionPathLength,
  proveConsistency,
  proveInclusion,
  verifyConsistency,
  verifyInclusion,
  type NodeSource,
} from './proofs.ts';
import { MemorySubtreeStore, recordStoredSubtrees, storedNodeSource } from './subtree-store.ts';
import { CONSISTENCY_PROOFS, INCLUSION_PROOFS, LEAVES, ROOTS, SOME_HASH } from './rfc6962-vectors.ts';
import { isSluiceError } from '../../errors.ts';

const hex = (s: string) => Buffer.from(s, 'hex');
const failed = (e: unknown) => isSluiceError(e, 'SLUICE_AUDIT_VERIFY_FAILED');
const vectorLeaves = LEAVES.map((d) => leafHash(hex(d)));

/** A NodeSource over leaf hashes in memory, counting reads. */
function memorySource(leaves: readonly Buffer[]): NodeSource & { reads: number } {
  const source = {
    reads: 0,
    leafHash: async (index: number) => {
      source.reads++;
      const leaf = leaves[index];
      if (leaf === undefined) throw new Error(`no leaf ${index}`);
      return leaf;
    },
  };
  return source;
}

function flipBit(path: readonly Buffer[], i: number, mask: number): Buffer[] {
  return path.map((h, j) => (j === i ? Buffer.from(h.map((b, k) => (k === 0 ? b ^ mask : b))) : h));
}

interface InclusionProbe {
  leafIndex: number;
  treeSize: number;
  rootHash: Buffer;
  leafHash: Buffer;
  path: Buffer[];
  desc: string;
}

/** transparency-dev/merkle proof/verify_test.go corruptInclusionProof: each must fail. */
function corruptInclusion(leafIndex: number, treeSize: number, path: Buffer[], rootHash: Buffer, leaf: Buffer): InclusionProbe[] {
  const probe = (desc: string, change: Partial<InclusionProbe>): InclusionProbe => ({ leafIndex, treeSize, rootHash, leafHash: leaf, path, desc, ...change });
  const probes = [
    probe('leafIndex - 1', { leafIndex: leafIndex - 1 }),
    probe('leafIndex + 1', { leafIndex: leafIndex + 1 }),
    probe('leafIndex ^ 2', { leafIndex: leafIndex ^ 2 }),
    probe('treeSize * 2', { treeSize: treeSize * 2 }),
    probe('treeSize / 2', { treeSize: Math.floor(treeSize / 2) }),
    probe('wrong leaf', { leafHash: Buffer.from('WrongLeaf') }),
    probe('empty root', { rootHash: emptyRoot() }),
    probe('random root', { rootHash: hex(SOME_HASH) }),
    probe('trailing garbage', { path: [...path, Buffer.alloc(0)] }),
    probe('trailing root', { path: [...path, rootHash] }),
    probe('preceding garbage', { path: [Buffer.alloc(0), ...path] }),
    probe('preceding root', { path: [rootHash, ...path] }),
  ];
  for (let i = 0; i < path.length; i++) probes.push(probe(`modified proof[${i}] bit 3`, { path: flipBit(path, i, 8) }));
  if (path.length > 0) probes.push(probe('removed component', { path: path.slice(0, -1) }));
  if (path.length > 1) probes.push(probe('inserted component', { path: [path[0]!, hex(SOME_HASH), ...path.slice(1)] }));
  return probes;
}

interface ConsistencyProbe {
  size1: number;
  size2: number;
  root1: Buffer;
  root2: Buffer;
  path: Buffer[];
  desc: string;
}

/** transparency-dev/merkle proof/verify_test.go corruptConsistencyProof: each must fail. */
function corruptConsistency(size1: number, size2: number, root1: Buffer, root2: Buffer, path: Buffer[]): ConsistencyProbe[] {
  const probe = (desc: string, change: Partial<ConsistencyProbe>): ConsistencyProbe => ({ size1, size2, root1, root2, path, desc, ...change });
  const probes = [
    probe('size1 - 1', { size1: size1 - 1 }),
    probe('size1 + 1', { size1: size1 + 1 }),
    probe('size1 ^ 2', { size1: size1 ^ 2 }),
    probe('size2 * 2', { size2: size2 * 2 }),
    probe('size2 / 2', { size2: Math.floor(size2 / 2) }),
    probe('wrong root1', { root1: Buffer.from('WrongRoot') }),
    probe('wrong root2', { root2: Buffer.from('WrongRoot') }),
    probe('swapped roots', { root1: root2, root2: root1 }),
    probe('empty proof', { path: [] }),
    probe('trailing garbage', { path: [...path, Buffer.alloc(0)] }),
    probe('trailing root1', { path: [...path, root1] }),
    probe('trailing root2', { path: [...path, root2] }),
    probe('preceding garbage', { path: [Buffer.alloc(0), ...path] }),
    probe('preceding root1', { path: [root1, ...path] }),
    probe('preceding root2', { path: [root2, ...path] }),
    probe('preceding proof[0]', { path: [path[0]!, ...path] }),
  ];
  if (path.length > 0) probes.push(probe('truncated proof', { path: path.slice(0, -1) }));
  for (let i = 0; i < path.length; i++) probes.push(probe(`modified proof[${i}] bit 4`, { path: flipBit(path, i, 16) }));
  return probes;
}

test('RFC 6962 inclusion vectors: generated paths equal the known answers, verify, and every corruption fails', async () => {
  for (const vector of INCLUSION_PROOFS) {
    const leafIndex = vector.leaf - 1;
    const path = vector.path.map(hex);
    const rootHash = hex(ROOTS[vector.size - 1]!);
    const leaf = vectorLeaves[leafIndex]!;
    const what = `leaf ${leafIndex} of ${vector.size}`;
    assert.deepEqual(await proveInclusion(memorySource(vectorLeaves.slice(0, vector.size)), leafIndex, vector.size), path, what);
    assert.equal(inclusionPathLength(leafIndex, vector.size), path.length, what);
    verifyInclusion({ leafIndex, treeSize: vector.size, leafHash: leaf, path, rootHash });
    for (const p of corruptInclusion(leafIndex, vector.size, path, rootHash, leaf)) {
      assert.throws(() => verifyInclusion(p), failed, `${what}: ${p.desc} verified`);
    }
  }
});

test('RFC 6962 consistency vectors: generated paths equal the known answers, verify, and every corruption fails', async () => {
  for (const vector of CONSISTENCY_PROOFS) {
    const path = vector.path.map(hex);
    const root1 = hex(ROOTS[vector.size1 - 1]!);
    const root2 = hex(ROOTS[vector.size2 - 1]!);
    const what = `${vector.size1} to ${vector.size2}`;
    assert.deepEqual(await proveConsistency(memorySource(vectorLeaves.slice(0, vector.size2)), vector.size1, vector.size2), path, what);
    verifyConsistency({ size1: vector.size1, size2: vector.size2, root1, root2, path });
    // As in verify_test.go, only non-trivial proofs are corrupted.
    if (path.length === 0) continue;
    assert.equal(consistencyPathLength(vector.size1, vector.size2), path.length, what);
    for (const p of corruptConsistency(vector.size1, vector.size2, root1, root2, path)) {
      assert.throws(() => verifyConsistency(p), failed, `${what}: ${p.desc} verified`);
    }
  }
});

test("verify_test.go edge cases: single entry, empty and tiny trees, time travel (with Sluice's stricter empty root)", () => {
  const h = leafHash(Buffer.from('data'));
  verifyInclusion({ leafIndex: 0, treeSize: 1, leafHash: h, path: [], rootHash: h });
  for (const [leaf, root] of [
    [h, Buffer.alloc(0)],
    [Buffer.alloc(0), h],
    [Buffer.alloc(0), Buffer.alloc(0)],
  ] as const) {
    assert.throws(() => verifyInclusion({ leafIndex: 0, treeSize: 1, leafHash: leaf, path: [], rootHash: root }), failed);
  }
  for (const [leafIndex, treeSize] of [
    [0, 0],
    [0, 1],
    [1, 0],
    [2, 1],
  ] as const) {
    assert.throws(() => verifyInclusion({ leafIndex, treeSize, leafHash: hex(SOME_HASH), path: [], rootHash: emptyRoot() }), failed);
  }

  const a = createHash('sha256').update("don't care 1").digest();
  const b = createHash('sha256').update("don't care 2").digest();
  const empty = emptyRoot();
  const cases: Array<[size1: number, size2: number, root1: Buffer, root2: Buffer, path: Buffer[], ok: boolean]> = [
    [0, 0, a, b, [], false],
    [1, 1, a, b, [], false],
    // Always consistent. verify_test.go accepts any root1 at size 0; Sluice insists on MTH({}).
    [0, 0, empty, empty, [], true],
    [0, 1, empty, b, [], true],
    [0, 1, a, b, [], false],
    [1, 1, b, b, [], true],
    // Time travel to the past.
    [1, 0, a, b, [], false],
    [2, 1, a, b, [], false],
    // Empty proof.
    [1, 2, a, b, [], false],
    // Roots don't match.
    [0, 0, empty, b, [], false],
    [1, 1, empty, b, [], false],
    // Roots match but the proof is not empty.
    [0, 0, empty, empty, [empty], false],
    [0, 1, empty, empty, [empty], false],
    [1, 1, empty, empty, [empty], false],
  ];
  for (const [size1, size2, root1, root2, path, ok] of cases) {
    const run = () => verifyConsistency({ size1, size2, root1, root2, path });
    if (ok) run();
    else assert.throws(run, failed, `${size1} to ${size2} verified`);
  }
});

test('failures say which check failed', () => {
  const path = INCLUSION_PROOFS[1]!.path.map(hex);
  const base = { leafIndex: 0, treeSize: 8, leafHash: vectorLeaves[0]!, path, rootHash: hex(ROOTS[7]!) };
  const message = (run: () => void) => {
    try {
      run();
    } catch (error) {
      assert.ok(failed(error));
      return (error as Error).message;
    }
    assert.fail('verified');
  };
  assert.match(message(() => verifyInclusion({ ...base, path: path.slice(0, 2) })), /has 2 hashes; it must have 3/);
  assert.match(message(() => verifyInclusion({ ...base, path: [...path, path[0]!] })), /has 4 hashes; it must have 3/);
  assert.match(message(() => verifyInclusion({ ...base, rootHash: hex(SOME_HASH) })), /does not lead to the root hash of the tree of 8/);
  assert.match(message(() => verifyInclusion({ ...base, leafIndex: 8 })), /leaf index 8 is not in a tree of 8 leaves/);
  assert.match(message(() => verifyInclusion({ ...base, path: [Buffer.alloc(31), ...path.slice(1)] })), /inclusion path hash 0 must be 32 bytes/);
  assert.match(message(() => verifyInclusion({ ...base, treeSize: -1 })), /tree size must be a whole number/);
  const c = CONSISTENCY_PROOFS[2]!;
  const cBase = { size1: 6, size2: 8, root1: hex(ROOTS[5]!), root2: hex(ROOTS[7]!), path: c.path.map(hex) };
  assert.match(message(() => verifyConsistency({ ...cBase, root1: hex(ROOTS[4]!) })), /does not lead to the first root hash/);
  assert.match(message(() => verifyConsistency({ ...cBase, root2: hex(ROOTS[6]!) })), /does not lead to the second root hash/);
  assert.match(message(() => verifyConsistency({ ...cBase, path: [] })), /has 0 hashes; it must have 3/);
  assert.match(message(() => verifyConsistency({ ...cBase, size1: 9 })), /a log never shrinks/);
  assert.match(message(() => verifyConsistency({ ...cBase, size1: 8, root1: hex(ROOTS[6]!), path: [] })), /different root hashes/);
});

/** Distinct leaves for a random tree: with repeated leaves a proof may rightly verify at another index. */
const distinctLeaves = (n: number, seed: number) => Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`${seed}:${i}`)));
const randomHash = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b));

test('property: every inclusion proof verifies; a flipped bit, another index or size, or a cut or longer path fails', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 300 }).chain((n) =>
        fc.record({ n: fc.constant(n), m: fc.nat({ max: n - 1 }), other: fc.nat({ max: 400 }), bit: fc.nat({ max: 255 }), extra: randomHash, seed: fc.nat() }),
      ),
      async ({ n, m, other, bit, extra, seed }) => {
        const leaves = distinctLeaves(Math.max(n, other + 1), seed);
        const rootAt = (size: number) => rootOf(leaves.slice(0, size));
        const path = await proveInclusion(memorySource(leaves.slice(0, n)), m, n);
        const good = { leafIndex: m, treeSize: n, leafHash: leaves[m]!, path, rootHash: rootAt(n) };
        verifyInclusion(good);
        if (path.length > 0) {
          const i = bit % path.length;
          assert.throws(() => verifyInclusion({ ...good, path: flipBit(path, i, 1 << bit % 8) }), failed, 'flipped bit');
          assert.throws(() => verifyInclusion({ ...good, path: path.slice(0, -1) }), failed, 'truncated');
        }
        assert.throws(() => verifyInclusion({ ...good, path: [...path, extra] }), failed, 'extended');
        assert.throws(() => verifyInclusion({ ...good, path: [extra, ...path] }), failed, 'prefixed');
        assert.throws(() => verifyInclusion({ ...good, leafHash: extra }), failed, 'another leaf');
        if (other !== m) assert.throws(() => verifyInclusion({ ...good, leafIndex: other }), failed, `index ${other}`);
        // Another size, against that tree's true root.
        if (other !== n && other > m) assert.throws(() => verifyInclusion({ ...good, treeSize: other, rootHash: rootAt(other) }), failed, `size ${other}`);
      },
    ),
    { seed: 9162, numRuns: 300 },
  );
});

test('property: every consistency proof verifies; a flipped bit, other sizes or roots, or a cut or longer path fails', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 300 }).chain((n) =>
        fc.record({ n: fc.constant(n), m: fc.nat({ max: n }), other: fc.integer({ min: 1, max: 400 }), bit: fc.nat({ max: 255 }), extra: randomHash, seed: fc.nat() }),
      ),
      async ({ n, m, other, bit, extra, seed }) => {
        const leaves = distinctLeaves(Math.max(n, other), seed);
        const rootAt = (size: number) => rootOf(leaves.slice(0, size));
        const path = await proveConsistency(memorySource(leaves.slice(0, n)), m, n);
        const good = { size1: m, size2: n, root1: rootAt(m), root2: rootAt(n), path };
        verifyConsistency(good);
        assert.equal(path.length, m === 0 || m === n ? 0 : consistencyPathLength(m, n));
        if (path.length > 0) {
          const i = bit % path.length;
          assert.throws(() => verifyConsistency({ ...good, path: flipBit(path, i, 1 << bit % 8) }), failed, 'flipped bit');
          assert.throws(() => verifyConsistency({ ...good, path: path.slice(0, -1) }), failed, 'truncated');
        }
        assert.throws(() => verifyConsistency({ ...good, path: [...path, extra] }), failed, 'extended');
        assert.throws(() => verifyConsistency({ ...good, path: [extra, ...path] }), failed, 'prefixed');
        // The empty tree is a prefix of every tree, whatever its root.
        if (m > 0) assert.throws(() => verifyConsistency({ ...good, root2: extra }), failed, 'another second root');
        assert.throws(() => verifyConsistency({ ...good, root1: extra }), failed, 'another first root');
        // Other sizes, against those trees' true roots (0 to anything, and n to n, are rightly consistent).
        if (other !== m && other < n) assert.throws(() => verifyConsistency({ ...good, size1: other, root1: rootAt(other) }), failed, `from ${other}`);
        if (other !== n && other > m && m > 0) assert.throws(() => verifyConsistency({ ...good, size2: other, root2: rootAt(other) }), failed, `to ${other}`);
      },
    ),
    { seed: 6962, numRuns: 300 },
  );
});

test('stored subtrees: proofs equal the leaf-only ones and read at most a few blocks of leaves, with or without gaps', async () => {
  const K = 4; // blocks of 16 leaves, so a small tree has many stored levels
  const n = 3000;
  const leaves = distinctLeaves(n, 7);
  const store = new MemorySubtreeStore();
  const accumulator = new MerkleAccumulator({ onSubtree: recordStoredSubtrees((level, index, hash) => store.put(level, index, hash), K) });
  for (const leaf of leaves) accumulator.append(leaf);
  assert.deepEqual(accumulator.root(), rootOf(leaves));
  // Levels 4 and up: floor(n/16) + floor(n/32) + …
  let expected = 0;
  for (let size = 2 ** K; size <= n; size *= 2) expected += Math.floor(n / size);
  assert.equal(store.size, expected);

  const plain = memorySource(leaves);
  const counted = memorySource(leaves);
  const stored = storedNodeSource(store, counted, K);
  const rng = fc.sample(fc.tuple(fc.integer({ min: 1, max: n }), fc.nat()), { seed: 42, numRuns: 200 });
  let mostInclusion = 0;
  let mostConsistency = 0;
  for (const [size, r] of rng) {
    const m = r % size;
    counted.reads = 0;
    assert.deepEqual(await proveInclusion(stored, m, size), await proveInclusion(plain, m, size), `inclusion ${m} of ${size}`);
    mostInclusion = Math.max(mostInclusion, counted.reads);
    counted.reads = 0;
    assert.deepEqual(await proveConsistency(stored, m, size), await proveConsistency(plain, m, size), `consistency ${m} to ${size}`);
    mostConsistency = Math.max(mostConsistency, counted.reads);
  }
  // An inclusion proof reads within the leaf's block and the last block; a consistency proof within the blocks at
  // both edges.
  assert.ok(mostInclusion <= 2 * 2 ** K, `inclusion read ${mostInclusion} leaves`);
  assert.ok(mostConsistency <= 2 * 2 ** K, `consistency read ${mostConsistency} leaves`);

  // A store with gaps (a third of the nodes lost) still gives the right proofs: missing nodes are computed.
  const gappy = { get: async (level: number, index: number) => ((level + index) % 3 === 0 ? undefined : store.get(level, index)) };
  for (const [size, r] of rng.slice(0, 40)) {
    const m = r % size;
    assert.deepEqual(await proveInclusion(storedNodeSource(gappy, plain, K), m, size), await proveInclusion(plain, m, size));
    assert.deepEqual(await proveConsistency(storedNodeSource(gappy, plain, K), m, size), await proveConsistency(plain, m, size));
  }
});

test('a source that reads leaf ranges at once is used for small subtrees, and gives the same proofs', async () => {
  const leaves = distinctLeaves(700, 3);
  const plain = memorySource(leaves);
  let ranges = 0;
  const batched: NodeSource = {
    leafHash: (index) => plain.leafHash(index),
    leafHashes: async (start, count) => {
      ranges++;
      return leaves.slice(start, start + count);
    },
  };
  for (const [m, n] of [
    [0, 700],
    [345, 700],
    [699, 700],
    [511, 512],
  ] as const) {
    assert.deepEqual(await proveInclusion(batched, m, n), await proveInclusion(plain, m, n));
    assert.deepEqual(await proveConsistency(batched, m + 1, n), await proveConsistency(plain, m + 1, n));
  }
  assert.ok(ranges > 0);
});

test('sizes past 2^32: proofs from cached subtrees verify, and the arithmetic does not wrap', async () => {
  const big = 2 ** 40;
  const n = big + 3;
  const tail = [0, 1, 2].map((i) => leafHash(Buffer.from(`tail ${i}`)));
  const p40 = createHash('sha256').update('the first 2^40 leaves').digest();
  const source: NodeSource = {
    leafHash: async (index) => {
      const leaf = tail[index - big];
      if (leaf === undefined) throw new Error(`leaf ${index} was not expected to be read`);
      return leaf;
    },
    subtreeHash: async (start, size) => (start === 0 && size === big ? p40 : undefined),
  };
  const root = nodeHash(p40, nodeHash(nodeHash(tail[0]!, tail[1]!), tail[2]!));
  for (let i = 0; i < 3; i++) {
    const path = await proveInclusion(source, big + i, n);
    assert.equal(path.length, inclusionPathLength(big + i, n));
    verifyInclusion({ leafIndex: big + i, treeSize: n, leafHash: tail[i]!, path, rootHash: root });
    assert.throws(() => verifyInclusion({ leafIndex: big + i - 2 ** 32, treeSize: n, leafHash: tail[i]!, path, rootHash: root }), failed);
  }
  const path = await proveConsistency(source, big, n);
  assert.deepEqual(path, [nodeHash(nodeHash(tail[0]!, tail[1]!), tail[2]!)]);
  verifyConsistency({ size1: big, size2: n, root1: p40, root2: root, path });
  assert.throws(() => verifyConsistency({ size1: big - 2 ** 32, size2: n, root1: p40, root2: root, path }), failed);
});

test('denials: generation refuses impossible indexes and sizes (SLUICE_USAGE) and a damaged store (SLUICE_STATE_STORE)', async () => {
  const source = memorySource(vectorLeaves);
  const usage = (e: unknown) => isSluiceError(e, 'SLUICE_USAGE');
  await assert.rejects(proveInclusion(source, 8, 8), usage);
  await assert.rejects(proveInclusion(source, -1, 8), usage);
  await assert.rejects(proveInclusion(source, 0, 0), usage);
  await assert.rejects(proveInclusion(source, 0.5, 8), usage);
  await assert.rejects(proveConsistency(source, 5, 4), usage);
  await assert.rejects(proveConsistency(source, 1, Number.NaN), usage);
  assert.deepEqual(await proveConsistency(source, 0, 8), []);
  assert.deepEqual(await proveConsistency(source, 8, 8), []);
  const damaged: NodeSource = { leafHash: async () => Buffer.alloc(20) };
  await assert.rejects(proveInclusion(damaged, 0, 2), (e) => isSluiceError(e, 'SLUICE_STATE_STORE'));
  const short: NodeSource = { leafHash: (index) => source.leafHash(index), leafHashes: async () => [] };
  await assert.rejects(proveInclusion(short, 0, 8), (e) => isSluiceError(e, 'SLUICE_STATE_STORE'));
  const badCache: NodeSource = { leafHash: (index) => source.leafHash(index), subtreeHash: async () => Buffer.alloc(1) };
  await assert.rejects(proveInclusion(badCache, 0, 8), (e) => isSluiceError(e, 'SLUICE_STATE_STORE'));
});
