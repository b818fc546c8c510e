// SIGTERM during `sluice run`: exit 130 after committing the batch in flight, then a rerun resumes to exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { decryptLines, customersSpec, runCli, spawnCli, STACK_LINE } from './support/cli-harness.ts';
import { writeCustomers } from './support/generate-customers.ts';

const RECORDS = 300_000;
const BATCH = 5000;

interface RunJson {
  id: string;
  status: string;
  attempts: number;
  error?: string;
  totals: { batches: number; recordsIn: number };
}

/** The files of the one run in the sink, or [] while there is none. */
function sinkFiles(dir: string): { runDir: string; names: string[] } {
  const root = join(dir, 'out', 'sigterm');
  const [run] = existsSync(root) ? readdirSync(root) : [];
  if (run === undefined) return { runDir: '', names: [] };
  const runDir = join(root, run);
  return { runDir, names: readdirSync(runDir).sort() };
}

test(`SIGTERM during a ${RECORDS}-record run: exit 130 after the batch in flight; a rerun resumes and completes exactly once`, { timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-sigterm-'));
  // About 100 MB of input and output: removed when the test ends.
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'pipeline.yaml'), customersSpec('sigterm', BATCH));
  await writeCustomers(join(dir, 'customers.jsonl'), RECORDS);

  const { child, done: exited } = spawnCli(dir, 'run', '--progress', 'none', '--log-level', 'warn');
  let done = false;
  void exited.then(() => (done = true));

  // Signal once two batches are in the sink: the run is well under way, with most of the input still to read.
  while (!done && !sinkFiles(dir).names.includes('part-000002.jsonl.sluice')) await sleep(10);
  if (done) {
    const { stdout, stderr } = await exited;
    assert.fail(`the run ended before it could be signalled:\n${stdout}${stderr}`);
  }
  child.kill('SIGTERM');
  const { code, signal, stderr } = await exited;

  assert.equal(signal, null, 'the process died of the signal instead of handling it');
  assert.equal(code, 130, stderr);
  assert.match(stderr, /SIGTERM: finishing the batch in flight/);
  assert.match(stderr, /error SLUICE_RUN_INTERRUPTED: run \S+ was interrupted after batch \d+; run again to resume/);
  assert.doesNotMatch(stderr, STACK_LINE);

  const listed = await runCli(dir, 'runs', '--json');
  assert.equal(listed.code, 0, listed.stderr);
  const [interrupted, ...others] = JSON.parse(listed.stdout) as RunJson[];
  assert.ok(interrupted);
  assert.equal(others.length, 0);
  assert.equal(interrupted.status, 'failed');
  assert.match(interrupted.error ?? '', /interrupted/);
  const committed = interrupted.totals.batches;
  assert.ok(committed >= 2 && committed < RECORDS / BATCH, `${committed} batches committed`);
  assert.equal(interrupted.totals.recordsIn, committed * BATCH);
  // The batch in flight was finished and committed; nothing past it was written, and no temp file is left.
  const { runDir, names: committedNames } = sinkFiles(dir);
  assert.deepEqual(committedNames, Array.from({ length: committed }, (_, i) => `part-${String(i + 1).padStart(6, '0')}.jsonl.sluice`));

  const rerun = await runCli(dir, 'run', '--progress', 'none');
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.ok(rerun.stdout.includes(`run ${interrupted.id} `), 'the rerun did not resume the interrupted run');
  assert.match(rerun.stdout, /records in\s+300,000\b/);
  const after = JSON.parse((await runCli(dir, 'runs', '--json')).stdout) as RunJson[];
  assert.equal(after.length, 1);
  assert.equal(after[0]?.status, 'succeeded');
  assert.equal(after[0]?.attempts, 2);

  const seen = new Set<string>();
  let total = 0;
  const names = sinkFiles(dir).names;
  for (const name of names) assert.match(name, /^part-\d{6}\.jsonl\.sluice$/);
  for (const line of await decryptLines(dir, names.map((name) => join(runDir, name)))) {
    total++;
    seen.add((JSON.parse(line) as { customer_id: string }).customer_id);
  }
  assert.equal(total, RECORDS, 'the sink does not hold every record once (lost or duplicated)');
  assert.equal(seen.size, RECORDS);
});
