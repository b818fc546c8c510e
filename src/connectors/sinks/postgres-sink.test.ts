// The postgresql sink against the local PostgreSQL: one transaction per batch with its ledger row, idempotent
// replays, upserts, createTable, refusals, a backend terminated mid-batch, injection; and whole runs through
// runPipeline: a protected copy, a resume after a lost checkpoint, a retried batch, incremental runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { isSluiceError } from '../../errors.ts';
import type { SluiceError } from '../../errors.ts';
import type { DataRecord } from '../../runtime/record.ts';
import { runPipeline } from '../../runtime/executor.ts';
import { planPipeline } from '../../plan/plan.ts';
import { fileOnlyLocator } from '../../spec/location.ts';
import { ComponentRegistry } from '../../spec/registry.ts';
import { validateSpec } from '../../spec/validate.ts';
import { SqliteStateStore } from '../../store/sqlite/sqlite-state-store.ts';
import type { StateStore } from '../../store/state-store.ts';
import { maskStep } from '../../privacy/transforms/mask.ts';
import { tokenizeStep } from '../../privacy/transforms/tokenize.ts';
import { openObjectBuffer } from '../../crypto/envelope/envelope.ts';
import { postgresSource } from '../sources/postgres-source.ts';
import { fileSink } from './file-sink.ts';
import { postgresSink } from './postgres-sink.ts';
import type { SinkInstance } from '../sink.ts';
import { serviceMissing } from '../../../test/support/services.ts';
import { blockedBackend, scratchSchema } from '../../../test/support/postgres-scratch.ts';
import type { Scratch } from '../../../test/support/postgres-scratch.ts';
import { testEncryption } from '../../../test/support/test-keyring.ts';

const skip = await serviceMissing('postgresql');
const silent = pino({ level: 'silent' });
const registry = new ComponentRegistry([postgresSource, postgresSink, tokenizeStep, maskStep, fileSink]);

async function withScratch(body: (db: Scratch) => Promise<void>): Promise<void> {
  const db = await scratchSchema();
  try {
    await body(db);
  } finally {
    await db.close();
  }
}

/** A sink opened for a run, over `fields`. */
async function openSink(options: Record<string, unknown>, fields: string[], runId = 'run-1'): Promise<SinkInstance> {
  const sink = postgresSink.create(postgresSink.spec.parse(options), { name: 'warehouse', clearance: 'internal', fields }, { baseDir: tmpdir(), pipeline: 'pg-sink-test' });
  await sink.open({ pipeline: 'pg-sink-test', runId }, await testEncryption());
  return sink;
}

const record = (fields: Record<string, unknown>): DataRecord => Object.assign(Object.create(null) as DataRecord, fields);
const people = (from: number, count: number) => Array.from({ length: count }, (_, i) => record({ id: from + i, name: `p${from + i}` }));

test('spec examples parse, and the spec refuses what cannot be safe or cannot work', () => {
  for (const example of postgresSink.examples) assert.equal(postgresSink.spec.safeParse(example).success, true, JSON.stringify(example));
  const base = { host: '127.0.0.1', database: 'd', user: 'u', insecureNoTls: true, table: 't' };
  const cases: [string, Record<string, unknown>, string][] = [
    ['plaintext to another machine', { ...base, host: 'warehouse.example.com' }, 'insecureNoTls'],
    ['a password written in the spec', { ...base, password: 'hunter2hunter2' }, 'password'],
    ['columnTypes without createTable', { ...base, columnTypes: { id: 'integer' } }, 'columnTypes'],
    ['a column type outside the allow-list (no SQL through types)', { ...base, createTable: true, columnTypes: { id: 'int); DROP TABLE y; --' } }, 'columnTypes'],
    ['a key column twice', { ...base, key: ['id', 'id'] }, 'key'],
    ['an empty key', { ...base, key: [] }, 'key'],
  ];
  for (const [what, options, path] of cases) {
    const result = postgresSink.spec.safeParse(options);
    assert.equal(result.success, false, what);
    assert.ok(result.error?.issues.some((issue) => issue.path[0] === path), `${what}: ${JSON.stringify(result.error?.issues)}`);
  }
});

test('a batch is written in one transaction with its ledger row; the same batch written again leaves one copy', { skip }, async () => {
  await withScratch(async (db) => {
    await db.query(`CREATE TABLE ${db.schema}.people (id int, name text)`);
    const sink = await openSink({ ...db.connection, table: db.table('people') }, ['id', 'name']);
    try {
      await sink.write(1, people(1, 3));
      await sink.write(1, people(1, 3));
      await sink.write(2, people(4, 2));
      const rows = await db.query<{ id: number }>(`SELECT id FROM ${db.schema}.people ORDER BY id`);
      assert.deepEqual(rows.map((r) => r.id), [1, 2, 3, 4, 5]);
      const ledger = await db.query(`SELECT pipeline, sink, run_id, batch, records FROM ${db.schema}.sluice_sink_batches ORDER BY batch`);
      assert.deepEqual(ledger, [
        { pipeline: 'pg-sink-test', sink: 'warehouse', run_id: 'run-1', batch: 1, records: 3 },
        { pipeline: 'pg-sink-test', sink: 'warehouse', run_id: 'run-1', batch: 2, records: 2 },
      ]);
    } finally {
      await sink.close();
    }
  });
});

test('without a key, a replayed batch number holding other records (a stream redelivering in another order) is written, not dropped; the same records again are skipped', { skip }, async () => {
  await withScratch(async (db) => {
    await db.query(`CREATE TABLE ${db.schema}.people (id int, name text)`);
    const sink = await openSink({ ...db.connection, table: db.table('people') }, ['id', 'name']);
    const refs = (from: number, count: number) => Array.from({ length: count }, (_, i) => `nats:orders#${from + i}`);
    try {
      // Attempt 1 wrote batch 1 from messages 1-3 and crashed before its checkpoint; on the next attempt
      // messages 4-6 arrive first and make up batch 1.
      await sink.write(1, people(1, 3), refs(1, 3));
      await sink.write(1, people(4, 3), refs(4, 3));
      await sink.write(1, people(4, 3), refs(4, 3));
      const rows = await db.query<{ id: number }>(`SELECT id FROM ${db.schema}.people ORDER BY id`);
      assert.deepEqual(rows.map((r) => r.id), [1, 2, 3, 4, 5, 6]);
    } finally {
      await sink.close();
    }
  });
});

test('with a key, records upsert: an existing key is replaced, and of one key twice in a batch the later wins', { skip }, async () => {
  await withScratch(async (db) => {
    await db.query(`CREATE TABLE ${db.schema}.people (id int PRIMARY KEY, name text)`);
    const sink = await openSink({ ...db.connection, table: db.table('people'), key: ['id'] }, ['id', 'name']);
    try {
      await sink.write(1, people(1, 3));
      await sink.write(2, [record({ id: 2, name: 'first' }), record({ id: 9, name: 'new' }), record({ id: 2, name: 'second' })]);
      const rows = await db.query(`SELECT id, name FROM ${db.schema}.people ORDER BY id`);
      assert.deepEqual(rows, [
        { id: 1, name: 'p1' },
        { id: 2, name: 'second' },
        { id: 3, name: 'p3' },
        { id: 9, name: 'new' },
      ]);
    } finally {
      await sink.close();
    }
  });
});

test('createTable makes the table from the fields, typed by columnTypes (text otherwise), keyed on key; values arrive in their types', { skip }, async () => {
  await withScratch(async (db) => {
    const options = { ...db.connection, table: db.table('made'), key: ['id'], createTable: true, columnTypes: { id: 'integer', at: 'timestamp', score: 'number', ok: 'boolean', doc: 'json' } };
    const sink = await openSink(options, ['id', 'at', 'score', 'ok', 'doc', 'note']);
    try {
      await sink.write(1, [record({ id: 1, at: '2026-11-30T10:32:08.625711Z', score: 0.5, ok: true, doc: { a: [1] }, note: 42 })]);
      const columns = await db.query(`SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = '${db.schema}.made'::regclass AND attnum > 0 ORDER BY attnum`);
      assert.deepEqual(columns.map((c) => `${String(c.name)} ${String(c.type)}`), ['id bigint', 'at timestamp with time zone', 'score double precision', 'ok boolean', 'doc jsonb', 'note text']);
      const [row] = await db.query(`SELECT id::text, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS at, score, ok, doc, note FROM ${db.schema}.made`);
      assert.deepEqual(row, { id: '1', at: '2026-11-30 10:32:08.625711', score: 0.5, ok: true, doc: { a: [1] }, note: '42' });
      const [pk] = await db.query(`SELECT count(*)::int AS n FROM pg_index WHERE indrelid = '${db.schema}.made'::regclass AND indisprimary`);
      assert.equal(pk?.n, 1);
    } finally {
      await sink.close();
    }
  });
});

test('refused at open, before any row moves: a missing table or column, a key without a unique index, a key not among the fields', { skip }, async () => {
  await withScratch(async (db) => {
    await db.query(`CREATE TABLE ${db.schema}.people (id int, name text)`);
    const cases: [string, Record<string, unknown>, string[], RegExp][] = [
      ['a missing table', { table: db.table('absent') }, ['id'], /does not exist.*createTable/],
      ['a field without a column', { table: db.table('people') }, ['id', 'email'], /no column for field email/],
      ['a key without a unique index', { table: db.table('people'), key: ['id'] }, ['id', 'name'], /no primary key or unique index on exactly \(id\)/],
      ['a key not among the fields', { table: db.table('people'), key: ['id'] }, ['name'], /key column id is not among the fields/],
      ['a column type for a field that does not reach the sink', { table: db.table('people'), createTable: true, columnTypes: { age: 'integer' } }, ['id', 'name'], /columnTypes names age/],
    ];
    for (const [what, options, fields, message] of cases) {
      await assert.rejects(openSink({ ...db.connection, ...options }, fields), (error: SluiceError) => isSluiceError(error, 'SLUICE_SINK_WRITE_FAILED') && !error.retryable && message.test(error.message), what);
    }
  });
});

test('a value the column refuses fails the batch, retryable no, and the message does not quote the value', { skip }, async () => {
  await withScratch(async (db) => {
    await db.query(`CREATE TABLE ${db.schema}.people (id int, ssn int)`);
    const sink = await openSink({ ...db.connection, table: db.table('people') }, ['id', 'ssn']);
    try {
      await assert.rejects(sink.write(1, [record({ id: 1, ssn: '078-05-1120' })]), (error: SluiceError) => {
        assert.equal(error.code, 'SLUICE_SINK_WRITE_FAILED');
        assert.equal(error.retryable, false);
        assert.match(error.message, /22P02/);
        assert.ok(!error.message.includes('078-05-1120'), error.message);
        return true;
      });
      assert.deepEqual(await db.query(`SELECT * FROM ${db.schema}.sluice_sink_batches`), [], 'the ledger row rolled back with the batch');
    } finally {
      await sink.close();
    }
  });
});

/** Holds an ACCESS EXCLUSIVE lock on a table until released, so that a write to it waits (and can be killed there). */
async function lockTable(db: Scratch, table: string): Promise<() => Promise<void>> {
  const locker = await db.admin.connect();
  await locker.query('BEGIN');
  await locker.query(`LOCK TABLE ${db.schema}.${table} IN ACCESS EXCLUSIVE MODE`);
  return async () => {
    await locker.query('ROLLBACK');
    locker.release();
  };
}

test('connection dropped mid-batch (pg_terminate_backend): rolled back, retryable, nothing partial visible; the retry writes the batch once', { skip }, async () => {
  await withScratch(async (db) => {
    await db.query(`CREATE TABLE ${db.schema}.dropped (id int, name text)`);
    const sink = await openSink({ ...db.connection, table: db.table('dropped') }, ['id', 'name']);
    try {
      const release = await lockTable(db, 'dropped');
      // The ledger row is inserted, then the INSERT of the records waits for the lock: kill the session there.
      const writing = sink.write(1, people(1, 50));
      // It may fail before the kill's own query returns: handled now, asserted below (else the runner reports an
      // unhandled rejection, as it did once).
      writing.catch(() => undefined);
      const pid = await blockedBackend(db.admin, db.schema);
      await db.query('SELECT pg_terminate_backend($1)', [pid]);
      await assert.rejects(writing, (error: SluiceError) => isSluiceError(error, 'SLUICE_SINK_WRITE_FAILED') && error.retryable);
      await release();
      assert.deepEqual(await db.query(`SELECT * FROM ${db.schema}.dropped`), []);
      assert.deepEqual(await db.query(`SELECT * FROM ${db.schema}.sluice_sink_batches`), []);
      await sink.write(1, people(1, 50));
      assert.equal((await db.query(`SELECT count(DISTINCT id)::int AS ids, count(*)::int AS n FROM ${db.schema}.dropped`))[0]?.n, 50);
      await sink.write(1, people(1, 50));
      assert.deepEqual(await db.query(`SELECT count(DISTINCT id)::int AS ids, count(*)::int AS n FROM ${db.schema}.dropped`), [{ ids: 50, n: 50 }]);
    } finally {
      await sink.close();
    }
  });
});

test('SQL injection: a table named like x"; DROP TABLE y; -- is created and written as a quoted name, and such a key column is refused; neither runs as SQL', { skip }, async () => {
  await withScratch(async (db) => {
    await db.query(`CREATE TABLE ${db.schema}.canary (id int)`);
    // Field names are plain identifiers (the contract allows no others): the table name is the way in.
    const evil = `${db.schema}.x"; DROP TABLE canary; --`;
    const sink = await openSink({ ...db.connection, table: evil, createTable: true, key: ['id'] }, ['id', 'name']);
    try {
      await sink.write(1, people(1, 2));
    } finally {
      await sink.close();
    }
    assert.deepEqual(await db.query(`SELECT id FROM ${db.schema}."x""; DROP TABLE canary; --" ORDER BY id`), [{ id: '1' }, { id: '2' }]);
    await assert.rejects(openSink({ ...db.connection, table: db.table('canary'), key: ['id"); DROP TABLE canary; --'] }, ['id', 'name']), (error) => isSluiceError(error, 'SLUICE_SINK_WRITE_FAILED'));
    assert.equal((await db.query(`SELECT to_regclass('${db.schema}.canary') IS NOT NULL AS present`))[0]?.present, true, 'the canary table is still there');
  });
});

test('prune forgets ledger rows of other runs older than the retention, and never touches the table rows', { skip }, async () => {
  await withScratch(async (db) => {
    await db.query(`CREATE TABLE ${db.schema}.people (id int, name text)`);
    const old = await openSink({ ...db.connection, table: db.table('people') }, ['id', 'name'], 'run-old');
    await old.write(1, people(1, 2));
    await old.close();
    await db.query(`UPDATE ${db.schema}.sluice_sink_batches SET committed_at = now() - interval '10 days'`);
    const current = await openSink({ ...db.connection, table: db.table('people') }, ['id', 'name'], 'run-new');
    try {
      await current.write(1, people(3, 1));
      assert.deepEqual(await current.prune(new Date(Date.now() - 86_400_000), 'run-new'), []);
      assert.deepEqual((await db.query(`SELECT run_id FROM ${db.schema}.sluice_sink_batches`)).map((r) => r.run_id), ['run-new']);
      assert.equal((await db.query(`SELECT count(*)::int AS n FROM ${db.schema}.people`))[0]?.n, 3);
    } finally {
      await current.close();
    }
  });
});

// ---- Whole runs through runPipeline ----

interface RunSetup {
  db: Scratch;
  dir: string;
  store: SqliteStateStore;
  encryption: Awaited<ReturnType<typeof testEncryption>>;
}

/** A plan copying customers into the target table (and optionally an encrypted file), email tokenized and name masked. */
function customersPlan(setup: RunSetup, sink: Record<string, unknown>, options: { file?: boolean; attempts?: number; batchSize?: number } = {}) {
  const { db, dir } = setup;
  const document = {
    pipeline: 'pg-copy',
    source: { postgresql: { ...db.connection, table: db.table('customers'), cursor: 'updated_at', key: ['id'] } },
    contract: {
      subject: 'id',
      fields: {
        id: { type: 'integer', class: 'internal' },
        email: { type: 'string', class: 'restricted', pii: 'email' },
        name: { type: 'string', class: 'confidential', pii: 'person_name' },
        updated_at: { type: 'timestamp', class: 'internal' },
      },
    },
    steps: [{ tokenize: { fields: ['email'] } }, { mask: { fields: ['name'], keepLast: 2 } }],
    sinks: [
      { postgresql: { ...db.connection, table: db.table('customers_copy'), name: 'warehouse', clearance: 'internal', ...sink } },
      ...(options.file ? [{ file: { dir: 'out', clearance: 'internal' } }] : []),
    ],
    runtime: { batchSize: options.batchSize ?? 10, retry: { attempts: options.attempts ?? 1, initialDelayMs: 1, maxDelayMs: 5 } },
  };
  const result = validateSpec(document, registry, fileOnlyLocator('pg-copy.yaml'), dir);
  assert.deepEqual(result.issues, []);
  assert.ok(result.spec);
  const plan = planPipeline(result.spec);
  assert.deepEqual(plan.findings.filter((f) => f.severity === 'error'), []);
  return plan;
}

async function withRun(customers: number, body: (setup: RunSetup) => Promise<void>): Promise<void> {
  await withScratch(async (db) => {
    await db.query(`CREATE TABLE ${db.schema}.customers (id int PRIMARY KEY, email text NOT NULL, name text NOT NULL, updated_at timestamptz NOT NULL)`);
    await addCustomers(db, 1, customers);
    const dir = mkdtempSync(join(tmpdir(), 'sluice-pg-run-'));
    const store = new SqliteStateStore(join(dir, 'state.db'));
    try {
      await body({ db, dir, store, encryption: await testEncryption() });
    } finally {
      await store.close();
    }
  });
}

async function addCustomers(db: Scratch, from: number, count: number): Promise<void> {
  // Every fourth customer shares an updated_at with its neighbours: ties cross batch boundaries.
  await db.query(
    `INSERT INTO ${db.schema}.customers SELECT g, 'user' || g || '@example.com', 'Name ' || g, '2026-01-01'::timestamptz + (g / 4) * interval '1 second'
       FROM generate_series($1::int, $2::int) g`,
    [from, from + count - 1],
  );
}

const copied = (db: Scratch) => db.query<{ id: string; email: string; name: string }>(`SELECT id, email, name FROM ${db.schema}.customers_copy ORDER BY id::int`);
const typedCopy = { key: ['id'], createTable: true, columnTypes: { id: 'integer', updated_at: 'timestamp' } };

test('end to end: a table is copied into another with email tokenized and name masked, plus an encrypted file copy; no restricted value lands in plaintext', { skip }, async () => {
  await withRun(25, async (setup) => {
    const { db, dir, store, encryption } = setup;
    const result = await runPipeline({ plan: customersPlan(setup, typedCopy, { file: true }), store, stateDir: join(dir, '.sluice'), encryption, specHash: 'h', logger: silent });
    assert.equal(result.run.status, 'succeeded');
    assert.equal(result.run.totals.recordsIn, 25);
    assert.deepEqual(result.outputs.map((o) => o.location.split(' ')[0]), ['postgresql', join(dir, 'out', 'pg-copy', result.run.id)]);
    const rows = await copied(db);
    assert.equal(rows.length, 25);
    assert.ok(rows.every((r) => r.email.startsWith('tok_') && !r.email.includes('@')), 'emails are tokens');
    assert.equal(rows[0]?.name, '**** 1', 'names are masked but for the last 2 characters');
    const objects = readdirSync(join(dir, 'out', 'pg-copy', result.run.id));
    assert.equal(objects.length, 3);
    const sealed = readFileSync(join(dir, 'out', 'pg-copy', result.run.id, objects[0] ?? ''));
    assert.ok(!sealed.includes('@example.com'));
    const plain = (await openObjectBuffer(sealed, encryption.keys, 'part')).plaintext.toString('utf8');
    assert.match(plain, /"email":"tok_/);
  });
});

test('a run whose checkpoint commit failed after the sink committed resumes without duplicates: the ledger skips the replayed batch', { skip }, async () => {
  await withRun(35, async (setup) => {
    const { db, dir, store, encryption } = setup;
    let commits = 0;
    // The real store, except that the second checkpoint fails once: batch 2 is in the table but not checkpointed.
    const flaky = new Proxy(store, {
      get(target, property, receiver) {
        if (property === 'commitCheckpoint') {
          return async (checkpoint: Parameters<StateStore['commitCheckpoint']>[0]) => {
            if (++commits === 2) throw new Error('database is locked');
            return target.commitCheckpoint(checkpoint);
          };
        }
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    // No key: only the ledger stands between a replayed batch and duplicate rows.
    const plan = customersPlan(setup, { createTable: true });
    await assert.rejects(runPipeline({ plan, store: flaky, stateDir: join(dir, '.sluice'), encryption, specHash: 'h', logger: silent }), /locked/);
    assert.equal((await copied(db)).length, 20, 'batches 1 and 2 are in the table, though only batch 1 is checkpointed');
    const resumed = await runPipeline({ plan, store, stateDir: join(dir, '.sluice'), encryption, specHash: 'h', logger: silent });
    assert.equal(resumed.resumedAfterBatch, 1);
    const rows = await copied(db);
    assert.equal(rows.length, 35);
    assert.equal(new Set(rows.map((r) => r.id)).size, 35);
  });
});

test('a connection terminated mid-batch during a run is retried by the runtime, and every row lands exactly once', { skip }, async () => {
  await withRun(30, async (setup) => {
    const { db, dir, store, encryption } = setup;
    await db.query(`CREATE TABLE ${db.schema}.customers_copy (id text, email text, name text, updated_at text)`);
    const release = await lockTable(db, 'customers_copy');
    const warnings: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) });
    const running = runPipeline({ plan: customersPlan(setup, {}, { attempts: 5 }), store, stateDir: join(dir, '.sluice'), encryption, specHash: 'h', logger });
    const pid = await blockedBackend(db.admin, db.schema);
    await db.query('SELECT pg_terminate_backend($1)', [pid]);
    await release();
    const result = await running;
    assert.equal(result.run.status, 'succeeded');
    assert.ok(warnings.some((line) => line.includes('retrying after a retryable error') && line.includes('write sink warehouse')), 'the runtime retried the write');
    const rows = await copied(db);
    assert.equal(rows.length, 30);
    assert.equal(new Set(rows.map((r) => r.id)).size, 30);
  });
});

test('incremental across two runs: rows added between the runs are read by the second run, once', { skip }, async () => {
  await withRun(23, async (setup) => {
    const { db, dir, store, encryption } = setup;
    const plan = customersPlan(setup, typedCopy);
    const first = await runPipeline({ plan, store, stateDir: join(dir, '.sluice'), encryption, specHash: 'h', logger: silent });
    assert.equal(first.run.totals.recordsIn, 23);
    await addCustomers(db, 24, 9);
    const second = await runPipeline({ plan, store, stateDir: join(dir, '.sluice'), encryption, specHash: 'h', logger: silent });
    assert.notEqual(second.run.id, first.run.id);
    assert.equal(second.run.totals.recordsIn, 9);
    const third = await runPipeline({ plan, store, stateDir: join(dir, '.sluice'), encryption, specHash: 'h', logger: silent });
    assert.equal(third.run.totals.recordsIn, 0);
    const rows = await copied(db);
    assert.equal(rows.length, 32);
    assert.equal(new Set(rows.map((r) => r.id)).size, 32);
  });
});

test('following: a run keeps copying rows inserted while it runs, and ends as succeeded when its signal aborts', { skip }, async () => {
  await withRun(12, async (setup) => {
    const { db, dir, store, encryption } = setup;
    const controller = new AbortController();
    const running = runPipeline({ plan: customersPlan(setup, typedCopy), store, stateDir: join(dir, '.sluice'), encryption, specHash: 'h', logger: silent, follow: true, signal: controller.signal });
    const count = async () => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${db.schema}.customers_copy`).catch(() => [{ n: 0 }]))[0]?.n ?? 0;
    while ((await count()) < 12) await new Promise((resolve) => setTimeout(resolve, 50));
    await addCustomers(db, 13, 8);
    while ((await count()) < 20) await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    const result = await running;
    assert.equal(result.run.status, 'succeeded');
    assert.equal(result.run.totals.recordsIn, 20);
    assert.equal(new Set((await copied(db)).map((r) => r.id)).size, 20);
  });
});
