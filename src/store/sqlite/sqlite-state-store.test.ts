// The SQLite store passes the shared contract, survives reopening, and refuses a newer schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { stateStoreSuite } from '../store.suite.ts';
import { PAGE_BYTES, SqliteStateStore } from './sqlite-state-store.ts';
import { SQLITE_MIGRATIONS } from './migrations.ts';
import { isSluiceError } from '../../errors.ts';
import { reapAtExit, stopProcess } from '../../../test/support/child-processes.ts';

stateStoreSuite('sqlite', async () => new SqliteStateStore(join(mkdtempSync(join(tmpdir(), 'sluice-store-')), 'state.db')));

test('sqlite store: data survives closing and reopening the file, in WAL mode', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-store-')), 'state.db');
  const first = new SqliteStateStore(file);
  await first.createRun({ id: 'r', pipeline: 'p', specHash: 'h', startedAt: '2026-01-01T00:00:00.000Z', pid: 1 });
  await first.close();
  const second = new SqliteStateStore(file);
  assert.equal((await second.getRun('r'))?.pipeline, 'p');
  await second.close();
  const db = new Database(file);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  db.close();
});

test('sqlite store: a new file gets 16 KiB pages; a file made with 4 KiB pages keeps them and works as before', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-store-'));
  const pageSize = (file: string): unknown => {
    const db = new Database(file);
    try {
      return db.pragma('page_size', { simple: true });
    } finally {
      db.close();
    }
  };
  const fresh = new SqliteStateStore(join(dir, 'new.db'));
  await fresh.close();
  assert.equal(pageSize(join(dir, 'new.db')), PAGE_BYTES);
  assert.equal(PAGE_BYTES, 16_384);

  // A store made before: SQLite's 4 KiB default, already in WAL mode, with a run in it.
  const older = join(dir, 'older.db');
  const before = new Database(older);
  before.pragma('page_size = 4096');
  before.pragma('journal_mode = WAL');
  before.close();
  const first = new SqliteStateStore(older);
  await first.createRun({ id: 'r', pipeline: 'p', specHash: 'h', startedAt: '2026-01-01T00:00:00.000Z', pid: 1 });
  await first.close();
  const second = new SqliteStateStore(older);
  assert.equal((await second.getRun('r'))?.pipeline, 'p');
  await second.close();
  assert.equal(pageSize(older), 4096);
});

test('sqlite store: refuses to open a schema newer than it knows (downgrade attempt)', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-store-')), 'state.db');
  const db = new Database(file);
  db.pragma(`user_version = ${SQLITE_MIGRATIONS.length + 1}`);
  db.close();
  assert.throws(() => new SqliteStateStore(file), (error) => isSluiceError(error, 'SLUICE_STATE_STORE') && /newer/.test(error.message));
});

test('sqlite store: audit events cannot be updated or deleted through SQL (tamper attempt)', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-store-')), 'state.db');
  const store = new SqliteStateStore(file);
  await store.appendAuditRows(0, [{ seq: 1, time: '2026-01-01T00:00:00.000Z', action: 'secret.read', principal: 'os:a(1)', resource: 'secret:x', outcome: 'denied', event: '{}', leaf: Buffer.alloc(32), chain: Buffer.alloc(32) }], []);
  await store.close();
  const db = new Database(file);
  assert.throws(() => db.prepare("UPDATE audit_events SET event = '{}'").run(), /append-only/);
  assert.throws(() => db.prepare('DELETE FROM audit_events').run(), /append-only/);
  db.close();
});

test('an erased subject key is in neither state.db nor its WAL once a reader that held the checkpoint back ends (reads the files for its bytes)', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-store-')), 'state.db');
  const ref = randomBytes(16);
  const wrapped = randomBytes(60);
  const timings = { busyTimeoutMs: 50, budgetMs: 1_000 };
  const first = new SqliteStateStore(file, timings);
  await first.putSubjectKeys('k', [{ ref, keyVersion: 1, wrapped }]);
  // Closing the last connection checkpoints: the wrapped key is now in the database file itself.
  await first.close();
  const store = new SqliteStateStore(file, timings);
  const holder = spawn(process.execPath, ['-e', `const D = require('better-sqlite3'); const db = new D(${JSON.stringify(file)}); db.exec('BEGIN'); db.prepare('SELECT count(*) FROM subject_keys').get(); console.log('reading'); setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
  reapAtExit(holder);
  await Promise.race([once(holder.stdout, 'data'), once(holder, 'exit').then(() => assert.fail('the reading process exited before it read'))]);
  const holds = (path: string) => existsSync(path) && readFileSync(path).includes(wrapped);
  try {
    assert.equal(await store.eraseSubjectKeys('k', [ref], 1, '2026-12-01T00:00:00.000Z'), 1);
    // The reader's snapshot kept the checkpoint from copying the erasure over the old page.
    assert.ok(holds(file), 'the scenario needs the old page still in state.db while the reader reads');
  } finally {
    await stopProcess(holder, 'SIGKILL');
  }
  // The next write transaction tries the flush again, and it now goes through.
  await store.forgetObjects({ locations: [] });
  assert.equal(holds(file), false, 'state.db still holds the erased key');
  assert.equal(holds(`${file}-wal`), false, 'the WAL still holds the erased key');
  await store.close();
});
