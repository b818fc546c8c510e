// The quickstart's classic case end to end with the real binary: init stores a bearer token in the secret
// store and makes a dev CA, `sluice demo-api` serves the customers over HTTPS, `sluice run` fetches them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decryptLines, runCli, spawnCli } from './support/cli-harness.ts';

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** Starts `sluice demo-api` in `dir` and waits until it listens. */
async function startDemoApi(dir: string, port: number) {
  const api = spawnCli(dir, 'demo-api', '--port', String(port));
  await new Promise<void>((resolve, reject) => {
    let text = '';
    api.child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('listening on')) resolve();
    });
    void api.done.then((exit) => reject(new Error(`demo-api exited: ${exit.stderr}`)));
  });
  return api;
}

test('quickstart (http): the pipeline fetches every customer from the demo API with the token from the secret store, and stores them encrypted', async () => {
  const parent = mkdtempSync(join(tmpdir(), 'sluice-qs-'));
  const dir = join(parent, 'demo');
  const port = await freePort();
  const init = await runCli(parent, 'init', 'demo', '--demo-port', String(port), '--records', '300');
  assert.equal(init.code, 0, init.stderr);
  // The token is in the store, never in the spec or the scaffold's files.
  const spec = readFileSync(join(dir, 'pipeline.yaml'), 'utf8');
  assert.match(spec, /bearer: sluice:\/\/demo-api-token/);
  assert.match(spec, new RegExp(`https://127\\.0\\.0\\.1:${port}/v1/customers`));
  assert.equal(statSync(join(dir, 'demo-api', 'server-key.pem')).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(join(dir, 'demo-api')).sort(), ['ca.pem', 'server-key.pem', 'server.pem'], 'the CA key is not kept');

  const check = await runCli(dir, 'check');
  assert.equal(check.code, 0, check.stderr + check.stdout);
  assert.match(check.stdout + check.stderr, /SLC108/, 'check reports the loopback opt-in');

  const api = await startDemoApi(dir, port);
  try {
    const run = await runCli(dir, 'run', '--progress', 'none');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /records in\s+300\b/);
    assert.match(run.stdout, /quarantined\s+2\b/);
  } finally {
    api.child.kill('SIGTERM');
    await api.done;
  }
  const root = join(dir, 'out', 'support', 'customers-quickstart');
  const files = readdirSync(root).flatMap((run) => readdirSync(join(root, run)).map((name) => join(root, run, name)));
  const lines = await decryptLines(dir, files);
  assert.equal(lines.length, 298);
  for (const file of files) assert.doesNotMatch(readFileSync(file, 'latin1'), /customer_id/, 'objects are sealed');
});

test('quickstart (http): without the demo API running, the run fails with a clear error naming the URL, and no stack trace', async () => {
  const parent = mkdtempSync(join(tmpdir(), 'sluice-qs-'));
  const dir = join(parent, 'demo');
  const port = await freePort();
  assert.equal((await runCli(parent, 'init', 'demo', '--demo-port', String(port), '--records', '10')).code, 0);
  const run = await runCli(dir, 'run', '--progress', 'none');
  assert.notEqual(run.code, 0);
  assert.match(run.stderr, new RegExp(`127\\.0\\.0\\.1:${port}`));
  assert.doesNotMatch(run.stderr, /^\s+at .+:\d+:\d+\)?$/m);
});
