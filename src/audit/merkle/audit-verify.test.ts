// tools/audit-verify.mjs, run as a user would run it: on proofs and checkpoints this code writes, it verifies (exit 0);
// tampered, mismatched or foreign inputs fail (exit 1); bad usage exits 2. It must agree with the TypeScript verifier.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leafHash, MerkleAccumulator } from './merkle-hash.ts';
import { proveConsistency, proveInclusion } from './proofs.ts';
import { consistencyProofJson, inclusionProofJson, parseInclusionProofJson, verifyInclusionProof } from './proof-json.ts';
import { openCheckpoint, signCheckpoint, type Checkpoint } from './checkpoint.ts';
import { MemorySubtreeStore, recordStoredSubtrees, storedNodeSource } from './subtree-store.ts';

const TOOL = join(import.meta.dirname, '..', '..', '..', 'tools', 'audit-verify.mjs');
const ORIGIN = 'sluice.example/audit';
const dir = mkdtempSync(join(tmpdir(), 'sluice-audit-verify-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const keys = generateKeyPairSync('ed25519');
const events = Array.from({ length: 1000 }, (_, i) => Buffer.from(JSON.stringify({ seq: i + 1, action: 'secret.read', resource: `secret:s${i}` })));
const leaves = events.map((e) => leafHash(e));
const store = new MemorySubtreeStore();
const heads = new Map<number, Checkpoint>();
const accumulator = new MerkleAccumulator({ onSubtree: recordStoredSubtrees((level, index, hash) => store.put(level, index, hash), 4) });
for (const leaf of leaves) {
  accumulator.append(leaf);
  if ([600, 1000].includes(accumulator.size)) {
    heads.set(accumulator.size, { origin: ORIGIN, treeSize: accumulator.size, rootHash: accumulator.root(), time: new Date(Date.UTC(2025, 5, accumulator.size / 100)).toISOString() });
  }
}
const source = storedNodeSource(store, { leafHash: async (i) => leaves[i]! }, 4);

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const publicPem = file('log.pub.pem', keys.publicKey.export({ type: 'spki', format: 'pem' }));
const cp600 = file('cp600.txt', signCheckpoint(heads.get(600)!, keys.privateKey));
const cp1000 = file('cp1000.txt', signCheckpoint(heads.get(1000)!, keys.privateKey));
const inclusion = inclusionProofJson({ origin: ORIGIN, leafIndex: 123, treeSize: 1000, leafHash: leaves[123]!, leaf: events[123]!, path: await proveInclusion(source, 123, 1000) });
const consistency = consistencyProofJson({ origin: ORIGIN, treeSize1: 600, treeSize2: 1000, path: await proveConsistency(source, 600, 1000) });
const inclusionFile = file('inclusion.json', JSON.stringify(inclusion, null, 2));
const consistencyFile = file('consistency.json', JSON.stringify(consistency, null, 2));

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [TOOL, ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('the offline verifier accepts an inclusion and a consistency proof against signed checkpoints', () => {
  const a = run('--key', publicPem, '--checkpoint', cp1000, inclusionFile);
  assert.equal(a.status, 0, a.stderr);
  assert.match(a.stdout, /^verified: leaf 123 is in sluice\.example\/audit at tree size 1000/);
  const b = run('--key', publicPem, '--checkpoint', cp600, '--checkpoint', cp1000, consistencyFile);
  assert.equal(b.status, 0, b.stderr);
  assert.match(b.stdout, /^verified: sluice\.example\/audit at 1000 leaves .* extends its checkpoint at 600/);
  // The order of the checkpoints does not matter; the key name may be given.
  assert.equal(run('--key', publicPem, '--key-name', ORIGIN, '--checkpoint', cp1000, '--checkpoint', cp600, consistencyFile).status, 0);
});

test('the offline verifier rejects tampering, other sizes, other keys and rewritten logs (exit 1)', () => {
  const flipped = structuredClone(inclusion);
  const bytes = Buffer.from(flipped.path[2]!, 'base64');
  bytes[0] = bytes[0]! ^ 1;
  flipped.path[2] = bytes.toString('base64');
  const otherKeys = generateKeyPairSync('ed25519');
  const rewritten = [...leaves];
  rewritten[10] = leafHash(Buffer.from('forged'));
  const forgedHead = new MerkleAccumulator();
  for (const leaf of rewritten) forgedHead.append(leaf);
  const cases: Array<[string, string[], RegExp]> = [
    ['a flipped proof bit', ['--checkpoint', cp1000, file('flipped.json', JSON.stringify(flipped))], /does not lead to the checkpoint's root hash/],
    ['another leaf', ['--checkpoint', cp1000, file('other-leaf.json', JSON.stringify({ ...inclusion, leaf: undefined, leafHash: leaves[124]!.toString('base64') }))], /does not lead/],
    ['leaf data that does not match', ['--checkpoint', cp1000, file('leaf.json', JSON.stringify({ ...inclusion, leaf: events[124]!.toString('base64') }))], /leaf does not hash/],
    ['a truncated path', ['--checkpoint', cp1000, file('short.json', JSON.stringify({ ...inclusion, path: inclusion.path.slice(0, -1) }))], /too short/],
    ['the checkpoint of another size', ['--checkpoint', cp600, inclusionFile], /the proof is for a tree of 1000 leaves, the checkpoint is of 600/],
    ['a checkpoint signed by another key', ['--checkpoint', file('other-key.txt', signCheckpoint(heads.get(1000)!, otherKeys.privateKey)), inclusionFile], /no signature by sluice\.example\/audit with this public key/],
    ['a changed checkpoint', ['--checkpoint', file('changed.txt', signCheckpoint(heads.get(1000)!, keys.privateKey).replace('\n1000\n', '\n1001\n')), inclusionFile], /does not verify/],
    ['a rewritten log re-signed with the key', ['--checkpoint', cp600, '--checkpoint', file('forged.txt', signCheckpoint({ ...heads.get(1000)!, rootHash: forgedHead.root() }, keys.privateKey)), consistencyFile], /the log was rewritten/],
    ['a rollback to a smaller checkpoint', ['--checkpoint', cp600, '--checkpoint', cp600, consistencyFile], /goes from 600 to 1000 leaves, the checkpoints are of 600 and 600/],
    ['a consistency proof with one checkpoint', ['--checkpoint', cp1000, consistencyFile], /two checkpoints/],
    ['a proof with an unknown member', ['--checkpoint', cp1000, file('extra.json', JSON.stringify({ ...inclusion, trusted: true }))], /unknown member "trusted"/],
    ['a proof that is not JSON', ['--checkpoint', cp1000, file('garbage.json', 'not json')], /is not JSON/],
    ['a checkpoint that is not a note', ['--checkpoint', file('garbage.txt', 'hello\n'), inclusionFile], /no blank line/],
  ];
  for (const [what, args, reason] of cases) {
    const result = run('--key', publicPem, ...args);
    assert.equal(result.status, 1, `${what}: exit ${result.status}, ${result.stdout}${result.stderr}`);
    assert.match(result.stderr, /^NOT VERIFIED: /, what);
    assert.match(result.stderr, reason, what);
  }
});

test('the offline verifier exits 2 on bad usage or unreadable files', () => {
  assert.equal(run().status, 2);
  assert.equal(run('--key', publicPem, inclusionFile).status, 2);
  assert.equal(run('--key', join(dir, 'missing.pem'), '--checkpoint', cp1000, inclusionFile).status, 2);
  assert.equal(run('--key', publicPem, '--checkpoint', cp1000, '--bogus', inclusionFile).status, 2);
  const rsa = file('rsa.pem', generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }));
  assert.match(run('--key', rsa, '--checkpoint', cp1000, inclusionFile).stderr, /not an Ed25519 public key/);
});

test('the offline verifier and the TypeScript verifier agree, leaf by leaf, on honest and altered proofs', async () => {
  const checkpoint = openCheckpoint(signCheckpoint(heads.get(1000)!, keys.privateKey), [{ name: ORIGIN, publicKey: keys.publicKey }]);
  for (const [i, index] of [0, 1, 255, 256, 511, 999].entries()) {
    const json = inclusionProofJson({ origin: ORIGIN, leafIndex: index, treeSize: 1000, leafHash: leaves[index]!, path: await proveInclusion(source, index, 1000) });
    if (i % 2 === 1) json.leafIndex = (index + 1) % 1000; // claim the wrong position
    let ours = true;
    try {
      verifyInclusionProof(parseInclusionProofJson(json), checkpoint);
    } catch {
      ours = false;
    }
    assert.equal(ours, i % 2 === 0);
    assert.equal(run('--key', publicPem, '--checkpoint', cp1000, file(`agree-${i}.json`, JSON.stringify(json))).status, ours ? 0 : 1, `leaf ${index}`);
  }
});
