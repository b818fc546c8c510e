// The postgresql source against the local PostgreSQL: keyset order and positions, ties and timestamp precision at
// batch boundaries, types, incremental reopening, following, refusals (spec, catalog, injection, writes), TLS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSluiceError } from '../../errors.ts';
import type { SluiceError } from '../../errors.ts';
import type { SecretSource } from '../../spec/component.ts';
import { Secret } from '../../secrets/secret.ts';
import type { SourceBatch, SourcePosition } from '../source.ts';
import { postgresSource } from './postgres-source.ts';
import { serviceMissing } from '../../../test/support/services.ts';
import { scratchSchema } from '../../../test/support/postgres-scratch.ts';
import type { Scratch } from '../../../test/support/postgres-scratch.ts';
import { selfSignedCertificate } from '../../../test/support/tls-fixture.ts';
import { passwordRefusingServer, postgresTlsFront } from '../../../test/support/postgres-wire-doubles.ts';

const skip = await serviceMissing('postgresql');

function sourceOf(options: Record<string, unknown>, context: { baseDir?: string; secrets?: SecretSource } = {}) {
  return postgresSource.create(postgresSource.spec.parse(options), { baseDir: context.baseDir ?? tmpdir(), pipeline: 'pg-test', ...(context.secrets ? { secrets: context.secrets } : {}) });
}

/** Every batch from `from` on, read to the end. */
async function readBatches(options: Record<string, unknown>, batchSize: number, from?: SourcePosition): Promise<SourceBatch[]> {
  const reader = await sourceOf(options).open(from, { follow: false });
  const batches: SourceBatch[] = [];
  try {
    for await (const batch of reader.batches(batchSize)) batches.push(batch);
  } finally {
    await reader.close();
  }
  return batches;
}

const rows = (batches: readonly SourceBatch[]) => batches.flatMap((b) => b.records) as Record<string, unknown>[];

/** Runs `body` with a scratch schema, dropped afterwards. */
async function withScratch(body: (db: Scratch) => Promise<void>): Promise<void> {
  const db = await scratchSchema();
  try {
    await body(db);
  } finally {
    await db.close();
  }
}

test('spec examples parse', () => {
  for (const example of postgresSource.examples) assert.equal(postgresSource.spec.safeParse(example).success, true, JSON.stringify(example));
});

test('spec refusals: TLS cannot be turned off for another machine, and the options must make sense together', () => {
  const base = { host: '127.0.0.1', database: 'd', user: 'u', insecureNoTls: true, table: 't', cursor: 'id' };
  const cases: [string, Record<string, unknown>, string][] = [
    ['plaintext to another machine', { ...base, host: 'db.example.com' }, 'insecureNoTls'],
    ['plaintext to a private address', { ...base, host: '10.0.0.5' }, 'insecureNoTls'],
    ['tls and insecureNoTls together', { ...base, tls: { ca: 'ca.pem' } }, 'tls'],
    ['a password written in the spec', { ...base, password: 'hunter2hunter2' }, 'password'],
    ['neither table nor query', { ...base, table: undefined }, 'table'],
    ['both table and query', { ...base, query: 'SELECT 1 AS id' }, 'table'],
    ['query without key', { ...base, table: undefined, query: 'SELECT 1 AS id' }, 'key'],
    ['query with its own placeholder', { ...base, table: undefined, query: 'SELECT * FROM t WHERE id > $1', key: [] }, 'query'],
    ['columns leaving out the cursor', { ...base, columns: ['name'] }, 'columns'],
    ['the cursor repeated as a key', { ...base, key: ['id'] }, 'key'],
    ['a table name PostgreSQL would cut short', { ...base, table: 'x'.repeat(64) }, 'table'],
    ['a table name with a NUL', { ...base, table: 'a\0b' }, 'table'],
    ['a three-part table name', { ...base, table: 'a.b.c' }, 'table'],
  ];
  for (const [what, options, path] of cases) {
    const result = postgresSource.spec.safeParse(options);
    assert.equal(result.success, false, what);
    assert.ok(result.error?.issues.some((issue) => issue.path[0] === path), `${what}: ${JSON.stringify(result.error?.issues)}`);
  }
  assert.equal(postgresSource.spec.safeParse({ ...base, host: 'localhost' }).success, true);
  assert.equal(postgresSource.spec.safeParse({ ...base, host: '/var/run/postgresql' }).success, true);
  assert.equal(postgresSource.spec.safeParse({ ...base, host: 'db.example.com', insecureNoTls: undefined }).success, true, 'TLS is on by default');
});

test('reads a table in (cursor, key) order in keyset batches, each ending at the position after its last row', { skip }, async () => {
  await withScratch(async (db) => {
    await db.query(`CREATE TABLE ${db.schema}.orders (id int PRIMARY KEY, total numeric NOT NULL, seq bigint NOT NULL)`);
    await db.query(`INSERT INTO ${db.schema}.orders SELECT g, g * 1.5, 100 - g FROM generate_series(1, 25) g`);
    const batches = await readBatches({ ...db.connection, table: db.table('orders'), cursor: 'seq' }, 10);
    assert.deepEqual(batches.map((b) => b.records.length), [10, 10, 5]);
    assert.deepEqual(rows(batches).map((r) => r.id), Array.from({ length: 25 }, (_, i) => 25 - i));
    assert.deepEqual({ ...batches[0]?.end, source: undefined }, { source: undefined, columns: '["seq","id"]', after: '["84","16"]' });
    assert.equal(batches[0]?.refs[0], `${db.schema}.orders(seq=75, id=25)`);
    assert.equal(Object.getPrototypeOf(rows(batches)[0]), null, 'records carry no prototype');
  });
});

test('types: each column type arrives as documented, exactly (microseconds, decimals, int8 within 2^53)', { skip }, async () => {
  await withScratch(async (db) => {
    await db.query(`CREATE TABLE ${db.schema}.typed (
      id int PRIMARY KEY, i2 smallint, i8 bigint, num numeric(20,6), f8 float8, f4 real, nan float8, flag boolean, doc jsonb, raw json,
      at timestamptz, local timestamp, day date, blob bytea, tags text[], ids bigint[], u uuid, span interval, note text)`);
    await db.query(`INSERT INTO ${db.schema}.typed VALUES (1, -3, 9007199254740991, 12345678901234.123456, 0.1, 0.5, 'NaN', true, '{"a":[1,"x"]}', '{"b":null}',
      '2026-11-30 10:32:08.625711+02', '2026-11-30 10:32:08.000001', '2026-02-28', '\\xdeadbeef', '{a,"b c",NULL}', '{1,2}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '1 day 2 hours', NULL)`);
    const [record] = rows(await readBatches({ ...db.connection, table: db.table('typed'), cursor: 'id' }, 10));
    const expected: [string, unknown][] = [
      ['id', 1],
      ['i2', -3],
      ['i8', 9007199254740991],
      ['num', '12345678901234.123456'],
      ['f8', 0.1],
      ['f4', 0.5],
      ['nan', 'NaN'],
      ['flag', true],
      ['doc', { a: [1, 'x'] }],
      ['raw', { b: null }],
      ['at', '2026-11-30T08:32:08.625711Z'],
      ['local', '2026-11-30T10:32:08.000001'],
      ['day', '2026-02-28'],
      ['blob', Buffer.from('deadbeef', 'hex').toString('base64')],
      ['tags', ['a', 'b c', null]],
      ['ids', [1, 2]],
      ['u', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
      ['span', 'P1DT2H'],
      ['note', null],
    ];
    for (const [column, value] of expected) assert.deepEqual(record?.[column], value, column);
  });
});

test('int8 beyond 2^53: refused as a number (no silent rounding), read exactly with bigint: string; numeric: number rounds on request', { skip }, async () => {
  await withScratch(async (db) => {
    await db.query(`CREATE TABLE ${db.schema}.big (id bigint PRIMARY KEY, amount numeric NOT NULL)`);
    await db.query(`INSERT INTO ${db.schema}.big VALUES (9007199254740993, 2.5)`);
    const options = { ...db.connection, table: db.table('big'), cursor: 'id' };
    await assert.rejects(readBatches(options, 10), (error) => isSluiceError(error, 'SLUICE_INPUT_MALFORMED') && /bigint: string/.test(error.message) && !error.message.includes('9007199254740993'));
    const [asText] = rows(await readBatches({ ...options, bigint: 'string', numeric: 'number' }, 10));
    assert.deepEqual({ ...asText }, { id: '9007199254740993', amount: 2.5 });
  });
});

test('rows that tie on the cursor across a batch boundary are neither skipped nor repeated', { skip }, async () => {
  await withScratch(async (db) => {
    await db.query(`CREATE TABLE ${db.schema}.events (id int PRIMARY KEY, updated_at timestamptz NOT NULL)`);
    // 37 rows share one updated_at, between rows before and after it; batches of 10 cut through the tie four times.
    await db.query(`INSERT INTO ${db.schema}.events SELECT g, CASE WHEN g < 5 THEN '2026-01-01' WHEN g > 41 THEN '2026-01-03' ELSE '2026-01-02' END::timestamptz FROM generate_series(1, 50) g`);
    const batches = await readBatches({ ...db.connection, table: db.table('events'), cursor: 'updated_at' }, 10);
    const ids = rows(batches).map((r) => r.id);
    assert.deepEqual(ids, Array.from({ length: 50 }, (_, i) => i + 1));
  });
});

test('timestamps one microsecond apart at a batch boundary are neither skipped nor repeated (the position is the exact value)', { skip }, async () => {
  await withScratch(async (db) => {
    await db.query(`CREATE TABLE ${db.schema}.ticks (id int PRIMARY KEY, at timestamptz NOT NULL UNIQUE)`);
    await db.query(`INSERT INTO ${db.schema}.ticks SELECT g, '2026-11-30 10:00:00.123456+00'::timestamptz + g * interval '1 microsecond' FROM generate_series(1, 9) g`);
    const batches = await readBatches({ ...db.connection, table: db.table('ticks'), cursor: 'at', key: [] }, 2);
    assert.deepEqual(rows(batches).map((r) => r.id), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual({ ...batches[0]?.end, source: undefined }, { source: undefined, columns: '["at"]', after: '["2026-11-30 10:00:00.123458+00"]' });
  });
});

test('a source reopened at a saved position reads only the rows added since, once', { skip }, async () => {
  await withScratch(async (db) => {
    await db.query(`CREATE TABLE ${db.schema}.items (id int PRIMARY KEY)`);
    await db.query(`INSERT INTO ${db.schema}.items SELECT generate_series(1, 12)`);
    const options = { ...db.connection, table: db.table('items'), cursor: 'id' };
    const first = await readBatches(options, 5);
    assert.equal(rows(first).length, 12);
    assert.equal(sourceOf(options).incremental, true);
    await db.query(`INSERT INTO ${db.schema}.items SELECT generate_series(13, 15)`);
    const second = await readBatches(options, 5, first.at(-1)?.end);
    assert.deepEqual(rows(second).map((r) => r.id), [13, 14, 15]);
    assert.deepEqual(await readBatches(options, 5, second.at(-1)?.end), [], 'nothing new: no batch');
    assert.equal(sourceOf({ ...options, incremental: false }).incremental, false);
  });
});

test('following: rows inserted later are picked up by polling, and the reader stops when the signal aborts', { skip }, async () => {
  await withScratch(async (db) => {
    await db.query(`CREATE TABLE ${db.schema}.feed (id int PRIMARY KEY)`);
    await db.query(`INSERT INTO ${db.schema}.feed SELECT generate_series(1, 3)`);
    const controller = new AbortController();
    const reader = await sourceOf({ ...db.connection, table: db.table('feed'), cursor: 'id', pollInterval: '1s' }).open(undefined, { follow: true, signal: controller.signal });
    const seen: unknown[] = [];
    let batches = 0;
    for await (const batch of reader.batches(100)) {
      batches++;
      seen.push(...batch.records.map((r) => (r as Record<string, unknown>).id));
      if (batches === 1) await db.query(`INSERT INTO ${db.schema}.feed SELECT generate_series(4, 6)`);
      if (seen.length === 6) controller.abort();
    }
    await reader.close();
    assert.deepEqual(seen, [1, 2, 3, 4, 5, 6]);
    assert.equal(batches, 2);
  });
});

test('a saved position for other cursor or key columns is refused (SLUICE_RESUME_MISMATCH), as is a malformed one', { skip }, async () => {
  await withScratch(async (db) => {
    await db.query(`CREATE TABLE ${db.schema}.items (id int PRIMARY KEY, seq int NOT NULL)`);
    await db.query(`INSERT INTO ${db.schema}.items VALUES (1, 1), (2, 2)`);
    const options = { ...db.connection, table: db.table('items'), cursor: 'id' };
    const saved = (await readBatches(options, 10)).at(-1)?.end;
    assert.ok(saved);
    const positions: SourcePosition[] = [{ ...saved, columns: '["seq","id"]', after: '["1","1"]' }, { ...saved, after: '1' }, { offset: 3 }];
    for (const from of positions) {
      await assert.rejects(readBatches(options, 10, from), (error) => isSluiceError(error, 'SLUICE_RESUME_MISMATCH'), JSON.stringify(from));
    }
  });
});

test('a transaction that commits late with a lower cursor value is read in its turn, not skipped: reading stops before rows a running transaction could still precede', { skip }, async () => {
  await withScratch(async (db) => {
    await db.query(`CREATE TABLE ${db.schema}.orders (id int PRIMARY KEY)`);
    await db.query(`INSERT INTO ${db.schema}.orders VALUES (1)`);
    const options = { ...db.connection, table: db.table('orders'), cursor: 'id' };
    // A writer takes id 2 and has not committed; another writes id 3 and commits.
    const slow = await db.admin.connect();
    try {
      await slow.query('BEGIN');
      await slow.query(`INSERT INTO ${db.schema}.orders VALUES (2)`);
      await db.query(`INSERT INTO ${db.schema}.orders VALUES (3)`);
      const first = await readBatches(options, 10);
      // Row 1 is older than the running transaction; row 3 is not, so reading stops before it.
      assert.deepEqual(rows(first).map((r) => r.id), [1]);
      await slow.query('COMMIT');
      const second = await readBatches(options, 10, first.at(-1)?.end);
      assert.deepEqual(rows(second).map((r) => r.id), [2, 3]);
    } finally {
      slow.release();
    }
  });
});

test('a view read as a table (no xmin to fence on) is read whole, in keyset batches', { skip }, async () => {
  await withScratch(async (db) => {
    await db.query(`CREATE TABLE ${db.schema}.orders (id int PRIMARY KEY, total int NOT NULL)`);
    await db.query(`INSERT INTO ${db.schema}.orders SELECT g, g * 10 FROM generate_series(1, 7) g`);
    await db.query(`CREATE VIEW ${db.schema}.big_orders AS SELECT id, total FROM ${db.schema}.orders WHERE total >= 30`);
    const batches = await readBatches({ ...db.connection, table: db.table('big_orders'), cursor: 'id', key: [] }, 2);
    assert.deepEqual(rows(batches).map((r) => r.id), [3, 4, 5, 6, 7]);
    assert.deepEqual(Object.keys(rows(batches)[0] ?? {}), ['id', 'total'], 'no fence column in the records');
  });
});

test('a saved position of another table is refused (SLUICE_RESUME_MISMATCH): its cursor would skip the new table\'s earlier rows', { skip }, async () => {
  await withScratch(async (db) => {
    await db.query(`CREATE TABLE ${db.schema}.orders (id int PRIMARY KEY)`);
    await db.query(`CREATE TABLE ${db.schema}.orders_v2 (id int PRIMARY KEY)`);
    await db.query(`INSERT INTO ${db.schema}.orders SELECT generate_series(1, 50)`);
    await db.query(`INSERT INTO ${db.schema}.orders_v2 SELECT generate_series(1, 60)`);
    const saved = (await readBatches({ ...db.connection, table: db.table('orders'), cursor: 'id' }, 100)).at(-1)?.end;
    assert.ok(saved);
    await assert.rejects(readBatches({ ...db.connection, table: db.table('orders_v2'), cursor: 'id' }, 100, saved), (error) => isSluiceError(error, 'SLUICE_RESUME_MISMATCH') && /another table/.test(error.message));
    // The same table resumes from it.
    assert.deepEqual(rows(await readBatches({ ...db.connection, table: db.table('orders'), cursor: 'id' }, 100, saved)), []);
  });
});

test('refuses a table whose cursor may be NULL, or whose (cursor, key) does not identify a row, before reading', { skip }, async () => {
  await withScratch(async (db) => {
    await db.query(`CREATE TABLE ${db.schema}.loose (id int, updated_at timestamptz NOT NULL, note text)`);
    await db.query(`CREATE TABLE ${db.schema}.nullable (id int PRIMARY KEY, updated_at timestamptz)`);
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['no unique key', { table: db.table('loose'), cursor: 'updated_at' }, /does not identify a row/],
      ['a key that is not unique', { table: db.table('loose'), cursor: 'updated_at', key: ['note'] }, /NOT NULL|does not identify/],
      ['a nullable cursor', { table: db.table('nullable'), cursor: 'updated_at' }, /NOT NULL/],
      ['a missing column', { table: db.table('nullable'), cursor: 'changed_at' }, /no column 'changed_at'/],
      ['a missing table', { table: db.table('absent'), cursor: 'id' }, /does not exist/],
    ];
    for (const [what, options, message] of cases) {
      await assert.rejects(readBatches({ ...db.connection, ...options }, 10), (error: SluiceError) => isSluiceError(error, 'SLUICE_SOURCE_FAILED') && !error.retryable && message.test(error.message), what);
    }
  });
});

test('SQL injection: table and column names such as x"; DROP TABLE y; -- are quoted as names, never run as SQL', { skip }, async () => {
  await withScratch(async (db) => {
    const evil = 'x"; DROP TABLE canary; --';
    await db.query(`CREATE TABLE ${db.schema}.canary (id int PRIMARY KEY)`);
    await db.query(`CREATE TABLE ${db.schema}."x""; DROP TABLE canary; --" ("id""); DROP TABLE canary; --" int PRIMARY KEY)`);
    await db.query(`INSERT INTO ${db.schema}."x""; DROP TABLE canary; --" VALUES (7)`);
    // The names address the oddly named table and column, and nothing else happens.
    const read = rows(await readBatches({ ...db.connection, table: `${db.schema}.${evil}`, cursor: 'id"); DROP TABLE canary; --' }, 10));
    assert.deepEqual(read.map((r) => ({ ...r })), [{ 'id"); DROP TABLE canary; --': 7 }]);
    await assert.rejects(readBatches({ ...db.connection, table: `${db.schema}.canary`, cursor: 'id; DROP TABLE canary' }, 10), (error) => isSluiceError(error, 'SLUICE_SOURCE_FAILED'));
    await assert.rejects(readBatches({ ...db.connection, table: `${db.schema}.canary' OR '1'='1`, cursor: 'id' }, 10), /does not exist/);
    assert.equal((await db.query(`SELECT to_regclass('${db.schema}.canary') IS NOT NULL AS present`))[0]?.present, true, 'the canary table is still there');
  });
});

test('query: rows of a SELECT are read in keyset batches, the query wrapped as a subquery', { skip }, async () => {
  await withScratch(async (db) => {
    await db.query(`CREATE TABLE ${db.schema}.people (id int PRIMARY KEY, name text NOT NULL, active boolean NOT NULL)`);
    await db.query(`INSERT INTO ${db.schema}.people SELECT g, 'p' || g, g % 2 = 0 FROM generate_series(1, 20) g`);
    const options = { ...db.connection, query: `SELECT id AS person, upper(name) AS label FROM ${db.schema}.people WHERE active;`, cursor: 'person', key: [] };
    const batches = await readBatches(options, 4);
    assert.deepEqual(rows(batches).map((r) => r.person), [2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
    assert.equal(rows(batches)[0]?.label, 'P2');
  });
});

test('read-ahead: a read that fails after a good batch surfaces only after that batch was handed on (tries a query that divides by zero from its second page)', { skip }, async () => {
  await withScratch(async (db) => {
    await db.query(`CREATE TABLE ${db.schema}.n (id int PRIMARY KEY)`);
    await db.query(`INSERT INTO ${db.schema}.n SELECT g FROM generate_series(1, 10000) g`);
    await db.query(`ANALYZE ${db.schema}.n`);
    // Read through the primary key, each page evaluates only its own rows: ids 1 and 2 divide, id 3 does not.
    const options = { ...db.connection, query: `SELECT id, 10 / (3 - least(id, 3)) AS q FROM ${db.schema}.n`, cursor: 'id', key: [] };
    const reader = await sourceOf(options).open(undefined, { follow: false });
    try {
      const batches = reader.batches(2)[Symbol.asyncIterator]();
      const first = await batches.next();
      assert.deepEqual((first.value as SourceBatch).records.map((r) => (r as { id: number }).id), [1, 2]);
      await assert.rejects(batches.next(), (error) => isSluiceError(error, 'SLUICE_SOURCE_FAILED') && /after 2 rows/.test(error.message) && /22012/.test(error.message));
    } finally {
      await reader.close();
    }
  });
});

test('read-ahead: a reader closed while the next read is in flight closes, and stops reading', { skip }, async () => {
  await withScratch(async (db) => {
    await db.query(`CREATE TABLE ${db.schema}.m (id int PRIMARY KEY)`);
    await db.query(`INSERT INTO ${db.schema}.m SELECT g FROM generate_series(1, 50) g`);
    const reader = await sourceOf({ ...db.connection, table: db.table('m'), cursor: 'id' }).open(undefined, { follow: false });
    const batches = reader.batches(10)[Symbol.asyncIterator]();
    assert.equal(((await batches.next()).value as SourceBatch).records.length, 10);
    // The read of rows 11-20 went out with the first batch; closing now waits for it and ends the pool.
    await reader.close();
    await assert.rejects(batches.next(), (error) => isSluiceError(error, 'SLUICE_SOURCE_FAILED') && /closed/.test((error).message));
  });
});

test('query: a statement that writes is refused by the read-only session, and a second statement is refused outright', { skip }, async () => {
  await withScratch(async (db) => {
    await db.query(`CREATE TABLE ${db.schema}.canary (id int PRIMARY KEY)`);
    await db.query(`INSERT INTO ${db.schema}.canary VALUES (1)`);
    await db.query(`CREATE SEQUENCE ${db.schema}.numbers`);
    const writing = `SELECT nextval('${db.schema}.numbers') AS id`;
    await assert.rejects(readBatches({ ...db.connection, query: writing, cursor: 'id', key: [] }, 10), (error: SluiceError) => isSluiceError(error, 'SLUICE_SOURCE_FAILED') && /read-only/.test(error.message));
    const deleting = `WITH gone AS (DELETE FROM ${db.schema}.canary RETURNING id) SELECT id FROM gone`;
    await assert.rejects(readBatches({ ...db.connection, query: deleting, cursor: 'id', key: [] }, 10), (error) => isSluiceError(error, 'SLUICE_SOURCE_FAILED'));
    const stacked = `SELECT 1 AS id) AS a; DELETE FROM ${db.schema}.canary; SELECT * FROM (SELECT 1 AS id`;
    await assert.rejects(readBatches({ ...db.connection, query: stacked, cursor: 'id', key: [] }, 10), (error) => isSluiceError(error, 'SLUICE_SOURCE_FAILED'));
    assert.equal((await db.query(`SELECT count(*)::int AS n FROM ${db.schema}.canary`))[0]?.n, 1, 'nothing was deleted');
  });
});

/** A TLS front with a fresh self-signed certificate for 127.0.0.1, and its certificate as a CA file. */
async function tlsSetup(answer?: 'S' | 'N') {
  const { key, cert } = selfSignedCertificate();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-pg-tls-'));
  writeFileSync(join(dir, 'ca.pem'), cert);
  const front = await postgresTlsFront({ key, cert, ...(answer ? { answer } : {}) });
  return { dir, front };
}

test('TLS man-in-the-middle: a server certificate that no trusted CA signed (self-signed) is refused', { skip }, async () => {
  await withScratch(async (db) => {
    await db.query(`CREATE TABLE ${db.schema}.t (id int PRIMARY KEY)`);
    const { dir, front } = await tlsSetup();
    try {
      const options = { ...db.connection, insecureNoTls: undefined, port: front.port, table: db.table('t'), cursor: 'id', connectTimeout: '5s' };
      await assert.rejects(sourceOf(options, { baseDir: dir }).open(undefined), (error: SluiceError) => isSluiceError(error, 'SLUICE_SOURCE_FAILED') && /certificate was refused/.test(error.message) && !error.retryable);
      assert.equal(front.handshakes.ok, 0);
    } finally {
      await front.close();
    }
  });
});

test('TLS verify-full: with the server CA trusted through tls.ca, the source reads over TLS', { skip }, async () => {
  await withScratch(async (db) => {
    await db.query(`CREATE TABLE ${db.schema}.t (id int PRIMARY KEY)`);
    await db.query(`INSERT INTO ${db.schema}.t VALUES (1), (2)`);
    const { dir, front } = await tlsSetup();
    try {
      const options = { ...db.connection, insecureNoTls: undefined, port: front.port, tls: { ca: 'ca.pem' }, table: db.table('t'), cursor: 'id' };
      const reader = await sourceOf(options, { baseDir: dir }).open(undefined);
      const read: unknown[] = [];
      for await (const batch of reader.batches(10)) read.push(...batch.records);
      await reader.close();
      assert.equal(read.length, 2);
      assert.ok(front.handshakes.ok >= 1);
    } finally {
      await front.close();
    }
  });
});

test('TLS host name check: a trusted certificate issued for another name is refused (tls.servername mismatch)', { skip }, async () => {
  const { dir, front } = await tlsSetup();
  try {
    const options = { host: '127.0.0.1', port: front.port, database: 'test', user: 'postgres', tls: { ca: 'ca.pem', servername: 'db.example.com' }, table: 't', cursor: 'id' };
    await assert.rejects(sourceOf(options, { baseDir: dir }).open(undefined), (error: SluiceError) => isSluiceError(error, 'SLUICE_SOURCE_FAILED') && /ERR_TLS_CERT_ALTNAME_INVALID/.test(error.message));
  } finally {
    await front.close();
  }
});

test('TLS downgrade: a server that answers N to the SSLRequest is refused, never spoken to in plaintext', { skip }, async () => {
  const { dir, front } = await tlsSetup('N');
  try {
    const options = { host: '127.0.0.1', port: front.port, database: 'test', user: 'postgres', tls: { ca: 'ca.pem' }, table: 't', cursor: 'id' };
    await assert.rejects(sourceOf(options, { baseDir: dir }).open(undefined), (error: SluiceError) => isSluiceError(error, 'SLUICE_SOURCE_FAILED') && /does not accept TLS/.test(error.message));
  } finally {
    await front.close();
  }
});

test('password: resolved from its secret reference only when the server asks, forgotten when refused, never in the error', async () => {
  const server = await passwordRefusingServer();
  const resolved: string[] = [];
  const invalidated: string[] = [];
  const secrets: SecretSource = {
    resolve: async (reference) => {
      resolved.push(reference);
      return new Secret('correct-horse-battery', reference);
    },
    invalidate: (reference) => invalidated.push(reference),
  };
  try {
    const options = { host: '127.0.0.1', port: server.port, database: 'test', user: 'sluice', password: 'env://PG_PASSWORD', insecureNoTls: true, table: 't', cursor: 'id' };
    await assert.rejects(sourceOf(options, { secrets }).open(undefined), (error: SluiceError) => {
      assert.equal(error.code, 'SLUICE_SOURCE_FAILED');
      assert.match(error.message, /28P01/);
      assert.ok(!error.message.includes('correct-horse-battery'));
      assert.equal(error.retryable, true, 'a refused password is re-read on the retry, in case it was rotated');
      return true;
    });
    assert.deepEqual(resolved, ['env://PG_PASSWORD']);
    assert.deepEqual(server.passwords, ['correct-horse-battery']);
    assert.deepEqual(invalidated, ['env://PG_PASSWORD']);
  } finally {
    await server.close();
  }
});
