// The SQLite store passes the shared contract, survives reopening, and refuses a newer schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { stateStoreSuite } from '../store.suite.ts';
import { SqliteStateStore } from './sqlite-state-store.ts';
import { SQLITE_MIGRATIONS } from './migrations.ts';
import { isSluiceError } from '../../errors.ts';

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
