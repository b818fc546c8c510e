// Two `sluice run` of one pipeline started together: one runs, the other is refused; never two writers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnCli } from './support/cli-harness.ts';
import { writeCustomers } from './support/generate-customers.ts';

const run = (dir: string) => spawnCli(dir, 'run', '--progress', 'none', '--log-level', 'silent').done;

test('two runs of one pipeline started at once: exactly one writes, the other is refused with SLUICE_RUN_LOCKED', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-concurrent-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const template = readFileSync(join(import.meta.dirname, '..', 'examples', 'quickstart', 'pipeline-file.yaml'), 'utf8');
  writeFileSync(join(dir, 'pipeline.yaml'), template);
  mkdirSync(join(dir, 'data'));
  await writeCustomers(join(dir, 'data', 'customers.jsonl'), 200_000);
  const results = await Promise.all([run(dir), run(dir)]);
  const codes = results.map((r) => r.code).sort();
  assert.deepEqual(codes, [0, 1], results.map((r) => r.stderr).join('\n'));
  const refused = results.find((r) => r.code === 1);
  assert.match(refused?.stderr ?? '', /SLUICE_RUN_LOCKED/);
});
