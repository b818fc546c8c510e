// The proof JSON format: what the builders write, strict parsing, and checking a proof against checkpoints (another
// log, another tree size, a rewritten history).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leafHash, rootOf } from './merkle-hash.ts';
import { proveConsistency, proveInclusion, type NodeSource } from './proofs.ts';
import {
  consistencyProofJson,
  inclusionProofJson,
  parseConsistencyProofJson,
  parseInclusionProofJson,
  verifyConsistencyProof,
  verifyInclusionProof,
} from './proof-json.ts';
import type { Checkpoint } from './checkpoint.ts';
import { isSluiceError } from '../../errors.ts';

const ORIGIN = 'sluice.example/audit';
const events = Array.from({ length: 40 }, (_, i) => Buffer.from(JSON.stringify({ seq: i + 1, action: 'secret.read' })));
const leaves = events.map((e) => leafHash(e));
const source: NodeSource = { leafHash: async (i) => leaves[i]! };
const checkpointAt = (size: number, hashes = leaves): Checkpoint => ({ origin: ORIGIN, treeSize: size, rootHash: rootOf(hashes.slice(0, size)), time: '2025-06-01T12:00:00.000Z' });
const failed = (pattern?: RegExp) => (e: unknown) => isSluiceError(e, 'SLUICE_AUDIT_VERIFY_FAILED') && (pattern === undefined || pattern.test(e.message));

test('the builders write exactly the documented members, hashes in base64, and parse back to the same proof', async () => {
  const path = await proveInclusion(source, 7, 40);
  const json = inclusionProofJson({ origin: ORIGIN, leafIndex: 7, treeSize: 40, leafHash: leaves[7]!, path, leaf: events[7]! });
  assert.deepEqual(Object.keys(json), ['format', 'origin', 'leafIndex', 'treeSize', 'leafHash', 'leaf', 'path']);
  assert.equal(json.format, 'sluice-audit-inclusion-proof/v1');
  assert.equal(json.leafHash, leaves[7]!.toString('base64'));
  assert.equal(json.leaf, events[7]!.toString('base64'));
  assert.deepEqual(parseInclusionProofJson(JSON.stringify(json)), { origin: ORIGIN, leafIndex: 7, treeSize: 40, leafHash: leaves[7], leaf: events[7], path });
  const withoutLeaf = inclusionProofJson({ origin: ORIGIN, leafIndex: 7, treeSize: 40, leafHash: leaves[7]!, path });
  assert.equal('leaf' in withoutLeaf, false);

  const cPath = await proveConsistency(source, 13, 40);
  const cJson = consistencyProofJson({ origin: ORIGIN, treeSize1: 13, treeSize2: 40, path: cPath });
  assert.deepEqual(Object.keys(cJson), ['format', 'origin', 'treeSize1', 'treeSize2', 'path']);
  assert.deepEqual(parseConsistencyProofJson(cJson), { origin: ORIGIN, treeSize1: 13, treeSize2: 40, path: cPath });
  assert.throws(
    () => inclusionProofJson({ origin: ORIGIN, leafIndex: 7, treeSize: 40, leafHash: leaves[7]!, path, leaf: events[8]! }),
    (e) => isSluiceError(e, 'SLUICE_CRYPTO_PARAMETERS'),
  );
});

test('parsing is strict: every malformation is refused with its reason', () => {
  const good = inclusionProofJson({ origin: ORIGIN, leafIndex: 1, treeSize: 2, leafHash: leaves[1]!, path: [leaves[0]!] });
  const cases: Array<[unknown, RegExp]> = [
    ['{', /is not JSON/],
    ['[]', /not a JSON object/],
    [null, /not a JSON object/],
    [{ ...good, format: 'sluice-audit-consistency-proof/v1' }, /format is "sluice-audit-consistency-proof\/v1"/],
    [{ ...good, extra: 1 }, /unknown member extra/],
    [{ ...good, leafIndex: undefined }, /missing leafIndex/],
    [{ ...good, leafIndex: -1 }, /leafIndex must be a whole number/],
    [{ ...good, treeSize: 1.5 }, /treeSize must be a whole number/],
    [{ ...good, treeSize: '2' }, /treeSize must be a whole number/],
    [{ ...good, origin: '' }, /origin must be a non-empty string/],
    [{ ...good, leafHash: good.leafHash.slice(0, -4) }, /leafHash is 30 bytes, not 32/],
    [{ ...good, leafHash: good.leafHash.replace(/=$/, 'A') }, /leafHash/],
    [{ ...good, path: 'abc' }, /path must be an array/],
    [{ ...good, path: [good.path[0], 'not base64!'] }, /path\[1\] must be standard base64/],
    [{ ...good, leaf: Buffer.from('other').toString('base64') }, /leaf does not hash to leafHash/],
  ];
  for (const [json, reason] of cases) {
    // JSON.stringify drops members set to undefined, as a real file would not have them.
    const input = typeof json === 'string' ? json : JSON.stringify(json);
    assert.throws(() => parseInclusionProofJson(input), failed(reason), reason.source);
  }
  assert.throws(() => parseConsistencyProofJson({ format: 'sluice-audit-consistency-proof/v1', origin: ORIGIN, treeSize1: 1, path: [] }), failed(/missing treeSize2/));
});

test('an inclusion proof verifies against the checkpoint of its tree size and log only', async () => {
  const proof = parseInclusionProofJson(inclusionProofJson({ origin: ORIGIN, leafIndex: 5, treeSize: 30, leafHash: leaves[5]!, path: await proveInclusion(source, 5, 30) }));
  verifyInclusionProof(proof, checkpointAt(30));
  assert.throws(() => verifyInclusionProof(proof, checkpointAt(40)), failed(/is for a tree of 30 leaves, but the checkpoint is of 40/));
  assert.throws(() => verifyInclusionProof(proof, { ...checkpointAt(30), origin: 'sluice.example/other' }), failed(/for the log "sluice\.example\/audit", but the checkpoint is of "sluice\.example\/other"/));
  assert.throws(() => verifyInclusionProof({ ...proof, leafIndex: 6 }, checkpointAt(30)), failed(/does not lead to the root hash/));
});

test('a consistency proof verifies between its two checkpoints, and a rewritten history fails', async () => {
  const proof = parseConsistencyProofJson(consistencyProofJson({ origin: ORIGIN, treeSize1: 13, treeSize2: 40, path: await proveConsistency(source, 13, 40) }));
  verifyConsistencyProof(proof, checkpointAt(13), checkpointAt(40));
  assert.throws(() => verifyConsistencyProof(proof, checkpointAt(12), checkpointAt(40)), failed(/goes from 13 to 40 leaves, but the checkpoints are of 12 and 40/));
  assert.throws(() => verifyConsistencyProof(proof, checkpointAt(40), checkpointAt(13)), failed(/checkpoints are of 40 and 13/));
  // The log rewrote event 3 after the checkpoint at 13 and signed a new head at 40: no proof can join them.
  const rewritten = [...leaves];
  rewritten[3] = leafHash(Buffer.from('forged'));
  const forgedSource: NodeSource = { leafHash: async (i) => rewritten[i]! };
  const forged = { ...proof, path: await proveConsistency(forgedSource, 13, 40) };
  assert.throws(() => verifyConsistencyProof(forged, checkpointAt(13), checkpointAt(40, rewritten)), failed(/does not lead to the first root hash/));
  assert.throws(() => verifyConsistencyProof(proof, checkpointAt(13), checkpointAt(40, rewritten)), failed(/does not lead to the second root hash/));
});
