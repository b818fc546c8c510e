// Cluster workers on the control plane: a heartbeat is recorded under the name the worker's client certificate
// carries, never one the request names, and only a service principal bound to the worker role may send one.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPlane } from './support/control-plane-harness.ts';
import type { TestPlane } from './support/control-plane-harness.ts';
import { createDevCa, issueCertificate } from '../src/tls/dev-ca.ts';

const beat = { host: 'node-a', pid: 4242, concurrency: 2, inFlight: 1, state: 'ready', startedAt: '2026-11-30T10:00:00.000Z' };

describe('control plane: worker heartbeats', () => {
  let plane: TestPlane;
  before(async () => {
    plane = await startTestPlane();
    for (const name of ['worker-a', 'worker-b']) {
      await plane.store.access.bindRole({ principal: `mtls:${name}`, role: 'worker', namespace: '*', clearance: 'internal', createdAt: new Date().toISOString(), createdBy: 'test' });
    }
  });
  after(async () => await plane.close());

  test('a worker reports its heartbeat and is listed under the name its certificate carries', async () => {
    const client = await plane.clientCert('worker-a');
    const reported = await plane.call('PUT', '/api/v1/workers/self', { client, body: beat });
    assert.equal(reported.status, 200, reported.text);
    assert.equal(reported.body.id, 'worker-a');
    const { key } = await plane.apiKey('viewer');
    const listed = await plane.call('GET', '/api/v1/workers', { key });
    assert.equal(listed.status, 200);
    assert.deepEqual(
      listed.body.workers.map((w: { id: string; host: string; inFlight: number }) => [w.id, w.host, w.inFlight]),
      [['worker-a', 'node-a', 1]],
    );
  });

  test('a worker that names another worker in the body to report as it is refused (400), and nothing is recorded for the other', async () => {
    const client = await plane.clientCert('worker-b');
    const forged = await plane.call('PUT', '/api/v1/workers/self', { client, body: { ...beat, id: 'worker-a', host: 'forged' } });
    assert.equal(forged.status, 400);
    const workers = await plane.store.listWorkers();
    assert.equal(workers.find((w) => w.id === 'worker-a')?.host, 'node-a');
    assert.equal(workers.some((w) => w.host === 'forged'), false);
  });

  test('a heartbeat whose host carries terminal escape sequences is refused (400): sluice workers prints hosts to a terminal', async () => {
    const client = await plane.clientCert('worker-a');
    const answer = await plane.call('PUT', '/api/v1/workers/self', { client, body: { ...beat, host: 'node-a\u001b]0;pwned\u0007' } });
    assert.equal(answer.status, 400);
    assert.equal((await plane.store.listWorkers()).find((w) => w.id === 'worker-a')?.host, 'node-a');
  });

  test('a certificate not bound to the worker role cannot report (403)', async () => {
    const client = await plane.clientCert('stranger');
    assert.equal((await plane.call('PUT', '/api/v1/workers/self', { client, body: beat })).status, 403);
    assert.equal((await plane.store.listWorkers()).some((w) => w.id === 'stranger'), false);
  });

  test('an API key bound to the worker role (a user posing as a worker) cannot report (403: worker is service-only)', async () => {
    const { key } = await plane.apiKey('worker');
    assert.equal((await plane.call('PUT', '/api/v1/workers/self', { key, body: beat })).status, 403);
  });

  test('an admin API key gets past authorization but is told only a worker certificate reports (400), recording nothing', async () => {
    const { key } = await plane.apiKey('admin');
    const answer = await plane.call('PUT', '/api/v1/workers/self', { key, body: beat });
    assert.equal(answer.status, 400);
    assert.match(answer.body.error.message, /only a worker with a client certificate/);
    assert.equal((await plane.store.listWorkers()).some((w) => w.id.startsWith('apikey:')), false);
  });

  test('a worker certificate from another CA with a bound name is not trusted (401)', async () => {
    const rogue = await createDevCa('rogue CA', 1);
    const client = await issueCertificate(rogue, 'client', ['worker-a'], 1);
    assert.equal((await plane.call('PUT', '/api/v1/workers/self', { client, body: { ...beat, host: 'rogue' } })).status, 401);
    assert.equal((await plane.store.listWorkers()).find((w) => w.id === 'worker-a')?.host, 'node-a');
  });
});
