// SIGKILL `sluice run` at random points of a 1M-record run, rerun until it finishes: the sink must then hold
// every input record exactly once (no loss, no duplicate), and no partial object may be visible.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, readdirSync, createReadStream, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeCustomers } from './support/generate-customers.ts';
import { seeded } from '../src/cli/sample-customers.ts';
import { SqliteStateStore } from '../src/store/sqlite/sqlite-state-store.ts';

const RECORDS = Number(process.env.SLUICE_CRASH_RECORDS ?? 1_000_000);
const KILLS = 4;
const BIN = join(import.meta.dirname, '..', 'bin', 'sluice.js');

const SPEC = `pipeline: crash
source:
  file: { path: customers.jsonl }
contract:
  fields:
    customer_id:    { type: string, class: internal }
    full_name:      { type: string, class: confidential }
    email:          { type: string, class: restricted }
    phone:          { type: string, class: confidential, nullable: true }
    card_number:    { type: string, class: restricted }
    country:        { type: string, class: public }
    signup_date:    { type: date,   class: internal }
    lifetime_value: { type: number, class: internal }
steps:
  - mask: { fields: [card_number, email], keepLast: 4 }
sinks:
  - file: { dir: out, clearance: confidential }
runtime:
  batchSize: 5000
`;

function runSluice(dir: string): { child: ReturnType<typeof spawn>; done: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, 'run', '--progress', 'none', '--log-level', 'warn'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  void done.then((code) => {
    if (code !== 0 && code !== null) console.error(stderr);
  });
  return { child, done };
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
      const lines = createInterface({ input: createReadStream(join(root, run, name)) });
      for await (const line of lines) {
        const record = JSON.parse(line) as { customer_id: string };
        total++;
        seen.add(record.customer_id);
      }
    }
  }
  return { total, unique: seen.size, partial };
}

test(`SIGKILL at ${KILLS} random points of a ${RECORDS}-record run: after reruns every record is in the sink exactly once`, { timeout: 600_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-crash-'));
  // About 700 MB of input and output: removed whatever the outcome.
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'pipeline.yaml'), SPEC);
  await writeCustomers(join(dir, 'customers.jsonl'), RECORDS);
  const random = seeded(42);
  let killedMidRun = 0;
  let finished = false;
  for (let kill = 0; kill < KILLS && !finished; kill++) {
    const { child, done } = runSluice(dir);
    // Startup takes about half a second; kill somewhere in the next seconds of work.
    await Promise.race([sleep(700 + Math.floor(random() * 2000)), done]);
    finished = child.exitCode !== null;
    if (!finished) child.kill('SIGKILL');
    const code = await done;
    if (finished) assert.equal(code, 0, 'a run that was not killed completes');
    else killedMidRun++;
  }
  if (!finished) {
    const final = runSluice(dir);
    assert.equal(await final.done, 0, 'the last run completes');
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
