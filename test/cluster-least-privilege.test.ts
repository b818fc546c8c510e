// A cluster worker whose PostgreSQL role holds only what `sluice cluster grants` gives: it processes a run that
// creates subject keys and tokenizes, and as that role the attacks a compromised worker would try (rewriting runs,
// destroying key versions, reading API key hashes, binding itself a role, altering the schema or the audit log)
// are refused by the database.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { CUSTOMER_CONTRACT_FIELDS, runCli } from './support/cli-harness.ts';
import { serviceMissing } from './support/services.ts';
import { LOCAL_POSTGRES } from './support/postgres-scratch.ts';
import { clusterFolder, startWorker, stopWorkers, workerReady } from './support/cluster-harness.ts';
import { startPrivateNats } from './support/nats-server.ts';
import type { PrivateNats } from './support/nats-server.ts';
import type { WorkerProcess } from './support/cluster-harness.ts';
import { writeCustomers } from './support/generate-customers.ts';
import { WORKER_TABLE_PRIVILEGES } from '../src/cluster/worker-grants.ts';

const skip = await serviceMissing('postgresql');
let nats: PrivateNats;
before(async () => {
  if (!skip) nats = await startPrivateNats();
});
after(async () => await nats?.close());

const SPEC = `pipeline: leastpriv
source:
  file: { path: customers.jsonl }
contract:
  subject: customer_id
  fields:
${CUSTOMER_CONTRACT_FIELDS}steps:
  - encrypt: { fields: [email] }
  - tokenize: { fields: [phone] }
  - mask: { fields: [card_number], keepLast: 4 }
sinks:
  - file: { dir: out, clearance: confidential }
runtime:
  batchSize: 500
`;

test("a worker on a role with only 'sluice cluster grants' runs a task that creates subject keys and tokenizes; as that role, rewriting runs, destroying key versions, reading API key hashes, binding a role, dropping a table and editing the audit log are refused", { skip, timeout: 180_000 }, async () => {
  const folder = await clusterFolder(nats.port, { taskBytes: 128 * 1024 });
  const { dir, schema, admin } = folder;
  const role = `sluice_w_${randomBytes(4).toString('hex')}`;
  const previousKey = process.env.SLUICE_MASTER_KEY;
  process.env.SLUICE_MASTER_KEY = randomBytes(32).toString('hex');
  const workers: WorkerProcess[] = [];
  const asWorker = new pg.Client({ ...LOCAL_POSTGRES, user: role, application_name: 'sluice-test-attacker' });
  let connected = false;
  try {
    await admin.query(`CREATE ROLE ${pg.escapeIdentifier(role)} LOGIN`);
    await writeFile(join(dir, 'pipeline.yaml'), SPEC);
    await writeCustomers(join(dir, 'customers.jsonl'), 3_000);
    assert.equal((await runCli(dir, 'keys', 'init')).code, 0);
    assert.equal((await runCli(dir, 'access', 'apikey', 'create', '--name', 'ops', '--role', 'admin')).code, 0);

    // Every table of the schema has a decision in the grants; a new table must get one.
    const tables = (await admin.query<{ tablename: string }>('SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename', [schema])).rows.map((r) => r.tablename);
    assert.deepEqual(tables, Object.keys(WORKER_TABLE_PRIVILEGES).sort());
    const grants = await runCli(dir, 'cluster', 'grants', '--role', role);
    assert.equal(grants.code, 0, grants.stderr);
    await admin.query(grants.stdout);

    // The worker's own folder: the same settings, logged in as the narrow role.
    const workerDir = join(dir, 'worker');
    await mkdir(workerDir);
    const settings = await readFile(join(dir, 'sluice.settings.yaml'), 'utf8');
    await writeFile(join(workerDir, 'sluice.settings.yaml'), settings.replace(`user: ${LOCAL_POSTGRES.user}`, `user: ${role}`));
    const worker = startWorker(workerDir, 'narrow');
    workers.push(worker);
    await workerReady(worker);
    const ran = await runCli(dir, 'run', '--cluster', '--progress', 'none', 'pipeline.yaml');
    assert.equal(ran.code, 0, `${ran.stdout}${ran.stderr}\nworker: ${worker.stderr()}`);
    assert.match(ran.stdout, /records in\s+3,000/);
    assert.match(ran.stdout, /on 1 worker/);

    await asWorker.connect();
    connected = true;
    const refused = async (what: string, sql: string) => {
      await assert.rejects(asWorker.query(sql), (error: { code?: string }) => error.code === '42501', `${what} should be refused (insufficient_privilege)`);
    };
    const s = pg.escapeIdentifier(schema);
    await refused('rewrite a run', `UPDATE ${s}.runs SET status = 'succeeded'`);
    await refused('delete runs', `DELETE FROM ${s}.runs`);
    await refused('destroy a key version', `UPDATE ${s}.key_versions SET state = 'destroyed'`);
    await refused('read API key hashes', `SELECT * FROM ${s}.api_keys`);
    await refused('bind itself a role', `INSERT INTO ${s}.role_bindings SELECT * FROM ${s}.role_bindings LIMIT 0`);
    await refused('drop the tasks', `DROP TABLE ${s}.tasks`);
    await refused('edit the audit log', `UPDATE ${s}.audit_events SET outcome = 'success'`);
    await refused('create a table in the schema', `CREATE TABLE ${s}.planted (x int)`);
  } finally {
    if (connected) await asWorker.end();
    await stopWorkers(workers);
    if (previousKey === undefined) delete process.env.SLUICE_MASTER_KEY;
    else process.env.SLUICE_MASTER_KEY = previousKey;
    // The role holds grants in the schema until it is dropped; then the role can go.
    await admin.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
    await admin.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(role)}`);
    await folder.close();
  }
});
