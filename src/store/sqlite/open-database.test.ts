// Several processes open one embedded store at once: none fails because another holds a lock for a while.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import Database from 'better-sqlite3';
import { SqliteStateStore } from './sqlite-state-store.ts';
import { SQLITE_MIGRATIONS } from './migrations.ts';
import { isBusy, openDatabase } from './open-database.ts';
import { isSluiceError } from '../../errors.ts';
import { reapAtExit, stopProcess } from '../../../test/support/child-processes.ts';

const scratchFile = (): string => join(mkdtempSync(join(tmpdir(), 'sluice-open-')), 'state.db');

/**
 * Another process that takes `lock` on `file` (after `setup`), prints 'held', and keeps the lock until killed. In a
 * process of its own, since a lock held by this process would be seen through SQLite's in-process tables.
 */
async function holdLock(file: string, setup: string, lock: 'BEGIN IMMEDIATE' | 'BEGIN EXCLUSIVE') {
  const code = `const D = require('better-sqlite3'); const db = new D(${JSON.stringify(file)}); ${setup}; db.exec('${lock}'); db.exec('CREATE TABLE IF NOT EXISTS held (x)'); console.log('held'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  reapAtExit(child);
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  assert.equal(chunk.toString().trim(), 'held');
  return child;
}

/** True if a write lock on `file` can be taken right now (no waiting). */
function writeLockFree(file: string): boolean {
  const db = new Database(file);
  try {
    db.pragma('busy_timeout = 0');
    db.exec('BEGIN IMMEDIATE');
    db.exec('ROLLBACK');
    return true;
  } catch (error) {
    if (isBusy(error)) return false;
    throw error;
  } finally {
    db.close();
  }
}

test('an up-to-date store opens while a running pipeline holds its write lock, without waiting for that lock', async () => {
  const file = scratchFile();
  await new SqliteStateStore(file).close();
  const holder = await holdLock(file, '', 'BEGIN IMMEDIATE');
  try {
    const store = new SqliteStateStore(file, { busyTimeoutMs: 60_000, budgetMs: 60_000 });
    // Opening returned while the other process still holds the lock: it never waited for it.
    assert.equal(writeLockFree(file), false);
    assert.equal(await store.getRun('none'), undefined);
    await store.close();
  } finally {
    await stopProcess(holder, 'SIGKILL');
  }
});

test('eight processes opening a new store at the same instant all open it, and it is migrated once', { timeout: 120_000 }, async () => {
  const file = scratchFile();
  const storeModule = new URL('./sqlite-state-store.ts', import.meta.url).href;
  const startAt = Date.now() + 2_000;
  // Each child spins to the same start time, so the opens (and the switch of the new file to WAL) collide.
  const code = `import { SqliteStateStore } from ${JSON.stringify(storeModule)};
    while (Date.now() < ${startAt}) {}
    try { await new SqliteStateStore(${JSON.stringify(file)}).close(); console.log('opened'); }
    catch (error) { console.log('failed: ' + error.message); }`;
  const outputs = await Promise.all(
    Array.from({ length: 8 }, async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
      reapAtExit(child);
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      await once(child, 'close');
      return out.trim();
    }),
  );
  assert.deepEqual(outputs, Array(8).fill('opened'));
  const db = new Database(file);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(db.pragma('user_version', { simple: true }), SQLITE_MIGRATIONS.length);
  db.close();
});

test('a store another process keeps locked past the wait fails with SLUICE_STATE_BUSY naming the store and the fix, not a stack trace', async () => {
  const file = scratchFile();
  // A new file that is not in WAL yet, held exclusively: nothing, not even a read, can proceed.
  const holder = await holdLock(file, '', 'BEGIN EXCLUSIVE');
  try {
    assert.throws(
      () => new SqliteStateStore(file, { busyTimeoutMs: 50, budgetMs: 300 }),
      (error) => isSluiceError(error, 'SLUICE_STATE_BUSY') && error.message.includes(file) && /retry when that process/.test(error.message),
    );
  } finally {
    await stopProcess(holder, 'SIGKILL');
  }
  // Once the other process is gone, the same store opens.
  await new SqliteStateStore(file).close();
});

test('opening retries while SQLite answers busy without waiting (a read that cannot become a write), and gives up at the budget', () => {
  const file = scratchFile();
  let calls = 0;
  const busyTwice = () => {
    calls++;
    if (calls <= 2) throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY_SNAPSHOT' });
  };
  openDatabase(file, busyTwice, { busyTimeoutMs: 10, budgetMs: 5_000 }).close();
  assert.equal(calls, 3);

  let alwaysCalls = 0;
  const alwaysBusy = () => {
    alwaysCalls++;
    throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
  };
  assert.throws(() => openDatabase(file, alwaysBusy, { busyTimeoutMs: 10, budgetMs: 200 }), (error) => isBusy(error));
  assert.ok(alwaysCalls > 1, `retried ${alwaysCalls} time(s)`);

  // Anything else is not retried, and what is not an error at all is not busy.
  for (const thrown of [undefined, null, 'SQLITE_BUSY', 7]) assert.equal(isBusy(thrown), false);
  let otherCalls = 0;
  const corrupt = () => {
    otherCalls++;
    throw Object.assign(new Error('file is not a database'), { code: 'SQLITE_NOTADB' });
  };
  assert.throws(() => openDatabase(file, corrupt), /not a database/);
  assert.equal(otherCalls, 1);
});
