// The CLI on the PostgreSQL state store (state.store: postgresql): a run, its listing, keys and the audit log
// live in the schema, not in state.db; the connection string comes from a secret reference and is in no output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { assertNoStack, customersSpec, runCli, spawnCli } from './support/cli-harness.ts';
import { writeCustomers } from './support/generate-customers.ts';
import { serviceMissing } from './support/services.ts';
import { LOCAL_POSTGRES } from './support/postgres-scratch.ts';
import { PostgresStateStore } from '../src/store/postgres/postgres-state-store.ts';

const skip = await serviceMissing('postgresql');

test('state.store postgresql: a run, its listing and a verified audit log live in the schema; no state.db is made; the password comes from a reference and is in no output', { skip }, async () => {
  const schema = `sluice_cli_${randomBytes(4).toString('hex')}`;
  const url = `postgresql://${LOCAL_POSTGRES.user}@${LOCAL_POSTGRES.host}:${LOCAL_POSTGRES.port}/${LOCAL_POSTGRES.database}`;
  const variable = `SLUICE_TEST_STATE_URL_${randomBytes(3).toString('hex').toUpperCase()}`;
  // The local server trusts loopback connections: the password is there to show it comes from a reference.
  process.env[variable] = 'not-checked-by-trust-auth';
  const dir = await mkdtemp(join(tmpdir(), 'sluice-pgstate-'));
  const admin = new pg.Pool({ ...LOCAL_POSTGRES, max: 1 });
  try {
    await writeFile(join(dir, 'sluice.settings.yaml'), `state:\n  store: postgresql\n  postgresql:\n    host: ${LOCAL_POSTGRES.host}\n    port: ${LOCAL_POSTGRES.port}\n    database: ${LOCAL_POSTGRES.database}\n    user: ${LOCAL_POSTGRES.user}\n    password: env://${variable}\n    insecureNoTls: true\n    schema: ${schema}\n`);
    await writeFile(join(dir, 'pipeline.yaml'), customersSpec('pgstate', 40));
    await writeCustomers(join(dir, 'customers.jsonl'), 100);
    const ran = await runCli(dir, 'run', 'pipeline.yaml');
    assert.equal(ran.code, 0, ran.stderr);
    assertNoStack(ran.stderr);
    assert.ok(!existsSync(join(dir, '.sluice', 'state.db')), 'no SQLite store was made');
    const store = await PostgresStateStore.open({ connectionString: url, schema });
    try {
      const [run] = await store.listRuns({ pipeline: 'pgstate' });
      assert.equal(run?.status, 'succeeded');
      assert.equal(run?.totals.recordsIn, 100);
      assert.ok((await store.listKeyVersions('default')).length > 0, 'the keyring lives in the schema');
    } finally {
      await store.close();
    }
    const runs = await runCli(dir, 'runs');
    assert.match(runs.stdout, /pgstate\s+succeeded/);
    const verified = await runCli(dir, 'audit', 'verify');
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    const checked = await runCli(dir, 'check', 'pipeline.yaml');
    assert.equal(checked.code, 0, checked.stdout + checked.stderr);
    assert.match(checked.stdout, /SLC108.*the state store: a connection without TLS/, 'the plaintext opt-out is reported');

    // The control plane on the same store: a key made by the CLI lands in the schema, and the API lists the run.
    const created = await runCli(dir, 'access', 'apikey', 'create', '--name', 'pg', '--role', 'viewer');
    assert.equal(created.code, 0, created.stderr);
    const { child, done } = spawnCli(dir, '--log-level', 'warn', 'serve', '--insecure-dev', '--listen', '127.0.0.1:0');
    try {
      const base = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 30_000);
        child.stdout!.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /listening on (http:\/\/[^/\s]+)\//.exec(out);
          if (match?.[1]) {
            clearTimeout(timer);
            resolve(match[1]);
          }
        });
      });
      const listed = await fetch(`${base}/api/v1/runs`, { headers: { authorization: `Bearer ${created.stdout.trim()}` } });
      assert.equal(listed.status, 200);
      const body = (await listed.json()) as { runs: { pipeline: string; status: string }[] };
      assert.deepEqual(body.runs.map((r) => [r.pipeline, r.status]), [['pgstate', 'succeeded']]);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal((await done).code, 0);
    for (const text of [ran.stdout, ran.stderr, runs.stdout, verified.stdout, checked.stdout]) assert.ok(!text.includes('not-checked-by-trust-auth'), 'the password is in no output');
  } finally {
    delete process.env[variable];
    await admin.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
    await admin.end();
  }
});

test('state.postgresql to another machine without TLS is refused at load (insecureNoTls is for loopback only)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-pgstate-'));
  await writeFile(join(dir, 'sluice.settings.yaml'), 'state:\n  store: postgresql\n  postgresql:\n    host: db.example.com\n    database: sluice\n    user: sluice\n    insecureNoTls: true\n');
  const outcome = await runCli(dir, 'runs');
  assert.equal(outcome.code, 2);
  assert.match(outcome.stderr, /state\.postgresql\.insecureNoTls: a connection to db\.example\.com must use TLS/);
});

test('state.postgresql password as a literal or from a store it opens itself is refused: env:// or file:// only', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-pgstate-'));
  await writeFile(join(dir, 'sluice.settings.yaml'), 'state:\n  store: postgresql\n  postgresql:\n    host: 127.0.0.1\n    database: sluice\n    user: sluice\n    password: sluice://pg-password\n    insecureNoTls: true\n');
  const outcome = await runCli(dir, 'runs');
  assert.equal(outcome.code, 2);
  assert.match(outcome.stderr, /state\.postgresql\.password/);
});

test('state.store postgresql without state.postgresql is a settings error naming the fix', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-pgstate-'));
  await writeFile(join(dir, 'sluice.settings.yaml'), 'state:\n  store: postgresql\n');
  const outcome = await runCli(dir, 'runs');
  assert.equal(outcome.code, 2);
  assert.match(outcome.stderr, /SLUICE_SETTINGS_INVALID[\s\S]*state\.postgresql \(host, database, user\)/);
  assertNoStack(outcome.stderr);
});
