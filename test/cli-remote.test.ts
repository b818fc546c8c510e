// The CLI as a client of the control plane (`--server URL`): run, check, runs, keys and audit against a real
// server over TLS, credentials from env:// and file:// references, and every way the connection is refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertNoStack, customersSpec, runCli } from './support/cli-harness.ts';
import type { Outcome } from './support/cli-harness.ts';
import { startTestPlane } from './support/control-plane-harness.ts';
import type { TestPlane } from './support/control-plane-harness.ts';
import { createDevCa } from '../src/tls/dev-ca.ts';
import { buildServer } from '../src/server/app.ts';
import { routeTable } from '../src/server/route-table.ts';
import { Registry } from 'prom-client';
import type { PipelineRunner } from '../src/server/control-plane.ts';
import type { CatalogEntry } from '../src/server/pipeline-catalog.ts';
import type { SqliteStateStore } from '../src/store/sqlite/sqlite-state-store.ts';
import type { RunStatus } from '../src/store/state-store.ts';

/** Runs that exist in the plane's store: claimed as running, finished a little later with `outcome`. */
class FinishingRunner implements PipelineRunner {
  store: SqliteStateStore | undefined;
  outcome: { status: Exclude<RunStatus, 'running'>; error?: string } = { status: 'succeeded' };
  #count = 0;

  async start(entry: CatalogEntry): Promise<{ runId: string }> {
    const store = this.store!;
    const id = `remote-${++this.#count}`;
    const outcome = this.outcome;
    await store.createRun({ id, pipeline: entry.name, specHash: 'h', startedAt: new Date().toISOString(), pid: process.pid });
    // Finished after the client's first poll, so that it has to wait.
    setTimeout(() => {
      const totals = { recordsIn: 200, recordsOut: { file: 200 }, quarantined: 0, protectedFields: { 'mask:email': 200 }, piiFound: {}, unknownFieldsDropped: 0, batches: 4, activeMs: 400 };
      void store.finishRun(id, { status: outcome.status, finishedAt: new Date().toISOString(), totals, ...(outcome.error !== undefined ? { error: outcome.error } : {}) });
    }, 600);
    return { runId: id };
  }
  active(): ReadonlySet<string> {
    return new Set();
  }
  async stopAll(): Promise<void> {}
}

const runner = new FinishingRunner();
let plane: TestPlane;
let cwd: string;
let caFile: string;
/** What the variables this file sets held before it ran. */
const savedEnv: Record<string, string | undefined> = {};
const ENV = ['SLUICE_SERVER', 'SLUICE_SERVER_CA', 'SLUICE_API_KEY', 'SLUICE_TEST_REMOTE_KEY'];

function setEnv(vars: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(vars)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

async function withEnv<T>(vars: Record<string, string | undefined>, work: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  setEnv(vars);
  try {
    return await work();
  } finally {
    setEnv(saved);
  }
}

/** `sluice --server <plane> --server-ca <dev CA> --credential env://SLUICE_TEST_REMOTE_KEY <args>` (an admin key). */
function remote(...args: string[]): Promise<Outcome> {
  return runCli(cwd, '--server', plane.url, '--server-ca', caFile, '--credential', 'env://SLUICE_TEST_REMOTE_KEY', ...args);
}

before(async () => {
  for (const name of ENV) savedEnv[name] = process.env[name];
  setEnv(Object.fromEntries(ENV.map((name) => [name, undefined])));
  plane = await startTestPlane({ runner });
  runner.store = plane.store;
  cwd = await mkdtemp(join(tmpdir(), 'sluice-remote-cli-'));
  caFile = join(cwd, 'ca.pem');
  await writeFile(caFile, plane.ca.cert);
  process.env.SLUICE_TEST_REMOTE_KEY = (await plane.apiKey('admin')).key;
  const totals = { recordsIn: 50, recordsOut: { file: 48 }, quarantined: 2, protectedFields: {}, piiFound: {}, unknownFieldsDropped: 0, batches: 1, activeMs: 100 };
  await plane.store.createRun({ id: 'run-customers', pipeline: 'customers', specHash: 'h', startedAt: new Date(Date.now() - 2000).toISOString(), pid: 1 });
  await plane.store.finishRun('run-customers', { status: 'succeeded', finishedAt: new Date().toISOString(), totals });
  await plane.store.createRun({ id: 'run-leads', pipeline: 'leads', specHash: 'h', startedAt: new Date(Date.now() - 1000).toISOString(), pid: 1 });
  await plane.store.finishRun('run-leads', { status: 'failed', finishedAt: new Date().toISOString(), totals, error: 'SLUICE_SOURCE_FAILED: the CRM answered 503' });
  await plane.store.addKeyVersion({ keyId: 'default', version: 1, wrapped: Buffer.from('wrapped'), provider: 'local', createdAt: '2026-01-02T03:04:05.000Z', rotationDays: 90 });
});

after(async () => {
  await plane.close();
  setEnv(savedEnv);
});

test('runs over --server lists the runs in the local table, shows one in full, filters by pipeline and prints JSON with the namespace', async () => {
  const listed = await remote('runs');
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /^RUN\s+PIPELINE\s+STATUS/);
  assert.match(listed.stdout, /run-leads\s+leads\s+failed\s+50\s+48\s+2/);
  assert.ok(listed.stdout.indexOf('run-leads') < listed.stdout.indexOf('run-customers'), 'newest first');

  const filtered = await remote('runs', '--pipeline', 'customers', '--json');
  assert.equal(filtered.code, 0, filtered.stderr);
  const runs = JSON.parse(filtered.stdout) as { id: string; namespace: string }[];
  assert.deepEqual(runs.map((r) => [r.id, r.namespace]), [['run-customers', 'sales']]);

  const shown = await remote('runs', 'run-leads');
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /^run run-leads of leads: failed/);
  assert.match(shown.stdout, /records out\s+48 {2}-> file/);
  assert.match(shown.stdout, /error\s+SLUICE_SOURCE_FAILED: the CRM answered 503/);

  const missing = await remote('runs', 'no-such-run');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /error SLUICE_NOT_FOUND: the server answered 404: .*\(request [^)]+\)/);
  assert.ok(!existsSync(join(cwd, '.sluice')), 'a remote verb opens no local state folder');
});

test('check over --server prints the findings as severity, rule, message and fix, exit 1 on an error finding', async () => {
  const clean = await remote('check', 'sales/customers');
  assert.equal(clean.code, 0, clean.stdout + clean.stderr);
  assert.match(clean.stdout, /sales\/customers: ok, no findings|0 errors/);

  // Without the mask step, restricted fields reach a confidential sink: an error finding.
  await writeFile(join(plane.dir, 'pipelines', 'sales', 'leaky.yaml'), customersSpec('leaky', 100).replace(/steps:\n.*\n/, ''));
  const leaky = await remote('check', 'sales/leaky');
  assert.equal(leaky.code, 1, leaky.stdout + leaky.stderr);
  assert.match(leaky.stdout, /^error SLC\d+ .+ \(fix: .+\)$/m);
  assert.match(leaky.stdout, /^[1-9]\d* errors?, \d+ warnings?$/m);

  const json = await remote('check', 'sales/leaky', '--json');
  assert.equal(json.code, 1);
  const parsed = JSON.parse(json.stdout) as { pipeline: string; findings: { severity: string }[] };
  assert.equal(parsed.pipeline, 'sales/leaky');
  assert.ok(parsed.findings.some((f) => f.severity === 'error'));

  const notSpec = await remote('check', 'customers.yaml');
  assert.equal(notSpec.code, 2);
  assert.match(notSpec.stderr, /SLUICE_USAGE: with --server, check takes a catalogued pipeline as NAMESPACE\/NAME/);
  const secrets = await remote('check', '--secrets', '.');
  assert.equal(secrets.code, 2);
  assert.match(secrets.stderr, /SLUICE_USAGE/);
});

test('run over --server starts the run, waits for it, prints the local summary and exits 0 when it succeeded', async () => {
  runner.outcome = { status: 'succeeded' };
  const ran = await remote('run', 'sales/customers');
  assert.equal(ran.code, 0, ran.stderr);
  assert.match(ran.stdout, /^run remote-\d+ of customers: succeeded/);
  assert.match(ran.stdout, /records in\s+200/);
  assert.match(ran.stdout, /protected values\s+200 {2}\(mask:email 200\)/);
  assert.match(ran.stderr, /started on https:\/\/127\.0\.0\.1:\d+; waiting/);
  assertNoStack(ran.stderr);
});

test('run over --server exits 1 with the run error when the run failed; --fresh and --follow are refused', async () => {
  runner.outcome = { status: 'failed', error: 'SLUICE_SINK_WRITE_FAILED: the disk is full' };
  const ran = await remote('run', 'marketing/leads', '--progress', 'none');
  assert.equal(ran.code, 1);
  assert.match(ran.stdout, /^run remote-\d+ of leads: failed/);
  assert.match(ran.stdout, /error\s+SLUICE_SINK_WRITE_FAILED: the disk is full/);
  assert.match(ran.stderr, /^error: run remote-\d+ failed: SLUICE_SINK_WRITE_FAILED: the disk is full$/m);
  assert.doesNotMatch(ran.stderr, /waiting/, '--progress none keeps stderr quiet');

  for (const flag of ['--fresh', '--follow']) {
    const refused = await remote('run', 'sales/customers', flag);
    assert.equal(refused.code, 2, flag);
    assert.match(refused.stderr, new RegExp(`SLUICE_USAGE: ${flag} applies to runs in this process`));
  }
  const local = await remote('run', 'pipeline.yaml');
  assert.equal(local.code, 2);
  assert.match(local.stderr, /NAMESPACE\/NAME/);
  const unknown = await remote('run', 'sales/nope');
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /SLUICE_NOT_FOUND/);
});

test('keys list and rotate over --server print what the local verbs print', async () => {
  const listed = await remote('keys', 'list');
  assert.equal(listed.code, 0, listed.stderr);
  assert.equal(listed.stdout, `${'default'.padEnd(20)} v1    primary    local    2026-01-02T03:04:05.000Z\n`);
  const json = await remote('keys', 'list', '--json');
  assert.deepEqual(JSON.parse(json.stdout), [{ key: 'default', version: 1, state: 'primary', provider: 'local', created: '2026-01-02T03:04:05.000Z', rotationDays: 90 }]);
  const rotated = await remote('keys', 'rotate', 'default');
  assert.equal(rotated.code, 0, rotated.stderr);
  assert.equal(rotated.stdout, "key 'default' version 2 is now primary; older versions decrypt only\n");
  const unknown = await remote('keys', 'rotate', 'nope');
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /SLUICE_NOT_FOUND: the server answered 404/);
});

test('audit query over --server maps the local filters to the API and pages; audit verify exits 1 when the log does not verify', async () => {
  const rotations = await remote('audit', 'query', '--action', 'key.rotate', '--outcome', 'success', '--from', '2020-01-01');
  assert.equal(rotations.code, 0, rotations.stderr);
  const events = rotations.stdout.trim().split('\n').map((line) => JSON.parse(line) as { seq: number; action: string; resource: string; actor: { method: string } });
  assert.ok(events.length >= 1);
  for (const event of events) assert.equal(event.action, 'key.rotate');
  assert.equal(events[0]!.actor.method, 'api-key');

  const page = await remote('audit', 'query', '--action', 'auth.success', '--limit', '1');
  assert.equal(page.code, 0, page.stderr);
  assert.equal(page.stdout.trim().split('\n').length, 1);
  const first = JSON.parse(page.stdout) as { seq: number };
  assert.match(page.stderr, new RegExp(`more may follow: --after ${first.seq}`));
  const next = await remote('audit', 'query', '--action', 'auth.success', '--limit', '1', '--after', String(first.seq));
  assert.ok((JSON.parse(next.stdout) as { seq: number }).seq > first.seq);

  const badTime = await remote('audit', 'query', '--from', 'yesterday');
  assert.equal(badTime.code, 2, 'the local checks of the filters apply before anything is sent');

  const verified = await remote('audit', 'verify');
  assert.equal(verified.code, 0, verified.stderr);
  assert.equal(verified.stdout, 'audit log ok: 0 events, 0 checkpoint(s) matched\n');
  const original = plane.plane.verifyAudit.bind(plane.plane);
  plane.plane.verifyAudit = async () => ({ ok: false, size: 9, firstBadSeq: 4, problems: ['event 4: the chain hash does not match'], checkpointsVerified: 1 });
  try {
    const failed = await remote('audit', 'verify');
    assert.equal(failed.code, 1);
    assert.equal(failed.stdout, 'audit log FAILED verification: first bad event 4\n  event 4: the chain hash does not match\n');
  } finally {
    plane.plane.verifyAudit = original;
  }
  const checkpoint = await remote('audit', 'verify', '--checkpoint', 'cp.txt');
  assert.equal(checkpoint.code, 2);
});

test('the credential comes from SLUICE_API_KEY by default, or from --credential file://…; SLUICE_SERVER names the server', async () => {
  const { key } = await plane.apiKey('viewer');
  const fromEnv = await withEnv({ SLUICE_API_KEY: key }, () => runCli(cwd, '--server', plane.url, '--server-ca', caFile, 'runs'));
  assert.equal(fromEnv.code, 0, fromEnv.stderr);
  assert.match(fromEnv.stdout, /run-customers/);

  const file = join(cwd, 'viewer.key');
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  const fromFile = await runCli(cwd, '--server', plane.url, '--server-ca', caFile, '--credential', `file://${file}`, 'runs', '--limit', '1');
  assert.equal(fromFile.code, 0, fromFile.stderr);

  const fromServerEnv = await withEnv({ SLUICE_SERVER: plane.url, SLUICE_SERVER_CA: caFile, SLUICE_API_KEY: key }, () => runCli(cwd, 'keys', 'list'));
  assert.equal(fromServerEnv.code, 0, fromServerEnv.stderr);
  assert.match(fromServerEnv.stdout, /^default/);

  // A viewer may list runs, not rotate keys: the server's refusal keeps its code.
  const denied = await withEnv({ SLUICE_API_KEY: key }, () => runCli(cwd, '--server', plane.url, '--server-ca', caFile, 'keys', 'rotate', 'default'));
  assert.equal(denied.code, 1);
  assert.match(denied.stderr, /error SLUICE_FORBIDDEN: the server answered 403/);

  const none = await runCli(cwd, '--server', plane.url, '--server-ca', caFile, 'runs');
  assert.equal(none.code, 1);
  assert.match(none.stderr, /SLUICE_UNAUTHENTICATED: the server answered 401: .*no credential was sent: set SLUICE_API_KEY/);

  const literal = await runCli(cwd, '--server', plane.url, '--credential', key, 'runs');
  assert.equal(literal.code, 2);
  assert.match(literal.stderr, /SLUICE_SECRET_REFERENCE: --credential takes a secret reference/);
  assert.ok(!literal.stderr.includes(key), 'a credential given in place of its reference is not echoed');
});

test('a wrong key exits 1 with SLUICE_UNAUTHENTICATED and the key appears in no output', async () => {
  const { key } = await plane.apiKey('admin');
  // The same key id, another secret: well-formed, and refused.
  const wrong = `${key.slice(0, -8)}AAAAAAAA`;
  const outcome = await withEnv({ SLUICE_API_KEY: wrong }, () => runCli(cwd, '--server', plane.url, '--server-ca', caFile, 'runs'));
  assert.equal(outcome.code, 1);
  assert.match(outcome.stderr, /^error SLUICE_UNAUTHENTICATED: the server answered 401: /);
  for (const text of [outcome.stdout, outcome.stderr]) {
    assert.ok(!text.includes(wrong), 'the wrong key is not printed');
    assert.ok(!text.includes(wrong.slice(-43)), 'nor its secret part');
  }
  assertNoStack(outcome.stderr);
});

test('a server certificate from a CA the client does not trust fails with SLUICE_IO_FAILED naming --server-ca', async () => {
  const other = await createDevCa('another CA', 2);
  const otherFile = join(cwd, 'other-ca.pem');
  await writeFile(otherFile, other.cert);
  for (const args of [['--server-ca', otherFile], []]) {
    const outcome = await runCli(cwd, '--server', plane.url, ...args, '--credential', 'env://SLUICE_TEST_REMOTE_KEY', 'runs');
    assert.equal(outcome.code, 1, outcome.stderr);
    assert.match(outcome.stderr, /^error SLUICE_IO_FAILED: cannot reach https:\/\/127\.0\.0\.1:\d+ \([A-Z_]+\): the server's certificate was not issued by a CA this client trusts: pass --server-ca FILE/);
    assert.ok(!outcome.stderr.includes(process.env.SLUICE_TEST_REMOTE_KEY!));
    assertNoStack(outcome.stderr);
  }
  const notPem = await runCli(cwd, '--server', plane.url, '--server-ca', join(cwd, 'viewer.key'), 'runs');
  assert.equal(notPem.code, 2);
  assert.match(notPem.stderr, /holds no PEM CA certificate/);
  const missing = await runCli(cwd, '--server', plane.url, '--server-ca', join(cwd, 'nope.pem'), 'runs');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /SLUICE_IO_FAILED: cannot read the CA certificate \(--server-ca\) .*nope\.pem \(ENOENT\)/);
});

test('plain http:// is refused off loopback, and URLs with a password, a query or another scheme are refused', async () => {
  for (const [url, message] of [
    ['http://sluice.example.com:8080', /plain http:\/\/ is allowed only to a loopback host/],
    ['http://10.0.0.5:8080', /plain http:\/\/ is allowed only to a loopback host/],
    ['https://ops:hunter2hunter2@sluice.example.com', /must not hold a user name or password/],
    ['https://sluice.example.com/?token=abc', /without a query or fragment/],
    ['ftp://sluice.example.com', /takes an https:\/\/ URL/],
    ['not a url', /takes a URL such as/],
  ] as const) {
    const outcome = await runCli(cwd, '--server', url, '--credential', 'env://SLUICE_TEST_REMOTE_KEY', 'runs');
    assert.equal(outcome.code, 2, url);
    assert.match(outcome.stderr, message, url);
    assert.ok(!outcome.stderr.includes('hunter2'), 'a password in the URL is not echoed');
  }
  // http:// to loopback is allowed (serve --insecure-dev); this server speaks TLS, so the attempt fails clearly.
  const plainToTls = await runCli(cwd, '--server', plane.url.replace('https:', 'http:'), '--credential', 'env://SLUICE_TEST_REMOTE_KEY', 'runs');
  assert.equal(plainToTls.code, 1);
  assert.match(plainToTls.stderr, /SLUICE_IO_FAILED: cannot reach http:\/\/127\.0\.0\.1:\d+/);
});

test('http:// to a loopback server (serve --insecure-dev) works, with the credential still required', async () => {
  // The same plane without TLS; metrics in a registry of their own (names are registered once per registry).
  const app = await buildServer({ ...plane.plane, metrics: new Registry() }, { routes: routeTable() });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    assert.match(url, /^http:\/\/127\.0\.0\.1:/);
    const listed = await runCli(cwd, '--server', url, '--credential', 'env://SLUICE_TEST_REMOTE_KEY', 'runs', '--limit', '1');
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^RUN/);
    const anonymous = await runCli(cwd, '--server', url, 'runs');
    assert.equal(anonymous.code, 1);
    assert.match(anonymous.stderr, /SLUICE_UNAUTHENTICATED/);
  } finally {
    await app.close();
  }
});

test('a client certificate identifies a service principal over mutual TLS', async () => {
  const client = await plane.clientCert('ci-bot');
  await writeFile(join(cwd, 'ci-bot.pem'), client.cert);
  await writeFile(join(cwd, 'ci-bot-key.pem'), client.key, { mode: 0o600 });
  await plane.store.access.bindRole({ principal: 'mtls:ci-bot', role: 'viewer', namespace: '*', clearance: 'internal', createdAt: new Date().toISOString(), createdBy: 'test' });
  const outcome = await runCli(cwd, '--server', plane.url, '--server-ca', caFile, '--client-cert', 'ci-bot.pem', '--client-key', 'ci-bot-key.pem', 'runs', '--json');
  assert.equal(outcome.code, 0, outcome.stderr);
  assert.ok((JSON.parse(outcome.stdout) as unknown[]).length >= 2);
  const half = await runCli(cwd, '--server', plane.url, '--client-cert', 'ci-bot.pem', 'runs');
  assert.equal(half.code, 2);
  assert.match(half.stderr, /--client-cert and --client-key go together/);
});

test('verbs that run locally only are refused with --server; SLUICE_SERVER alone leaves them local; remote options need a server', async () => {
  for (const verb of [['init'], ['keys', 'create', 'k'], ['audit', 'checkpoint'], ['secrets', 'list'], ['serve']]) {
    const outcome = await remote(...verb);
    assert.equal(outcome.code, 2, verb.join(' '));
    assert.match(outcome.stderr, new RegExp(`error SLUICE_USAGE: '${verb.slice(0, verb[0] === 'keys' || verb[0] === 'audit' || verb[0] === 'secrets' ? 2 : 1).join(' ')}' runs locally only`));
  }
  const dir = await mkdtemp(join(tmpdir(), 'sluice-remote-local-'));
  const local = await withEnv({ SLUICE_SERVER: plane.url }, () => runCli(dir, 'runs'));
  // `runs` can go remote, so SLUICE_SERVER sends it there (and no credential is set here): not local.
  assert.equal(local.code, 1);
  const keysInit = await withEnv({ SLUICE_SERVER: plane.url }, () => runCli(dir, 'keys', 'init'));
  assert.equal(keysInit.code, 0, keysInit.stderr);
  assert.ok((await readFile(join(dir, '.sluice', 'master.key'))).length > 0, 'keys init ran here');
  const stray = await runCli(dir, '--server-ca', caFile, 'runs');
  assert.equal(stray.code, 2);
  assert.match(stray.stderr, /--server-ca goes with --server URL/);
});

test('answers that are not the API (a redirect, HTML, an error without a Sluice body, an endless body) fail with SLUICE_SOURCE_FAILED', async () => {
  const server = createServer((request, response) => {
    if (request.url?.startsWith('/api/v1/runs?')) {
      response.writeHead(302, { location: 'http://elsewhere.example/api/v1/runs' }).end();
    } else if (request.url === '/html/api/v1/runs?limit=20') {
      response.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>');
    } else if (request.url === '/proxy/api/v1/runs?limit=20') {
      response.writeHead(502, { 'content-type': 'text/html' }).end('<html>bad gateway</html>');
    } else {
      // 40 MiB, more than any answer of the API.
      response.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      Readable.from(Array.from({ length: 40 }, () => chunk)).pipe(response);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const cases = [
      ['', /SLUICE_SOURCE_FAILED: http:\/\/127\.0\.0\.1:\d+ answered 302 with a redirect to http:\/\/elsewhere\.example/],
      ['/html', /SLUICE_SOURCE_FAILED: .* with something that is not JSON/],
      ['/proxy', /SLUICE_SOURCE_FAILED: .* answered 502 without a Sluice error/],
      ['/huge', /SLUICE_SOURCE_FAILED: .* answered with more than 32 MiB/],
    ] as const;
    for (const [prefix, message] of cases) {
      const outcome = await runCli(cwd, '--server', base + prefix, '--credential', 'env://SLUICE_TEST_REMOTE_KEY', 'runs');
      assert.equal(outcome.code, 1, prefix);
      assert.match(outcome.stderr, message, prefix);
      assertNoStack(outcome.stderr);
    }
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
