// The run lock across machines: a run held by a process on another machine (a shared PostgreSQL store) is
// judged by its hold, not by a pid that means nothing here; a hold that ran out lets the run be taken over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { SqliteStateStore } from '../store/sqlite/sqlite-state-store.ts';
import { isSluiceError } from '../errors.ts';
import { claimRun } from './claim-run.ts';

const logger = pino({ level: 'silent' });
const minutes = (n: number) => new Date(Date.now() + n * 60_000).toISOString();

test('a run held by a live process on another machine is locked, even though its pid is free here (a second coordinator on another host)', async () => {
  const store = new SqliteStateStore(join(mkdtempSync(join(tmpdir(), 'sluice-claim-')), 'state.db'));
  try {
    // pid 999999 does not exist on this machine: only the hold can tell that its holder lives.
    await store.createRun({ id: 'r-remote', pipeline: 'p', specHash: 'h', startedAt: minutes(-5), pid: 999_999, hold: { host: 'coordinator-2.internal', heldUntil: minutes(2) } });
    await assert.rejects(claimRun(store, { pipeline: 'p', specHash: 'h', fresh: false }, logger), (error) => isSluiceError(error, 'SLUICE_RUN_LOCKED') && /on coordinator-2\.internal/.test(error.message));
    await assert.rejects(claimRun(store, { pipeline: 'p', specHash: 'h', fresh: true }, logger), (error) => isSluiceError(error, 'SLUICE_RUN_LOCKED'), '--fresh does not abandon a run another machine holds');
    assert.equal((await store.getRun('r-remote'))?.pid, 999_999);
  } finally {
    await store.close();
  }
});

test("a run whose other-machine holder stopped renewing its hold is taken over once the hold ran out, and the new holder's hold is recorded", async () => {
  const store = new SqliteStateStore(join(mkdtempSync(join(tmpdir(), 'sluice-claim-')), 'state.db'));
  try {
    await store.createRun({ id: 'r-stale', pipeline: 'p', specHash: 'h', startedAt: minutes(-30), pid: 4242, hold: { host: 'coordinator-2.internal', heldUntil: minutes(-1) } });
    const claimed = await claimRun(store, { pipeline: 'p', specHash: 'h', fresh: false }, logger);
    assert.equal(claimed.run.id, 'r-stale');
    assert.equal(claimed.run.pid, process.pid);
    assert.notEqual(claimed.run.host, 'coordinator-2.internal');
    assert.ok(claimed.run.heldUntil !== undefined && Date.parse(claimed.run.heldUntil) > Date.now());
    // Only the holder renews: the old holder's renewal is refused.
    assert.equal(await store.renewRun('r-stale', 4242, { host: 'coordinator-2.internal', heldUntil: minutes(2) }), false);
    assert.equal(await store.renewRun('r-stale', process.pid, { host: claimed.run.host ?? '', heldUntil: minutes(2) }), true);
  } finally {
    await store.close();
  }
});
