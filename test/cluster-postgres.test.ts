// A PostgreSQL table copied by a cluster run: the coordinator splits it into key ranges, workers read their
// ranges in keyset batches, and the run's end is recorded so that the next run (cluster or embedded) reads only
// the rows added since, as an incremental source does in one process.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { runCli } from './support/cli-harness.ts';
import { serviceMissing } from './support/services.ts';
import { LOCAL_POSTGRES } from './support/postgres-scratch.ts';
import { clusterFolder, startWorker, stopWorkers, workerReady } from './support/cluster-harness.ts';
import { startPrivateNats } from './support/nats-server.ts';
import type { PrivateNats } from './support/nats-server.ts';
import type { WorkerProcess } from './support/cluster-harness.ts';

const skip = await serviceMissing('postgresql');
let nats: PrivateNats;
before(async () => {
  if (!skip) nats = await startPrivateNats();
});
after(async () => await nats?.close());

function spec(schema: string): string {
  return `pipeline: pgcopy
source:
  postgresql:
    host: ${LOCAL_POSTGRES.host}
    port: ${LOCAL_POSTGRES.port}
    database: ${LOCAL_POSTGRES.database}
    user: ${LOCAL_POSTGRES.user}
    insecureNoTls: true
    table: ${schema}.customers
    cursor: id
contract:
  fields:
    id:    { type: number, class: internal }
    email: { type: string, class: restricted }
    name:  { type: string, class: confidential }
steps:
  - mask: { fields: [email], keepLast: 4 }
sinks:
  - file: { dir: out, clearance: confidential }
runtime:
  batchSize: 500
`;
}

async function idsIn(dir: string): Promise<number[]> {
  const cat = await runCli(dir, 'cat', join(dir, 'out', 'pgcopy'));
  assert.equal(cat.code, 0, cat.stderr);
  return cat.stdout.split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { id: number }).id);
}

test('a table is split into key ranges over two workers; each row lands once; the next cluster run and the next embedded run read only the rows added since', { skip, timeout: 240_000 }, async () => {
  // ~60 bytes a row: ranges of about 1,000 rows (the smallest a split makes) over 20,000 rows.
  const folder = await clusterFolder(nats.port, { taskBytes: 64 * 1024 });
  const { dir, schema } = folder;
  const table = `${pg.escapeIdentifier(schema)}.customers`;
  const workers: WorkerProcess[] = [];
  try {
    await folder.admin.query(`CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(schema)}`);
    await folder.admin.query(`CREATE TABLE ${table} (id int PRIMARY KEY, email text NOT NULL, name text NOT NULL)`);
    const add = (from: number, to: number) => folder.admin.query(`INSERT INTO ${table} SELECT g, 'user' || g || '@example.com', 'Name ' || g FROM generate_series(${from}, ${to}) g`);
    await add(1, 20_000);
    await writeFile(join(dir, 'pipeline.yaml'), spec(schema));
    assert.equal((await runCli(dir, 'keys', 'init')).code, 0);
    for (const name of ['pg-a', 'pg-b']) workers.push(startWorker(dir, name));
    await Promise.all(workers.map((w) => workerReady(w)));

    const first = await runCli(dir, 'run', '--cluster', '--progress', 'none', 'pipeline.yaml');
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.match(first.stdout, /records in\s+20,000/);
    const tasks = Number(/tasks\s+(\d+) on 2 worker/.exec(first.stdout)?.[1]);
    assert.ok(tasks >= 5, `split into several key ranges over both workers: ${first.stdout}`);
    let ids = await idsIn(dir);
    assert.equal(ids.length, 20_000);
    assert.equal(new Set(ids).size, 20_000);

    await add(20_001, 23_000);
    const second = await runCli(dir, 'run', '--cluster', '--progress', 'none', 'pipeline.yaml');
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.match(second.stdout, /records in\s+3,000/, 'only the rows added since the last run');

    await add(23_001, 23_500);
    const embedded = await runCli(dir, 'run', '--progress', 'none', 'pipeline.yaml');
    assert.equal(embedded.code, 0, embedded.stdout + embedded.stderr);
    assert.match(embedded.stdout, /records in\s+500/, 'an embedded run continues where the cluster run ended');

    const nothing = await runCli(dir, 'run', '--cluster', '--progress', 'none', 'pipeline.yaml');
    assert.equal(nothing.code, 0, nothing.stdout + nothing.stderr);
    assert.match(nothing.stdout, /records in\s+0/);

    ids = await idsIn(dir);
    assert.equal(ids.length, 23_500);
    assert.equal(new Set(ids).size, 23_500, 'every row once across the four runs');
  } finally {
    await stopWorkers(workers);
    await folder.close();
  }
});
