// The http source through the real runtime: a validated, planned spec reads three pages from an HTTPS API into
// the file sink, one batch per page; a run that fails on page 3 resumes there and reads no page twice.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { pino } from 'pino';
import { ComponentRegistry } from '../../../spec/registry.ts';
import { validateSpec } from '../../../spec/validate.ts';
import { fileOnlyLocator } from '../../../spec/location.ts';
import { planPipeline } from '../../../plan/plan.ts';
import { runPipeline } from '../../../runtime/executor.ts';
import { SqliteStateStore } from '../../../store/sqlite/sqlite-state-store.ts';
import { openObjectBuffer } from '../../../crypto/envelope/envelope.ts';
import { isSluiceError } from '../../../errors.ts';
import { fileSink } from '../../sinks/file-sink.ts';
import { httpSource } from './http-source.ts';
import { selfSignedCertificate } from '../../../../test/support/tls-fixture.ts';
import { caFile, sendJson, startHttpsServer } from '../../../../test/support/http-test-server.ts';
import type { HttpsTestServer } from '../../../../test/support/http-test-server.ts';
import { SecretsDouble } from '../../../../test/support/http-secrets.ts';
import { testEncryption } from '../../../../test/support/test-keyring.ts';

const tls = selfSignedCertificate();
const { dir, ca } = caFile(tls);
const registry = new ComponentRegistry([httpSource, fileSink]);
const silent = pino({ level: 'silent' });
const encryption = await testEncryption();
const servers: HttpsTestServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

const CUSTOMERS = Array.from({ length: 5 }, (_, i) => ({ id: i + 1, name: `customer ${i + 1}` }));

/** The API: pages of 2 customers behind a bearer token; `failPage3` makes page 3 answer 500. */
async function customersApi(state: { failPage3: boolean }): Promise<HttpsTestServer> {
  const server = await startHttpsServer(tls, (request, response) => {
    if (request.headers.authorization !== 'Bearer tok-runtime-5e6f7a8b') return sendJson(response, {}, 401);
    const page = Number(new URL(request.path, 'https://x').searchParams.get('page'));
    if (page === 3 && state.failPage3) return sendJson(response, { error: 'overloaded' }, 500);
    sendJson(response, { data: CUSTOMERS.slice((page - 1) * 2, page * 2) });
  });
  servers.push(server);
  return server;
}

function planFor(server: HttpsTestServer, out: string) {
  const document = {
    pipeline: 'http-customers',
    source: {
      http: {
        url: server.url('/v1/customers'),
        records: 'data',
        auth: { bearer: 'env://CRM_TOKEN' },
        paginate: { page: { size: 2, sizeParam: 'per_page' } },
        allowPrivateAddresses: ['127.0.0.1'],
        tls: { ca },
        retry: { attempts: 1 },
      },
    },
    contract: { fields: { id: { type: 'integer', class: 'internal' }, name: { type: 'string', class: 'internal' } } },
    sinks: [{ file: { dir: out, clearance: 'internal' } }],
    runtime: { batchSize: 100, retry: { attempts: 1, initialDelayMs: 1, maxDelayMs: 1 } },
  };
  const result = validateSpec(document, registry, fileOnlyLocator('pipeline.yaml'), dir);
  assert.deepEqual(result.issues, []);
  assert.ok(result.spec);
  return planPipeline(result.spec);
}

/** Every record the file sink wrote, decrypted, in object order. */
async function written(out: string): Promise<unknown[]> {
  const records: unknown[] = [];
  const runs = join(out, 'http-customers');
  for (const run of readdirSync(runs).sort()) {
    for (const name of readdirSync(join(runs, run)).sort()) {
      const { plaintext } = await openObjectBuffer(readFileSync(join(runs, run, name)), encryption.keys, name);
      records.push(...plaintext.toString('utf8').trim().split('\n').map((line) => JSON.parse(line) as unknown));
    }
  }
  return records;
}

test('runPipeline reads three pages from the http source into the file sink, one batch and checkpoint per page', async () => {
  const server = await customersApi({ failPage3: false });
  const state = mkdtempSync(join(tmpdir(), 'sluice-http-run-'));
  const out = join(state, 'out');
  const store = new SqliteStateStore(join(state, 'state.db'));
  try {
    const secrets = new SecretsDouble({ 'env://CRM_TOKEN': 'tok-runtime-5e6f7a8b' });
    const result = await runPipeline({ plan: planFor(server, out), store, stateDir: state, encryption, specHash: 'h', logger: silent, secrets });
    assert.equal(result.run.status, 'succeeded');
    assert.equal(result.run.totals.recordsIn, 5);
    assert.equal(result.run.totals.batches, 3);
    assert.deepEqual(await written(out), CUSTOMERS);
    assert.deepEqual((await store.lastCheckpoint(result.run.id))?.position, { page: 3, done: 1 });
    assert.equal(server.requests.length, 3);
  } finally {
    await store.close();
  }
});

test('a run that fails on page 3 keeps pages 1-2, and the rerun resumes at page 3 without reading 1-2 again', async () => {
  const api = { failPage3: true };
  const server = await customersApi(api);
  const state = mkdtempSync(join(tmpdir(), 'sluice-http-run-'));
  const out = join(state, 'out');
  const store = new SqliteStateStore(join(state, 'state.db'));
  try {
    const secrets = new SecretsDouble({ 'env://CRM_TOKEN': 'tok-runtime-5e6f7a8b' });
    const request = { plan: planFor(server, out), store, stateDir: state, encryption, specHash: 'h', logger: silent, secrets };
    await assert.rejects(runPipeline(request), (error) => isSluiceError(error, 'SLUICE_SOURCE_FAILED') && /\(page 3\)/.test(error.message));
    const [failed] = await store.listRuns();
    assert.equal((await store.lastCheckpoint(failed?.id ?? ''))?.batch, 2);
    api.failPage3 = false;
    server.requests.length = 0;
    const resumed = await runPipeline(request);
    assert.equal(resumed.resumedAfterBatch, 2);
    assert.equal(resumed.run.status, 'succeeded');
    assert.deepEqual(server.requests.map((r) => r.path), ['/v1/customers?page=3&per_page=2']);
    assert.deepEqual(await written(out), CUSTOMERS);
  } finally {
    await store.close();
  }
});
