// Merkle hashing: RFC 6962 known answers (transparency-dev/merkle), and the accumulator against the batch root at every
// size, including resumption from a persisted state and the subtrees it announces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { emptyRoot, latin1, leafHash, leafHashOfText, MerkleAccumulator, nodeHash, nodeHashLatin1, rootOf, splitPoint } from './merkle-hash.ts';
import { HASHER_ANSWERS, LEAVES, ROOTS } from './rfc6962-vectors.ts';
import { isSluiceError } from '../../errors.ts';

const hex = (s: string) => Buffer.from(s, 'hex');

/** MTH by RFC 9162 §2.1.1's recursive definition, straight from the text, to check the iterative code against. */
function referenceRoot(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return createHash('sha256').digest();
  if (leaves.length === 1) return leaves[0]!;
  const k = splitPoint(leaves.length);
  return nodeHash(referenceRoot(leaves.slice(0, k)), referenceRoot(leaves.slice(k)));
}

test('RFC 6962 hasher known answers: empty tree, empty leaf, a leaf and a node', () => {
  assert.equal(emptyRoot().toString('hex'), HASHER_ANSWERS.emptyRoot);
  assert.equal(leafHash(new Uint8Array(0)).toString('hex'), HASHER_ANSWERS.emptyLeaf);
  assert.equal(leafHash(Buffer.from('L123456')).toString('hex'), HASHER_ANSWERS.leafL123456);
  // The known answer hashes 4-byte "children", so this also shows nodeHash takes what it is given.
  assert.equal(nodeHash(Buffer.from('N123'), Buffer.from('N456')).toString('hex'), HASHER_ANSWERS.nodeN123N456);
});

test('RFC 6962 roots of the 8-leaf test tree at every size 1..8, batch and accumulated', () => {
  const leaves = LEAVES.map((d) => leafHash(hex(d)));
  const accumulator = new MerkleAccumulator();
  for (let size = 1; size <= 8; size++) {
    assert.equal(rootOf(leaves.slice(0, size)).toString('hex'), ROOTS[size - 1], `rootOf, size ${size}`);
    accumulator.append(leaves[size - 1]!);
    assert.equal(accumulator.root().toString('hex'), ROOTS[size - 1], `accumulator, size ${size}`);
  }
  assert.deepEqual(rootOf([]), emptyRoot());
  assert.deepEqual(new MerkleAccumulator().root(), emptyRoot());
});

test('leaves and nodes are domain-separated: a node is not the leaf of its children concatenated', () => {
  const a = leafHash(Buffer.from('Hello'));
  const b = leafHash(Buffer.from('World'));
  assert.notDeepEqual(nodeHash(a, b), leafHash(Buffer.concat([a, b])));
  assert.notDeepEqual(nodeHash(a, b), nodeHash(b, a));
});

test('property: the accumulator root equals the RFC recursive root at every size, and survives a save and restore', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 16 }), { maxLength: 70 }), fc.nat(), (data, cut) => {
      const leaves = data.map((d) => leafHash(d));
      const restoreAt = data.length === 0 ? 0 : cut % (data.length + 1);
      let accumulator = new MerkleAccumulator();
      assert.deepEqual(accumulator.root(), referenceRoot([]));
      for (let i = 0; i < leaves.length; i++) {
        if (i === restoreAt) accumulator = MerkleAccumulator.restore(accumulator.state());
        accumulator.append(leaves[i]!);
        assert.deepEqual(accumulator.root(), referenceRoot(leaves.slice(0, i + 1)), `size ${i + 1}`);
      }
      assert.equal(accumulator.size, leaves.length);
      assert.deepEqual(rootOf(leaves), referenceRoot(leaves));
    }),
    { seed: 6962, numRuns: 300 },
  );
});

test('the accumulator announces every perfect subtree once, when complete, with its true root', () => {
  const leaves = Array.from({ length: 300 }, (_, i) => leafHash(Buffer.from(String(i))));
  const seen = new Map<string, Buffer>();
  const accumulator = new MerkleAccumulator({
    onSubtree: (level, index, hash) => {
      const key = `${level}/${index}`;
      assert.ok(!seen.has(key), `announced twice: ${key}`);
      // Complete exactly now: its last leaf is the one just appended.
      assert.equal((index + 1) * 2 ** level, accumulator.size + 1, key);
      seen.set(key, hash);
    },
  });
  for (const leaf of leaves) accumulator.append(leaf);
  let expected = 0;
  for (let level = 1; 2 ** level <= leaves.length; level++) {
    for (let index = 0; (index + 1) * 2 ** level <= leaves.length; index++) {
      expected++;
      const subtree = leaves.slice(index * 2 ** level, (index + 1) * 2 ** level);
      assert.deepEqual(seen.get(`${level}/${index}`), referenceRoot(subtree), `${level}/${index}`);
    }
  }
  assert.equal(seen.size, expected);
});

test('denials: a leaf hash of the wrong size, and a state that does not fit its size, are refused', () => {
  const accumulator = new MerkleAccumulator();
  assert.throws(() => accumulator.append(Buffer.alloc(31)), (e) => isSluiceError(e, 'SLUICE_CRYPTO_PARAMETERS'));
  assert.throws(() => accumulator.append(Buffer.from('not a hash')), (e) => isSluiceError(e, 'SLUICE_CRYPTO_PARAMETERS'));
  const h = leafHash(Buffer.from('x'));
  // Size 3 = 0b11 holds two roots.
  assert.throws(() => MerkleAccumulator.restore({ size: 3, hashes: [h] }), (e) => isSluiceError(e, 'SLUICE_CRYPTO_PARAMETERS'));
  assert.throws(() => MerkleAccumulator.restore({ size: 1, hashes: [Buffer.alloc(16)] }), (e) => isSluiceError(e, 'SLUICE_CRYPTO_PARAMETERS'));
  assert.throws(() => MerkleAccumulator.restore({ size: -1, hashes: [] }), (e) => isSluiceError(e, 'SLUICE_CRYPTO_PARAMETERS'));
  assert.throws(() => MerkleAccumulator.restore({ size: 1.5, hashes: [h] }), (e) => isSluiceError(e, 'SLUICE_CRYPTO_PARAMETERS'));
  assert.equal(MerkleAccumulator.restore({ size: 3, hashes: [h, h] }).size, 3);
});

test('the accumulator handles sizes past 2^32 (no 32-bit arithmetic)', () => {
  const h = leafHash(Buffer.from('x'));
  // 2^32 leaves: one perfect subtree. Appending one more makes two roots, and the root folds them.
  const big = MerkleAccumulator.restore({ size: 2 ** 32, hashes: [h] });
  big.append(h);
  assert.equal(big.size, 2 ** 32 + 1);
  assert.deepEqual(big.root(), nodeHash(h, h));
  assert.equal(big.state().hashes.length, 2);
});

test('property: the latin1 hashing the verifier uses gives the bytes of the Buffer hashing (any text, lone surrogates included)', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (text, left, right) => {
      assert.equal(leafHashOfText(text), latin1(leafHash(Buffer.from(text, 'utf8'))));
      assert.equal(nodeHashLatin1(latin1(left), latin1(right)), latin1(nodeHash(left, right)));
    }),
    { numRuns: 500 },
  );
  // Lone surrogates are written as U+FFFD by both.
  assert.equal(leafHashOfText('a\ud800b'), latin1(leafHash(Buffer.from('a\ud800b', 'utf8'))));
});

test('appendLatin1 and rootLatin1 agree with append and root', () => {
  const byBuffer = new MerkleAccumulator();
  const byLatin1 = new MerkleAccumulator();
  for (let i = 0; i < 37; i++) {
    const leaf = leafHash(Buffer.from(`event ${i}`));
    byBuffer.append(leaf);
    byLatin1.appendLatin1(leafHashOfText(`event ${i}`));
    assert.ok(byBuffer.root().equals(Buffer.from(byLatin1.rootLatin1(), 'latin1')));
  }
  assert.throws(() => byLatin1.appendLatin1('short'), (e) => isSluiceError(e, 'SLUICE_CRYPTO_PARAMETERS'));
});
