// SIGKILL `sluice run` at random points of a 1M-record run, rerun until it finishes: the sink must then hold
// every input record exactly once (no loss, no duplicate), and no partial object may be visible.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { decryptLines, customersSpec, spawnCli } from './support/cli-harness.ts';
import { writeCustomers } from './support/generate-customers.ts';
import { seeded } from '../src/seeded-random.ts';
import { SqliteStateStore } from '../src/store/sqlite/sqlite-state-store.ts';
import Database from 'better-sqlite3';

const RECORDS = Number(process.env.SLUICE_CRASH_RECORDS ?? 1_000_000);
const KILLS = 4;

function runSluice(dir: string): ReturnType<typeof spawnCli> {
  const run = spawnCli(dir, 'run', '--progress', 'none', '--log-level', 'warn');
  void run.done.then(({ code, stderr }) => {
    if (code !== 0 && code !== null) console.error(stderr);
  });
  return run;
}

/**
 * Resolves once the child holds the run (its pid on a running run in the state store) or has exited: a kill before
 * that would land in startup, not mid-run, and startup time depends on how loaded the machine is.
 */
async function runStarted(dir: string, pid: number | undefined, done: Promise<unknown>): Promise<void> {
  let exited = false;
  void done.then(() => (exited = true));
  while (!exited) {
    try {
      const db = new Database(join(dir, '.sluice', 'state.db'), { readonly: true, fileMustExist: true });
      try {
        if (db.prepare("SELECT 1 FROM runs WHERE status = 'running' AND pid = ?").get(pid)) return;
      } finally {
        db.close();
      }
    } catch {
      // Not created yet, or busy: look again.
    }
    await sleep(25);
  }
}

async function countIds(dir: string): Promise<{ total: number; unique: number; partial: string[] }> {
  const seen = new Set<string>();
  let total = 0;
  const partial: string[] = [];
  const root = join(dir, 'out', 'crash');
  for (const run of readdirSync(root)) {
    for (const name of readdirSync(join(root, run)).sort()) {
      if (!name.startsWith('part-')) {
        partial.push(name);
        continue;
      }
      for (const line of await decryptLines(dir, [join(root, run, name)])) {
        total++;
        seen.add((JSON.parse(line) as { customer_id: string }).customer_id);
      }
    }
  }
  return { total, unique: seen.size, partial };
}

test(`SIGKILL at ${KILLS} random points of a ${RECORDS}-record run: after reruns every record is in the sink exactly once`, { timeout: 600_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-crash-'));
  // About 700 MB of input and output: removed whatever the outcome.
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'pipeline.yaml'), customersSpec('crash', 5000));
  await writeCustomers(join(dir, 'customers.jsonl'), RECORDS);
  const random = seeded(42);
  let killedMidRun = 0;
  let finished = false;
  for (let kill = 0; kill < KILLS && !finished; kill++) {
    const { child, done } = runSluice(dir);
    // Kill somewhere in the first seconds of work, once the run is really under way.
    await runStarted(dir, child.pid, done);
    await Promise.race([sleep(Math.floor(random() * 2000)), done]);
    finished = child.exitCode !== null;
    if (!finished) child.kill('SIGKILL');
    const { code } = await done;
    if (finished) assert.equal(code, 0, 'a run that was not killed completes');
    else killedMidRun++;
  }
  if (!finished) {
    const final = runSluice(dir);
    assert.equal((await final.done).code, 0, 'the last run completes');
  }

  const store = new SqliteStateStore(join(dir, '.sluice', 'state.db'));
  const runs = await store.listRuns();
  await store.close();
  assert.equal(runs.length, 1, 'every attempt resumed the same run');
  assert.equal(runs[0]?.status, 'succeeded');
  assert.ok(killedMidRun >= Math.min(2, KILLS), `at least two kills landed mid-run (got ${killedMidRun})`);
  assert.equal(runs[0]?.attempts, killedMidRun + 1);
  assert.equal(runs[0]?.totals.recordsIn, RECORDS);

  t.diagnostic(`killed ${killedMidRun} times mid-run; ${runs[0]?.attempts} attempts; ${runs[0]?.totals.batches} batches`);
  const { total, unique, partial } = await countIds(dir);
  assert.deepEqual(partial, [], 'no temp or partial object is left visible');
  assert.equal(unique, RECORDS, 'no record lost');
  assert.equal(total, RECORDS, 'no record duplicated');
});
