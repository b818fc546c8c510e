// The API's surface against SECURITY-TESTS #13–#15, #20 and #21: methods, plaintext to the TLS port, the
// inventory behind authentication, page caps, spoofed forwarding headers, key-exchange groups, and client
// certificates that must not name a service.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tlsConnect } from 'node:tls';
import { connect as netConnect } from 'node:net';
import { request as httpsRequest } from 'node:https';
import { startTestPlane } from './support/control-plane-harness.ts';
import type { TestPlane } from './support/control-plane-harness.ts';
import { issueCertificate } from '../src/tls/dev-ca.ts';
import { routeTable } from '../src/server/route-table.ts';

describe('control plane: surface', () => {
  let plane: TestPlane;
  before(async () => {
    plane = await startTestPlane();
  });
  after(async () => await plane.close());

  test('TRACE, CONNECT-like and unlisted methods get 405 with Allow, on known and unknown paths', async () => {
    const { key } = await plane.apiKey('admin');
    // node:https, not fetch: fetch refuses to send TRACE at all.
    const send = (method: string, path: string) =>
      new Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
        const request = httpsRequest(`${plane.url}${path}`, { method, ca: plane.ca.cert, headers: { authorization: `Bearer ${key}` } }, (response) => {
          response.resume();
          response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers }));
        });
        request.on('error', reject);
        request.end();
      });
    for (const [method, path] of [['TRACE', '/api/v1/health'], ['PATCH', '/api/v1/pipelines'], ['OPTIONS', '/api/v1/runs'], ['TRACE', '/nowhere']] as const) {
      const response = await send(method, path);
      assert.equal(response.status, 405, `${method} ${path}`);
      assert.match(String(response.headers.allow), /GET/);
      assert.equal(response.headers['x-content-type-options'], 'nosniff', 'the 405 carries the security headers too');
    }
  });

  test('plain HTTP to the TLS port gets no HTTP answer and no redirect', async () => {
    const { port } = new URL(plane.url);
    const answer = await new Promise<string>((resolve) => {
      const socket = netConnect(Number(port), '127.0.0.1', () => socket.write('GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
      let data = '';
      socket.on('data', (chunk: Buffer) => (data += chunk.toString('latin1')));
      socket.on('close', () => resolve(data));
      socket.on('error', () => resolve(data));
      setTimeout(() => socket.destroy(), 3000).unref();
    });
    assert.ok(!/^HTTP\/1\.[01] /.test(answer), 'no HTTP status line over plaintext');
    assert.ok(!/location:/i.test(answer), 'no redirect');
  });

  test('the OpenAPI inventory needs a credential (401 without), and lists exactly the served routes', async () => {
    assert.equal((await plane.call('GET', '/api/v1/openapi.json')).status, 401);
    const { key } = await plane.apiKey(undefined);
    const doc = await plane.call('GET', '/api/v1/openapi.json', { key });
    assert.equal(doc.status, 200);
    const documented = Object.entries(doc.body.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)).sort();
    const served = routeTable().map((r) => `${r.method} ${r.url.replace(/:([A-Za-z]+)/g, '{$1}')}`).sort();
    assert.deepEqual(documented, served);
    // And every one of them is registered with the server (no route documented but not served, or the reverse).
    for (const route of routeTable()) assert.ok(plane.app.hasRoute({ method: route.method, url: route.url }), `${route.method} ${route.url} is served`);
    assert.equal((await plane.call('GET', '/api/v1/metrics')).status, 401, 'metrics need a credential too');
  });

  test('page sizes are capped: limit=1000000 is refused (400), not served', async () => {
    const { key } = await plane.apiKey('admin');
    for (const path of ['/api/v1/runs?limit=1000000', '/api/v1/audit/events?limit=1000000', '/api/v1/audit/export?limit=1000000']) {
      assert.equal((await plane.call('GET', path, { key })).status, 400, path);
    }
  });

  test('a spoofed X-Forwarded-For is ignored: the audit log records the socket address', async () => {
    const { key, principal } = await plane.apiKey('viewer');
    await plane.call('GET', '/api/v1/runs', { key, headers: { 'x-forwarded-for': '203.0.113.9', 'x-real-ip': '203.0.113.9' } });
    const event = (await plane.store.queryAuditEvents({ action: 'auth.success', limit: 10_000 })).filter((e) => e.actor.principal === principal).at(-1);
    assert.equal(event?.source, '127.0.0.1');
  });

  test('headers on errors too: HSTS two years, CSP with base-uri none, no X-Powered-By', async () => {
    const response = await plane.call('GET', '/api/v1/runs');
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('strict-transport-security'), 'max-age=63072000; includeSubDomains');
    assert.equal(response.headers.get('content-security-policy'), "default-src 'none'; base-uri 'none'; frame-ancestors 'none'");
    assert.equal(response.headers.get('x-powered-by'), null);
    assert.match(response.headers.get('content-type') ?? '', /charset=utf-8/);
  });

  test('key-exchange groups are X25519, P-256 and P-384 only: a client offering only P-521 or FFDHE fails', async () => {
    const { port } = new URL(plane.url);
    const handshake = (ecdhCurve: string, maxVersion: 'TLSv1.2' | 'TLSv1.3') =>
      new Promise<boolean>((resolve) => {
        const socket = tlsConnect({ host: '127.0.0.1', port: Number(port), ca: plane.ca.cert, servername: 'localhost', ecdhCurve, maxVersion }, () => {
          socket.end();
          resolve(true);
        });
        socket.on('error', () => resolve(false));
      });
    // TLS 1.3 negotiates the group alone. (On TLS 1.2 a client's group list also constrains the server's ECDSA
    // certificate curve, RFC 8422 §5.1, so a P-256 certificate needs P-256 offered whatever the key exchange.)
    assert.equal(await handshake('P-521', 'TLSv1.3'), false, 'P-521');
    assert.equal(await handshake('ffdhe2048', 'TLSv1.3'), false, 'FFDHE');
    assert.equal(await handshake('X25519', 'TLSv1.3'), true, 'X25519');
    assert.equal(await handshake('P-384', 'TLSv1.3'), true, 'P-384');
    assert.equal(await handshake('X25519:P-256', 'TLSv1.2'), true, 'X25519 with a P-256 certificate over TLS 1.2');
  });

  test('client certificates: a serverAuth-only certificate from the client CA names no service; an X-Client-Cert header is ignored; the name comes from the SAN', async () => {
    await plane.store.access.bindRole({ principal: 'mtls:worker-x', role: 'viewer', namespace: '*', clearance: 'internal', createdAt: new Date().toISOString(), createdBy: 'test' });
    const serverOnly = await issueCertificate(plane.ca, 'server', ['worker-x'], 1);
    assert.equal((await plane.call('GET', '/api/v1/runs', { client: serverOnly })).status, 401);
    const client = await plane.clientCert('worker-x');
    const header = await plane.call('GET', '/api/v1/runs', { headers: { 'x-client-cert': client.cert.replace(/\n/g, ''), 'x-ssl-client-s-dn': 'CN=worker-x' } });
    assert.equal(header.status, 401);
    const who = await plane.call('GET', '/api/v1/whoami', { client });
    assert.equal(who.body.principal, 'mtls:worker-x');
  });
});
