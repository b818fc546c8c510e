// The PostgreSQL store passes the shared contract in a scratch schema, survives reopening, refuses a newer schema
// and tampering with the audit tables, and holds its guarantees when two processes race: migrating a new schema,
// appending at one audit head, starting one pipeline, committing one batch.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { stateStoreSuite } from '../store.suite.ts';
import { emptyTotals } from '../state-store.ts';
import { PostgresStateStore } from './postgres-state-store.ts';
import { POSTGRES_MIGRATIONS } from './postgres-migrations.ts';
import { SqliteStateStore } from '../sqlite/sqlite-state-store.ts';
import { isSluiceError } from '../../errors.ts';
import type { AuditRow } from '../../audit/audit-store.ts';
import { serviceMissing } from '../../../test/support/services.ts';
import { LOCAL_POSTGRES, scratchSchema } from '../../../test/support/postgres-scratch.ts';
import type { Scratch } from '../../../test/support/postgres-scratch.ts';

const skip = await serviceMissing('postgresql');
const CONNECTION = `postgresql://${LOCAL_POSTGRES.user}@${LOCAL_POSTGRES.host}:${LOCAL_POSTGRES.port}/${LOCAL_POSTGRES.database}`;

/** Every scratch schema the tests made, dropped (with everything in it) when the file is done. */
const scratches: Scratch[] = [];
async function scratch(): Promise<Scratch> {
  const made = await scratchSchema('sluice_store');
  scratches.push(made);
  return made;
}
after(async () => {
  for (const made of scratches) await made.close();
});

function openIn(schema: string): Promise<PostgresStateStore> {
  return PostgresStateStore.open({ connectionString: CONNECTION, schema });
}

function auditRow(seq: number, time = '2026-01-01T00:00:00.000Z', principal = 'os:a(1)'): AuditRow {
  return { seq, time, action: 'secret.read', principal, resource: `secret:${seq}`, outcome: 'success', event: JSON.stringify({ seq, principal }), leaf: Buffer.alloc(32, seq % 256), chain: Buffer.alloc(32, 7) };
}

if (skip) test('state store contract: postgresql', { skip }, () => undefined);
else stateStoreSuite('postgresql', async () => openIn((await scratch()).schema));

test('postgresql store: data survives closing and reopening; a pool passed in stays open', { skip }, async () => {
  const db = await scratch();
  const first = await PostgresStateStore.open({ pool: db.admin, schema: db.schema });
  await first.createRun({ id: 'r', pipeline: 'p', specHash: 'h', startedAt: '2026-01-01T00:00:00.000Z', pid: 1 });
  await first.appendAuditRows(0, [auditRow(1)], []);
  await first.close();
  assert.deepEqual(await db.query('SELECT 1 AS one'), [{ one: 1 }], 'the caller still owns its pool');
  const second = await openIn(db.schema);
  assert.equal((await second.getRun('r'))?.pipeline, 'p');
  assert.equal((await second.auditHead()).size, 1);
  await second.close();
  const versions = await db.query<{ version: number }>(`SELECT version FROM ${pg.escapeIdentifier(db.schema)}.schema_version ORDER BY version`);
  assert.deepEqual(versions.map((v) => v.version), POSTGRES_MIGRATIONS.map((_, i) => i + 1), 'each version applied once');
});

test('postgresql store: refuses to open a schema newer than it knows (downgrade attempt)', { skip }, async () => {
  const db = await scratch();
  await (await openIn(db.schema)).close();
  await db.query(`INSERT INTO ${pg.escapeIdentifier(db.schema)}.schema_version (version, applied_at) VALUES ($1, $2)`, [POSTGRES_MIGRATIONS.length + 1, '2030-01-01T00:00:00.000Z']);
  await assert.rejects(openIn(db.schema), (error) => isSluiceError(error, 'SLUICE_STATE_STORE') && /newer than this Sluice knows/.test(error.message));
});

test('postgresql store: audit events and checkpoints cannot be updated, deleted or truncated through SQL (tamper attempt)', { skip }, async () => {
  const db = await scratch();
  const store = await openIn(db.schema);
  await store.appendAuditRows(0, [auditRow(1)], []);
  await store.putAuditCheckpoint({ treeSize: 1, root: Buffer.alloc(32), time: '2026-01-01T00:00:01.000Z', note: 'n' });
  await store.close();
  const schema = pg.escapeIdentifier(db.schema);
  for (const statement of [
    `UPDATE ${schema}.audit_events SET event = '{}'`,
    `DELETE FROM ${schema}.audit_events`,
    `TRUNCATE ${schema}.audit_events`,
    `UPDATE ${schema}.audit_checkpoints SET note = 'forged'`,
    `DELETE FROM ${schema}.audit_checkpoints`,
    `TRUNCATE ${schema}.audit_checkpoints`,
  ]) {
    await assert.rejects(db.query(statement), /append-only/, statement);
  }
  assert.equal((await db.query(`SELECT event FROM ${schema}.audit_events`))[0]?.event, auditRow(1).event);
});

test('postgresql store: a schema name PostgreSQL would cut short is refused before connecting (the denial path)', () => {
  for (const schema of ['', 'x'.repeat(64), 'a\0b']) {
    assert.throws(() => new PostgresStateStore({ connectionString: CONNECTION, schema }), (error) => isSluiceError(error, 'SLUICE_STATE_STORE'));
  }
});

test('postgresql store: a server that cannot be reached fails the open with SLUICE_STATE_STORE, retryable', async () => {
  await assert.rejects(
    PostgresStateStore.open({ connectionString: 'postgresql://postgres@127.0.0.1:1/test', schema: 'sluice_unreachable' }),
    (error) => isSluiceError(error, 'SLUICE_STATE_STORE') && error.retryable && /cannot open the state store/.test(error.message),
  );
});

test('postgresql store: two processes opening one new schema at once migrate it once', { skip }, async () => {
  const db = await scratch();
  // Not created beforehand: both opens race to create the schema too.
  const schema = `${db.schema}_fresh`;
  try {
    const [a, b] = await Promise.all([openIn(schema), openIn(schema)]);
    const versions = await db.query<{ version: number }>(`SELECT version FROM ${pg.escapeIdentifier(schema)}.schema_version ORDER BY version`);
    assert.deepEqual(versions.map((v) => v.version), POSTGRES_MIGRATIONS.map((_, i) => i + 1));
    await a.createRun({ id: 'r', pipeline: 'p', specHash: 'h', startedAt: '2026-01-01T00:00:00.000Z', pid: 1 });
    assert.equal((await b.getRun('r'))?.pid, 1);
    await Promise.all([a.close(), b.close()]);
  } finally {
    await db.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
  }
});

test('postgresql store: two writers appending at the same audit head: exactly one wins, every time', { skip }, async () => {
  const db = await scratch();
  const [a, b] = await Promise.all([openIn(db.schema), openIn(db.schema)]);
  try {
    for (let size = 0; size < 20; size++) {
      const results = await Promise.all([a.appendAuditRows(size, [auditRow(size + 1, undefined, 'os:a(1)')], []), b.appendAuditRows(size, [auditRow(size + 1, undefined, 'os:b(2)')], [])]);
      assert.deepEqual([...results].sort(), [false, true], `round ${size}`);
    }
    assert.equal((await a.auditHead()).size, 20);
    assert.deepEqual((await b.readAuditRows(1, 100)).map((r) => r.seq), Array.from({ length: 20 }, (_, i) => i + 1));
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('postgresql store: two processes starting one pipeline at once: one runs, the other gets SLUICE_RUN_LOCKED', { skip }, async () => {
  const db = await scratch();
  const [a, b] = await Promise.all([openIn(db.schema), openIn(db.schema)]);
  try {
    for (let round = 0; round < 10; round++) {
      const startedAt = '2026-01-01T00:00:00.000Z';
      const outcomes = await Promise.allSettled([
        a.createRun({ id: `a${round}`, pipeline: `p${round}`, specHash: 'h', startedAt, pid: 1 }),
        b.createRun({ id: `b${round}`, pipeline: `p${round}`, specHash: 'h', startedAt, pid: 2 }),
      ]);
      assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1, `round ${round}`);
      const refused = outcomes.find((o) => o.status === 'rejected');
      assert.ok(refused && isSluiceError(refused.reason, 'SLUICE_RUN_LOCKED'), `round ${round}`);
    }
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('postgresql store: two processes committing the same batch at once: one commits, the other is out of order', { skip }, async () => {
  const db = await scratch();
  const [a, b] = await Promise.all([openIn(db.schema), openIn(db.schema)]);
  try {
    await a.createRun({ id: 'r', pipeline: 'p', specHash: 'h', startedAt: '2026-01-01T00:00:00.000Z', pid: 1 });
    for (let batch = 1; batch <= 10; batch++) {
      const outcomes = await Promise.allSettled([
        a.commitCheckpoint({ runId: 'r', batch, position: { by: 'a' }, totals: emptyTotals() }),
        b.commitCheckpoint({ runId: 'r', batch, position: { by: 'b' }, totals: emptyTotals() }),
      ]);
      assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1, `batch ${batch}`);
      const refused = outcomes.find((o) => o.status === 'rejected');
      assert.ok(refused && isSluiceError(refused.reason, 'SLUICE_STATE_STORE') && /out of order/.test((refused.reason as Error).message), `batch ${batch}`);
    }
    assert.equal((await a.lastCheckpoint('r'))?.batch, 10);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('postgresql store: audit queries by time agree with SQLite over a log longer than the search margin', { skip }, async () => {
  const db = await scratch();
  const postgres = await openIn(db.schema);
  const sqlite = new SqliteStateStore(join(mkdtempSync(join(tmpdir(), 'sluice-store-')), 'state.db'));
  try {
    // 2,500 events a second apart, with one clock step back, and principals in turn.
    const time = (seq: number) => new Date(Date.UTC(2026, 0, 1) + (seq === 1800 ? 1000 : seq) * 1000).toISOString();
    const rows = Array.from({ length: 2500 }, (_, i) => auditRow(i + 1, time(i + 1), `os:u(${i % 3})`));
    assert.equal(await postgres.appendAuditRows(0, rows, []), true);
    assert.equal(await sqlite.appendAuditRows(0, rows, []), true);
    for (const query of [
      { from: time(2000) },
      { from: time(1500), to: time(1510) },
      { from: time(999), principal: 'os:u(1)', limit: 5 },
      { to: time(3) },
      { from: '2027-01-01T00:00:00.000Z' },
      { from: time(10), afterSeq: 2400 },
    ]) {
      assert.deepEqual(
        (await postgres.queryAuditEvents(query)).map((e) => e.seq),
        (await sqlite.queryAuditEvents(query)).map((e) => e.seq),
        JSON.stringify(query),
      );
    }
    // The same rows and hashes; the hex's case is each database's own (the verifier decodes either).
    const chainOf = async (store: { readAuditChain: typeof sqlite.readAuditChain }) => (await store.readAuditChain(2499, 10)).map(([seq, event, hex]) => [seq, event, String(hex).toLowerCase()]);
    assert.deepEqual(await chainOf(postgres), await chainOf(sqlite));
  } finally {
    await Promise.all([postgres.close(), sqlite.close()]);
  }
});
