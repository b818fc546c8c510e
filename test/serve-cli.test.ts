// `sluice certs init`, `sluice access` and `sluice serve` as a user runs them: the real binary over HTTPS, a
// pipeline started through the API and run to completion, SIGTERM to stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, chmod, mkdtemp, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch } from 'undici';
import { assertNoStack, customersSpec, runCli, spawnCli } from './support/cli-harness.ts';
import { writeCustomers } from './support/generate-customers.ts';

async function waitForListening(child: ReturnType<typeof spawnCli>['child']): Promise<string> {
  return await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (https?:\/\/[^/\s]+)\//.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
  });
}

async function project(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-serve-'));
  await mkdir(join(dir, 'pipelines', 'sales'), { recursive: true });
  await writeFile(join(dir, 'pipelines', 'sales', 'customers.yaml'), customersSpec('customers', 50));
  await writeCustomers(join(dir, 'pipelines', 'sales', 'customers.jsonl'), 200);
  return dir;
}

test('serve: certs init, an admin key from the CLI, a run started over HTTPS runs to success, SIGTERM stops with exit 0', async () => {
  const dir = await project();
  const certs = await runCli(dir, 'certs', 'init', '--client', 'worker-1');
  assert.equal(certs.code, 0, certs.stderr);
  for (const file of ['ca.pem', 'ca-key.pem', 'server.pem', 'server-key.pem', 'client-worker-1.pem', 'client-worker-1-key.pem']) assert.ok((await readdir(join(dir, 'certs'))).includes(file), file);
  // A second init refuses to overwrite the CA.
  const again = await runCli(dir, 'certs', 'init');
  assert.equal(again.code, 2);
  assert.match(again.stderr, /SLUICE_INIT_EXISTS/);
  // --force replaces them, and a key file left readable by others does not keep its mode.
  await chmod(join(dir, 'certs', 'ca-key.pem'), 0o644);
  assert.equal((await runCli(dir, 'certs', 'init', '--force', '--client', 'worker-1')).code, 0);
  assert.equal((await stat(join(dir, 'certs', 'ca-key.pem'))).mode & 0o777, 0o600);
  await appendFile(join(dir, 'sluice.settings.yaml'), 'server:\n  tls:\n    cert: certs/server.pem\n    key: certs/server-key.pem\n    clientCa: certs/ca.pem\n');
  const created = await runCli(dir, 'access', 'apikey', 'create', '--name', 'ops', '--role', 'admin', '--clearance', 'confidential');
  assert.equal(created.code, 0, created.stderr);
  const key = created.stdout.trim();
  assert.match(key, /^slc_[A-Za-z0-9_-]{12}_[A-Za-z0-9_-]{43}$/);

  const { child, done } = spawnCli(dir, '--log-level', 'warn', 'serve', '--listen', '127.0.0.1:0');
  const base = await waitForListening(child);
  assert.match(base, /^https:/);
  const dispatcher = new Agent({ connect: { ca: await readFile(join(dir, 'certs', 'ca.pem')) } });
  const call = async (method: string, path: string) => {
    const response = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${key}` }, dispatcher });
    return { status: response.status, body: (await response.json()) as any };
  };
  try {
    // Two starts at once: one run, and the second is told the pipeline is running (409), never a second executor.
    const [first, second] = await Promise.all([call('POST', '/api/v1/pipelines/sales/customers/runs'), call('POST', '/api/v1/pipelines/sales/customers/runs')]);
    const statuses = [first.status, second.status].sort();
    assert.deepEqual(statuses, [202, 409], JSON.stringify([first.body, second.body]));
    const started = first.status === 202 ? first : second;
    let run: any;
    for (let i = 0; i < 300; i++) {
      run = (await call('GET', `/api/v1/runs/${started.body.runId}`)).body;
      if (run.status !== 'running') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    assert.equal(run.attempts, 1, 'one executor, one attempt');
    assert.equal(run.totals.recordsIn, 200);
    assert.equal(run.namespace, 'sales');
    assert.ok((await readdir(join(dir, 'pipelines', 'sales', 'out'))).length > 0, 'the sink wrote objects');
    const audit = await call('GET', '/api/v1/audit/events?action=run.finish');
    assert.equal(audit.body.events.at(-1).actor.method, 'api-key');
    const verified = await call('POST', '/api/v1/audit/verify');
    assert.equal(verified.body.ok, true, JSON.stringify(verified.body));
  } finally {
    child.kill('SIGTERM');
    await dispatcher.close();
  }
  const exit = await done;
  assert.equal(exit.code, 0, exit.stderr);
  assertNoStack(exit.stderr);
  // Canary sweep (SECURITY-TESTS #64): the key's secret part, raw and encoded, is in no output and no file of
  // the state folder (the store keeps only its SHA-256).
  const secret = key.slice(-43);
  const forms = [secret, Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('hex'), encodeURIComponent(secret)];
  const haystacks = [exit.stdout, exit.stderr, created.stderr];
  const walk = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) await walk(path);
      else haystacks.push((await readFile(path)).toString('latin1'));
    }
  };
  await walk(join(dir, '.sluice'));
  for (const text of haystacks) for (const form of forms) assert.ok(!text.includes(form), 'the API key is nowhere at rest or in output');
});

test('serve refuses plain HTTP off loopback, and HTTPS without certificates, with a usage error and no stack', async () => {
  const dir = await project();
  const offLoopback = await runCli(dir, 'serve', '--insecure-dev', '--listen', '0.0.0.0:0');
  assert.equal(offLoopback.code, 2);
  assert.match(offLoopback.stderr, /SLUICE_USAGE.*loopback only/);
  const noTls = await runCli(dir, 'serve', '--listen', '127.0.0.1:0');
  assert.equal(noTls.code, 2);
  assert.match(noTls.stderr, /SLUICE_SETTINGS_INVALID.*certs init/);
  assertNoStack(offLoopback.stderr + noTls.stderr);
});

test('serve --insecure-dev on loopback serves plain HTTP without HSTS, still demands credentials, and check reports it (SLC203)', async () => {
  const dir = await project();
  const { child, done } = spawnCli(dir, '--log-level', 'warn', 'serve', '--insecure-dev', '--listen', '127.0.0.1:0');
  const base = await waitForListening(child);
  assert.match(base, /^http:/);
  try {
    const health = await fetch(`${base}/api/v1/health`);
    assert.equal(health.status, 200);
    assert.equal(health.headers.get('strict-transport-security'), null);
    assert.equal((await fetch(`${base}/api/v1/runs`)).status, 401);
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal((await done).code, 0);
  const checked = await runCli(join(dir, 'pipelines', 'sales'), '--state-dir', join(dir, '.sluice'), 'check', 'customers.yaml');
  assert.match(checked.stdout, /SLC203/);
});
