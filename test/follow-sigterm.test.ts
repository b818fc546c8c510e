// `sluice run --follow` as an operator runs it: the binary follows a PostgreSQL table past its cursor, picks up
// rows inserted while it runs, and on SIGTERM commits the batch in flight and ends the run as succeeded (exit 0);
// the next run reads only what came after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { decryptLines, runCli, spawnCli, STACK_LINE } from './support/cli-harness.ts';
import { scratchSchema } from './support/postgres-scratch.ts';
import { serviceMissing } from './support/services.ts';

const skip = await serviceMissing('postgresql');

function spec(connection: Record<string, unknown>, table: string): string {
  return `pipeline: follow-orders
source:
  postgresql:
    host: ${String(connection.host)}
    port: ${String(connection.port)}
    database: ${String(connection.database)}
    user: ${String(connection.user)}
    insecureNoTls: true
    table: ${table}
    cursor: id
    pollInterval: 1s
contract:
  fields:
    id: { type: integer, class: internal }
    email: { type: string, class: restricted, pii: email }
steps:
  - mask: { fields: [email], keepLast: 4 }
sinks:
  - file: { dir: out, clearance: internal }
runtime:
  batchSize: 50
`;
}

/** Every record the file sink holds, over all runs. */
async function sinkIds(dir: string): Promise<number[]> {
  const root = join(dir, 'out', 'follow-orders');
  const files = readdirSync(root).flatMap((run) => readdirSync(join(root, run)).map((name) => join(root, run, name)));
  return (await decryptLines(dir, files)).map((line) => (JSON.parse(line) as { id: number }).id).sort((a, b) => a - b);
}

test('run --follow: rows inserted while it runs are read; SIGTERM ends it as succeeded with exit 0, and the next run reads only newer rows', { skip, timeout: 120_000 }, async (t) => {
  const scratch = await scratchSchema('sluice_follow');
  t.after(() => scratch.close());
  const table = scratch.table('orders');
  await scratch.query(`CREATE TABLE ${table} (id integer PRIMARY KEY, email text NOT NULL)`);
  const insert = (from: number, to: number) => scratch.query(`INSERT INTO ${table} SELECT g, 'user' || g || '@example.com' FROM generate_series($1::int, $2::int) g`, [from, to]);
  await insert(1, 120);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-follow-'));
  writeFileSync(join(dir, 'pipeline.yaml'), spec(scratch.connection, table));

  const { child, done } = spawnCli(dir, 'run', '--follow', '--progress', 'none', '--log-level', 'warn');
  let exited = false;
  void done.then(() => (exited = true));
  const committed = async (count: number) => {
    for (;;) {
      const listed = await runCli(dir, 'runs', '--json');
      const [run] = JSON.parse(listed.stdout || '[]') as { totals: { recordsIn: number } }[];
      if ((run?.totals.recordsIn ?? 0) >= count) return;
      if (exited) assert.fail(`the following run ended early: ${(await done).stderr}`);
      await sleep(100);
    }
  };
  await committed(120);
  await insert(121, 175);
  await committed(175);
  child.kill('SIGTERM');
  const { code, signal, stdout, stderr } = await done;
  assert.equal(signal, null);
  assert.equal(code, 0, stderr);
  assert.match(stderr, /SIGTERM: finishing the batch in flight, then stopping/);
  assert.match(stdout, /succeeded/);
  assert.doesNotMatch(stderr, STACK_LINE);
  assert.deepEqual(await sinkIds(dir), Array.from({ length: 175 }, (_, i) => i + 1));

  // Incremental: a new run (not following) continues after the last committed row.
  await insert(176, 180);
  const next = await runCli(dir, 'run', '--progress', 'none');
  assert.equal(next.code, 0, next.stderr);
  assert.match(next.stdout, /records in\s+5\b/);
  assert.deepEqual(await sinkIds(dir), Array.from({ length: 180 }, (_, i) => i + 1));
});
