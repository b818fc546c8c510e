// The audit log on a real SQLite file: group commit, the chain and the Merkle tree, signed checkpoints, two
// writers, and verification against every tamper class: a modified, deleted, inserted or reordered event, a
// truncated tail, a rollback that rewrote the chain, and a checkpoint signed by another key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStateStore } from '../store/sqlite/sqlite-state-store.ts';
import { AuditLog, chainHash, restoreAccumulator } from './audit-log.ts';
import { verifyAuditLog } from './verify-log.ts';
import { emptyRoot, leafHash, rootOf } from './merkle/merkle-hash.ts';
import { openCheckpoint, signCheckpoint } from './merkle/checkpoint.ts';
import type { AuditEvent } from './audit-event.ts';
import { isSluiceError } from '../errors.ts';
import { signingKeyFrom } from './signing-key.ts';
import { createPublicKey } from 'node:crypto';

const ORIGIN = 'sluice/audit';
const signer = { origin: ORIGIN, privateKey: signingKeyFrom(randomBytes(32)) };
const trusted = [{ name: ORIGIN, publicKey: createPublicKey(signer.privateKey) }];

function event(n: number): AuditEvent {
  return { time: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(), actor: { principal: `os:user${n % 3}(100${n % 3})`, method: 'os-user' }, action: 'secret.read', resource: `secret:s${n}`, outcome: 'success', details: { n, z: 'last', a: 'first' } };
}

function withFile<T>(work: (file: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-audit-'));
  return work(join(dir, 'state.db')).finally(() => rmSync(dir, { recursive: true, force: true }));
}

/** The database with its append-only triggers dropped: what an attacker with the file can do. */
function tamper(file: string, sql: (db: Database.Database) => void): void {
  const db = new Database(file);
  db.exec('DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete; DROP TRIGGER audit_checkpoints_no_delete;');
  sql(db);
  db.close();
}

async function logOf(file: string, count: number, options: { checkpointEvery?: number } = {}): Promise<{ notes: string[] }> {
  const store = new SqliteStateStore(file);
  const log = new AuditLog(store, { checkpointEvery: options.checkpointEvery ?? 100 });
  log.setSigner(signer);
  // In groups of 50, each one transaction (group commit), so checkpoints fall every 100 events.
  const seqs: number[] = [];
  for (let start = 0; start < count; start += 50) {
    seqs.push(...(await Promise.all(Array.from({ length: Math.min(50, count - start) }, (_, i) => log.append(event(start + i + 1))))));
  }
  assert.deepEqual(seqs, Array.from({ length: count }, (_, i) => i + 1));
  await log.close();
  const notes = (await store.listAuditCheckpoints()).map((c) => c.note);
  await store.close();
  return { notes };
}

test('appends get consecutive sequence numbers; the chain, the leaves and the stored subtrees verify', async () => {
  await withFile(async (file) => {
    await logOf(file, 600);
    const store = new SqliteStateStore(file);
    const rows = await store.readAuditRows(1, 1000);
    assert.equal(rows.length, 600);
    assert.ok(rows[0]!.event.startsWith('{"seq":1,"time":'));
    assert.match(rows[0]!.event, /"details":\{"a":"first","n":1,"z":"last"\}/, 'details in key order');
    let chain: Buffer = Buffer.alloc(32);
    for (const row of rows) {
      assert.ok(row.leaf.equals(leafHash(Buffer.from(row.event))));
      chain = chainHash(chain, row.leaf);
      assert.ok(row.chain.equals(chain));
    }
    assert.ok((await store.getAuditNode(8, 0))?.equals(rootOf(rows.slice(0, 256).map((r) => r.leaf))));
    assert.ok((await store.getAuditNode(9, 0))?.equals(rootOf(rows.slice(0, 512).map((r) => r.leaf))));
    assert.ok((await restoreAccumulator(store, 600)).root().equals(rootOf(rows.map((r) => r.leaf))));
    const checkpoints = await store.listAuditCheckpoints();
    assert.ok(checkpoints.length >= 6, `checkpoints every 100 events and on close, got ${checkpoints.length}`);
    const last = openCheckpoint(checkpoints.at(-1)!.note, trusted);
    assert.equal(last.treeSize, 600);
    assert.ok(last.rootHash.equals(rootOf(rows.map((r) => r.leaf))));
    const verification = await verifyAuditLog(store, trusted);
    assert.deepEqual({ ok: verification.ok, size: verification.size, problems: verification.problems }, { ok: true, size: 600, problems: [] });
    assert.equal(verification.checkpointsVerified, checkpoints.length);
    await store.close();
  });
});

test('two writers on one file interleave without breaking the chain or the tree (two processes)', async () => {
  await withFile(async (file) => {
    const a = new SqliteStateStore(file);
    const b = new SqliteStateStore(file);
    const logA = new AuditLog(a);
    const logB = new AuditLog(b);
    for (let round = 0; round < 5; round++) {
      await Promise.all([...Array.from({ length: 70 }, (_, i) => logA.append(event(i))), ...Array.from({ length: 50 }, (_, i) => logB.append(event(i)))]);
    }
    await logA.close();
    await logB.close();
    const verification = await verifyAuditLog(a, trusted);
    assert.equal(verification.size, 600);
    assert.deepEqual(verification.problems, []);
    assert.ok((await restoreAccumulator(a, 600)).root().equals(rootOf((await a.readAuditRows(1, 600)).map((r) => r.leaf))));
    await a.close();
    await b.close();
  });
});

const TAMPERS: [string, number, (db: Database.Database) => void][] = [
  ['a modified event', 37, (db) => db.prepare("UPDATE audit_events SET event = replace(event, 'secret:s37', 'secret:s99') WHERE seq = 37").run()],
  ['a deleted event', 120, (db) => db.prepare('DELETE FROM audit_events WHERE seq = 120').run()],
  [
    'an inserted event',
    51,
    (db) => {
      db.prepare('UPDATE audit_events SET seq = seq + 1000000 WHERE seq > 50').run();
      db.prepare('UPDATE audit_events SET seq = seq - 1000000 + 1 WHERE seq > 1000000').run();
      db.prepare("INSERT INTO audit_events SELECT 51, time, action, principal, resource, outcome, replace(event, '\"seq\":50', '\"seq\":51'), hashes FROM audit_events WHERE seq = 50").run();
    },
  ],
  [
    'two swapped events',
    10,
    (db) => {
      const ten = db.prepare('SELECT * FROM audit_events WHERE seq = 10').get() as Record<string, unknown>;
      const eleven = db.prepare('SELECT * FROM audit_events WHERE seq = 11').get() as Record<string, unknown>;
      const set = db.prepare('UPDATE audit_events SET event = ?, hashes = ? WHERE seq = ?');
      set.run(eleven.event, eleven.hashes, 10);
      set.run(ten.event, ten.hashes, 11);
    },
  ],
];

for (const [what, seq, sql] of TAMPERS) {
  test(`verify names the first bad sequence number for ${what} (tamper attack)`, async () => {
    await withFile(async (file) => {
      await logOf(file, 300);
      tamper(file, sql);
      const store = new SqliteStateStore(file);
      const verification = await verifyAuditLog(store, trusted);
      assert.equal(verification.ok, false);
      assert.equal(verification.firstBadSeq, seq, verification.problems.join('\n'));
      await store.close();
    });
  });
}

test('a rewrite that recomputes every leaf and chain hash after a change is caught by the signed checkpoints (rollback attack)', async () => {
  await withFile(async (file) => {
    await logOf(file, 300, { checkpointEvery: 100 });
    tamper(file, (db) => {
      const rows = db.prepare('SELECT seq, event FROM audit_events ORDER BY seq').all() as { seq: number; event: string }[];
      let chain: Buffer = Buffer.alloc(32);
      const set = db.prepare('UPDATE audit_events SET event = ?, hashes = ? WHERE seq = ?');
      for (const row of rows) {
        const text = row.seq === 150 ? row.event.replace('"outcome":"success"', '"outcome":"denied"') : row.event;
        const leaf = leafHash(Buffer.from(text));
        chain = chainHash(chain, leaf);
        set.run(text, Buffer.concat([leaf, chain]), row.seq);
      }
    });
    const store = new SqliteStateStore(file);
    const verification = await verifyAuditLog(store, trusted);
    assert.equal(verification.ok, false);
    assert.equal(verification.firstBadSeq, 200, 'the first checkpoint after the change');
    assert.match(verification.problems.join('\n'), /do not match the stored checkpoint at size 200/);
    await store.close();
  });
});

test('a truncated tail (with its stored checkpoints) is caught by a checkpoint exported earlier', async () => {
  await withFile(async (file) => {
    const { notes } = await logOf(file, 300);
    tamper(file, (db) => {
      db.prepare('DELETE FROM audit_events WHERE seq > 250').run();
      db.prepare('DELETE FROM audit_checkpoints WHERE tree_size > 250').run();
    });
    const store = new SqliteStateStore(file);
    assert.equal((await verifyAuditLog(store, trusted)).ok, true, 'without an exported checkpoint the shorter log is consistent');
    const verification = await verifyAuditLog(store, trusted, [notes.at(-1)!]);
    assert.equal(verification.ok, false);
    assert.equal(verification.firstBadSeq, 251);
    assert.match(verification.problems.join('\n'), /holds 250 events, but an exported checkpoint covers 300/);
    await store.close();
  });
});

test('a signed checkpoint of the empty log does not stop the checks after it (a size-0 checkpoint planted to skip them)', async () => {
  await withFile(async (file) => {
    await logOf(file, 300);
    const store = new SqliteStateStore(file);
    const at = (size: number, root: Buffer) => signCheckpoint({ origin: ORIGIN, treeSize: size, rootHash: root, time: new Date(Date.UTC(2026, 0, 1)).toISOString() }, signer.privateKey);
    // A checkpoint at 200 with a wrong root, beside a valid one of the empty tree.
    const wrong = at(200, Buffer.alloc(32, 7));
    const verification = await verifyAuditLog(store, trusted, [at(0, emptyRoot()), wrong]);
    assert.equal(verification.ok, false);
    assert.equal(verification.firstBadSeq, 200);
    assert.match(verification.problems.join('\n'), /first 200 events do not match exported checkpoint 2/);
    // The stored checkpoints (every 100) were still checked: three, plus the empty one.
    assert.equal(verification.checkpointsVerified, 4);
    // An empty-log checkpoint whose root is not the empty tree's is itself a finding.
    const bogus = await verifyAuditLog(store, trusted, [at(0, Buffer.alloc(32, 1))]);
    assert.equal(bogus.ok, false);
    assert.match(bogus.problems.join('\n'), /exported checkpoint 1 \(size 0\) is of the empty log, but its root is not the empty tree's root/);
    await store.close();
  });
});

test('a checkpoint signed by another key does not verify (forged checkpoint)', async () => {
  await withFile(async (file) => {
    await logOf(file, 10);
    const store = new SqliteStateStore(file);
    const other = generateKeyPairSync('ed25519');
    const verification = await verifyAuditLog(store, [{ name: ORIGIN, publicKey: other.publicKey }]);
    assert.equal(verification.ok, false);
    assert.match(verification.problems.join('\n'), /not signed by a trusted key/);
    await store.close();
  });
});

test('when the audit log cannot be written, every append in the batch is refused (fail closed)', async () => {
  const store = new SqliteStateStore(':memory:');
  const failing = new Proxy(store, {
    get: (target, key) => (key === 'appendAuditRows' ? () => Promise.reject(new Error('disk I/O error')) : (Reflect.get(target, key) as (...a: unknown[]) => unknown).bind(target)),
  });
  const log = new AuditLog(failing);
  const results = await Promise.allSettled([log.append(event(1)), log.append(event(2))]);
  assert.ok(results.every((r) => r.status === 'rejected' && isSluiceError(r.reason, 'SLUICE_STATE_STORE')));
  await store.close();
});

test('a corrupted database row (hashes of the wrong size, or text) is reported by sequence number, not a crash', async () => {
  await withFile(async (file) => {
    await logOf(file, 120);
    tamper(file, (db) => {
      db.prepare("UPDATE audit_events SET hashes = x'00' WHERE seq = 17").run();
      db.prepare("UPDATE audit_events SET hashes = 'not a hash' WHERE seq = 18").run();
    });
    const store = new SqliteStateStore(file);
    const verification = await verifyAuditLog(store, trusted);
    assert.equal(verification.ok, false);
    assert.equal(verification.firstBadSeq, 17);
    assert.match(verification.problems.join('\n'), /event 17: its leaf hash is damaged[\s\S]*event 18: its leaf hash is damaged[\s\S]*event 18: the hash chain breaks/);
    assert.ok(!verification.problems.some((p) => p.startsWith('event 19')), 'the chain resumes after the damaged rows');
    await store.close();
  });
});
