// Attacks from the security review of the control plane, each fixed: audit written after the act, access:manage
// without a ceiling, requireClientCert without a client CA, non-JSON and unexpected bodies, audit time filters
// in other offsets, principals that are not principals.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPlane } from './support/control-plane-harness.ts';
import type { TestPlane } from './support/control-plane-harness.ts';
import type { AuditRecorder } from '../src/audit/audit-log.ts';
import { serverTlsOptions } from '../src/server/tls-server-options.ts';
import { isSluiceError } from '../src/errors.ts';

describe('control plane: review fixes', () => {
  let plane: TestPlane;
  before(async () => {
    plane = await startTestPlane({ customRoles: { keymaster: { description: 'manages access only', permissions: ['access:manage'] } } });
  });
  after(async () => await plane.close());

  test('audit fails, nothing changes: a binding whose config.change cannot be recorded is not stored (fail closed)', async () => {
    const { key } = await plane.apiKey('admin', { clearance: 'restricted' });
    const real = plane.plane.audit;
    const failing: AuditRecorder = { append: async (event) => (event.action === 'config.change' ? Promise.reject(new Error('disk full')) : real.append(event)) };
    plane.plane.audit = failing;
    try {
      const bound = await plane.call('POST', '/api/v1/role-bindings', { key, body: { principal: 'oidc:https://idp.example#mallory', role: 'admin', namespace: '*', clearance: 'restricted' } });
      assert.equal(bound.status, 500);
      const minted = await plane.call('POST', '/api/v1/api-keys', { key, body: { name: 'ghost', bindings: [{ role: 'viewer', namespace: '*', clearance: 'public' }] } });
      assert.equal(minted.status, 500);
    } finally {
      plane.plane.audit = real;
    }
    assert.deepEqual(await plane.store.access.listBindings('oidc:https://idp.example#mallory'), []);
    assert.ok(!(await plane.store.access.listApiKeys()).some((k) => k.name === 'ghost'));
  });

  test('privilege escalation: access:manage alone cannot bind admin, nor mint an admin key; a scoped key mints only narrower keys; nobody binds itself', async () => {
    const keymaster = await plane.apiKey('keymaster', { clearance: 'internal' });
    const escalate = await plane.call('POST', '/api/v1/role-bindings', { key: keymaster.key, body: { principal: 'apikey:accomplice', role: 'admin', namespace: '*', clearance: 'restricted' } });
    assert.equal(escalate.status, 403, escalate.text);
    const mint = await plane.call('POST', '/api/v1/api-keys', { key: keymaster.key, body: { name: 'x', bindings: [{ role: 'admin', namespace: '*', clearance: 'internal' }] } });
    assert.equal(mint.status, 403);
    // A viewer binding it holds the permissions for? No: keymaster holds only access:manage.
    assert.equal((await plane.call('POST', '/api/v1/role-bindings', { key: keymaster.key, body: { principal: 'apikey:accomplice', role: 'viewer', namespace: '*', clearance: 'public' } })).status, 403);

    const scoped = await plane.apiKey('admin', { clearance: 'restricted', scopes: ['access:manage'] });
    const unscoped = await plane.call('POST', '/api/v1/api-keys', { key: scoped.key, body: { name: 'wider', bindings: [{ role: 'viewer', namespace: '*', clearance: 'public' }] } });
    assert.equal(unscoped.status, 403, 'a scoped key cannot mint an unscoped one');
    const narrower = await plane.call('POST', '/api/v1/api-keys', { key: scoped.key, body: { name: 'narrow', scopes: ['access:manage'] } });
    assert.equal(narrower.status, 201, narrower.text);

    const admin = await plane.apiKey('admin', { namespace: 'sales', clearance: 'confidential' });
    assert.equal((await plane.call('POST', '/api/v1/role-bindings', { key: admin.key, body: { principal: admin.principal, role: 'admin', namespace: '*', clearance: 'restricted' } })).status, 403, 'no self-binding');
    const root = await plane.apiKey('admin', { clearance: 'confidential' });
    assert.equal((await plane.call('POST', '/api/v1/role-bindings', { key: root.key, body: { principal: 'apikey:someone', role: 'viewer', namespace: '*', clearance: 'restricted' } })).status, 403, 'clearance above the binder’s own');
    assert.equal((await plane.call('POST', '/api/v1/role-bindings', { key: root.key, body: { principal: 'apikey:someone', role: 'viewer', namespace: '*', clearance: 'internal' } })).status, 201);
  });

  test('an approver lends only what it holds: a grants:approve-only role cannot approve data:decrypt', async () => {
    const approverOnly = await startTestPlane({ customRoles: { approver: { description: '', permissions: ['grants:approve'] } } });
    try {
      const analyst = await approverOnly.apiKey('analyst', { namespace: 'sales' });
      const approver = await approverOnly.apiKey('approver');
      const asked = await approverOnly.call('POST', '/api/v1/grants', { key: analyst.key, body: { permission: 'data:decrypt', namespace: 'sales', reason: 'ticket 9', durationMinutes: 5 } });
      const approved = await approverOnly.call('POST', `/api/v1/grants/${asked.body.id}/approve`, { key: approver.key });
      assert.equal(approved.status, 403);
      assert.equal((await approverOnly.store.access.getGrant(asked.body.id))?.status, 'pending');
    } finally {
      await approverOnly.close();
    }
  });

  test('principals that are not principals, and service-only roles on users, are refused (400)', async () => {
    const { key } = await plane.apiKey('admin', { clearance: 'restricted' });
    for (const principal of ['system:scheduler', 'anything at all', 'apikey:']) {
      assert.equal((await plane.call('POST', '/api/v1/role-bindings', { key, body: { principal, role: 'viewer', namespace: '*', clearance: 'public' } })).status, 400, principal);
    }
    assert.equal((await plane.call('POST', '/api/v1/role-bindings', { key, body: { principal: 'apikey:abc', role: 'worker', namespace: '*', clearance: 'public' } })).status, 400);
    assert.equal((await plane.call('POST', '/api/v1/role-bindings', { key, body: { principal: 'mtls:worker-3', role: 'worker', namespace: '*', clearance: 'internal' } })).status, 201);
  });

  test('a text/plain body is not parsed (415); a body on a route that takes none, or a query it does not know, is 400', async () => {
    const { key } = await plane.apiKey('admin', { clearance: 'restricted' });
    assert.equal((await plane.call('POST', '/api/v1/audit/verify', { key, rawBody: 'x', headers: { 'content-type': 'text/plain' } })).status, 415);
    assert.equal((await plane.call('POST', '/api/v1/pipelines/sales/customers/runs', { key, body: { fresh: true, status: 'succeeded' } })).status, 400);
    assert.equal((await plane.call('GET', '/api/v1/metrics?anything=1', { key })).status, 400);
    assert.equal((await plane.call('POST', '/api/v1/pipelines/sales/customers/runs', { key })).status, 202);
  });

  test('a flood of grant requests is capped: the eleventh pending request of one principal gets 429', async () => {
    const { key } = await plane.apiKey('analyst', { namespace: 'sales' });
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await plane.call('POST', '/api/v1/grants', { key, body: { permission: 'datasets:read', namespace: 'sales', reason: `ticket ${i}`, durationMinutes: 5 } })).status);
    assert.deepEqual(statuses, [...Array<number>(10).fill(201), 429]);
  });

  test('audit time filters mean instants: the same moment written with an offset finds the same events', async () => {
    const { key } = await plane.apiKey('auditor');
    const last = (await plane.store.queryAuditEvents({ limit: 10_000 })).at(-1)!;
    const at = new Date(last.time);
    const plus5 = new Date(at.getTime() + 5 * 3600_000).toISOString().replace('Z', '+05:00');
    const utc = await plane.call('GET', `/api/v1/audit/events?from=${encodeURIComponent(last.time)}&limit=1000`, { key });
    const offset = await plane.call('GET', `/api/v1/audit/events?from=${encodeURIComponent(plus5)}&limit=1000`, { key });
    assert.ok(utc.body.events.length >= 1);
    assert.deepEqual(offset.body.events.map((e: { seq: number }) => e.seq).slice(0, utc.body.events.length), utc.body.events.map((e: { seq: number }) => e.seq));
  });
});

test('requireClientCert without a client CA is refused, never served without client authentication', () => {
  assert.throws(() => serverTlsOptions({ cert: 'c', key: 'k', requireClientCert: true }), (e: unknown) => isSluiceError(e, 'SLUICE_SETTINGS_INVALID'));
});
