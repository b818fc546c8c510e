// Authentication, transport and just-in-time access of the control plane, each test trying the attack it names.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:tls';
import type { ConnectionOptions } from 'node:tls';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { startTestPlane } from './support/control-plane-harness.ts';
import type { TestPlane } from './support/control-plane-harness.ts';
import { createDevCa, issueCertificate } from '../src/tls/dev-ca.ts';
import { OidcVerifier } from '../src/auth/oidc-verifier.ts';

/** Whether a TLS handshake with these client options succeeds against the plane. */
async function handshake(plane: TestPlane, options: ConnectionOptions): Promise<{ ok: boolean; protocol?: string | null; error?: string }> {
  const { port } = new URL(plane.url);
  return await new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: Number(port), ca: plane.ca.cert, servername: 'localhost', ...options }, () => {
      const protocol = socket.getProtocol();
      socket.end();
      resolve({ ok: true, protocol });
    });
    socket.on('error', (error) => resolve({ ok: false, error: error.message }));
  });
}

async function events(plane: TestPlane, action: 'auth.failure' | 'auth.success' | 'grant.request' | 'grant.approve' | 'grant.revoke' | 'access.denied' | 'config.change') {
  return await plane.store.queryAuditEvents({ action, limit: 1000 });
}

describe('control plane: API keys', () => {
  let plane: TestPlane;
  before(async () => {
    // These tests fail on purpose many times from one address: keep the throttle out of their way.
    plane = await startTestPlane({ throttle: { maxFailures: 1000 } });
  });
  after(async () => await plane.close());

  test('a valid key authenticates and the attempt is audited with its method', async () => {
    const { key, principal } = await plane.apiKey('viewer');
    const response = await plane.call('GET', '/api/v1/whoami', { key });
    assert.equal(response.status, 200);
    assert.equal(response.body.principal, principal);
    const audited = (await events(plane, 'auth.success')).filter((e) => e.actor.principal === principal);
    assert.equal(audited.at(-1)?.actor.method, 'api-key');
    assert.equal(audited.at(-1)?.requestId, response.headers.get('x-request-id'));
  });

  test('forged key: the right id with a wrong secret is refused (401) and audited without the credential', async () => {
    const { key, principal } = await plane.apiKey('admin');
    const forged = key.slice(0, -4) + (key.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const response = await plane.call('GET', '/api/v1/keys', { key: forged });
    assert.equal(response.status, 401);
    assert.equal(response.body.error.code, 'SLUICE_UNAUTHENTICATED');
    const failure = (await events(plane, 'auth.failure')).at(-1);
    assert.equal(failure?.reason, 'api-key-unknown');
    assert.equal(failure?.actor.principal, principal);
    const log = JSON.stringify(await plane.store.queryAuditEvents({ limit: 1000 }));
    assert.ok(!log.includes(forged.slice(17)) && !log.includes(key.slice(17)), 'no secret part of a key is in the audit log');
  });

  test('revoked key: the next request after revocation is refused', async () => {
    const { key, principal } = await plane.apiKey('viewer');
    assert.equal((await plane.call('GET', '/api/v1/runs', { key })).status, 200);
    await plane.store.access.revokeApiKey(principal.slice('apikey:'.length), new Date().toISOString());
    const response = await plane.call('GET', '/api/v1/runs', { key });
    assert.equal(response.status, 401);
    assert.equal((await events(plane, 'auth.failure')).at(-1)?.reason, 'api-key-revoked');
  });

  test('expired key is refused', async () => {
    const { key } = await plane.apiKey('viewer', { expiresAt: new Date(Date.now() - 1000) });
    assert.equal((await plane.call('GET', '/api/v1/runs', { key })).status, 401);
    assert.equal((await events(plane, 'auth.failure')).at(-1)?.reason, 'api-key-expired');
  });

  test('malformed credentials (wrong scheme, garbage, header injection) are refused with 401, not 500', async () => {
    const { key } = await plane.apiKey('viewer');
    for (const authorization of [`Basic ${Buffer.from('a:b').toString('base64')}`, `Bearer ${key} extra`, 'Bearer', 'Bearer slc_short', `bearer  ${key}`, 'Bearer ../../etc/passwd']) {
      const response = await plane.call('GET', '/api/v1/runs', { headers: { authorization } });
      assert.equal(response.status, 401, authorization);
    }
  });

  test('an unbound key authenticates but holds nothing: 403 on every permissioned route', async () => {
    const { key } = await plane.apiKey(undefined);
    assert.equal((await plane.call('GET', '/api/v1/whoami', { key })).status, 200);
    assert.equal((await plane.call('GET', '/api/v1/keys', { key })).status, 403);
    assert.equal((await plane.call('GET', '/api/v1/pipelines', { key })).status, 403);
  });

  test('the key created through the API works once shown, and its value is in no stored row', async () => {
    const { key: admin } = await plane.apiKey('admin');
    const created = await plane.call('POST', '/api/v1/api-keys', { key: admin, body: { name: 'ci', bindings: [{ role: 'viewer', namespace: 'sales', clearance: 'internal' }] } });
    assert.equal(created.status, 201, created.text);
    assert.match(created.body.key, /^slc_/);
    assert.equal((await plane.call('GET', '/api/v1/pipelines', { key: created.body.key })).status, 200);
    const listed = await plane.call('GET', '/api/v1/api-keys', { key: admin });
    assert.ok(!listed.text.includes(created.body.key.slice(17)));
    const stored = await plane.store.access.getApiKey(created.body.id);
    assert.ok(stored && !JSON.stringify({ ...stored, hash: stored.hash.toString('hex') }).includes(created.body.key.slice(17)));
    const revoke = await plane.call('DELETE', `/api/v1/api-keys/${created.body.id}`, { key: admin });
    assert.equal(revoke.status, 200);
    assert.equal((await plane.call('GET', '/api/v1/pipelines', { key: created.body.key })).status, 401);
  });
});

describe('control plane: brute force and rate limits', () => {
  let plane: TestPlane;
  before(async () => {
    plane = await startTestPlane({ throttle: { maxFailures: 5, windowMs: 60_000 }, requestsPerMinute: 30 });
  });
  after(async () => await plane.close());

  test('brute force: after 5 failures the address gets 429 with Retry-After, while a valid key from it still works', async () => {
    const { key } = await plane.apiKey('viewer');
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await plane.call('GET', '/api/v1/runs', { key: `slc_${'A'.repeat(12)}_${'B'.repeat(42)}${i}` })).status);
    assert.deepEqual(statuses.slice(0, 4), [401, 401, 401, 401]);
    assert.deepEqual(statuses.slice(5), [429, 429, 429]);
    const throttled = await plane.call('GET', '/api/v1/runs', { key: 'slc_x' });
    assert.equal(throttled.status, 429);
    assert.equal(throttled.body.error.code, 'SLUICE_THROTTLED');
    assert.ok(Number(throttled.headers.get('retry-after')) >= 1);
    assert.equal((await plane.call('GET', '/api/v1/runs', { key })).status, 200, 'a valid credential is not locked out');
    const failures = await events(plane, 'auth.failure');
    // The 5 before the throttle one by one; from the first throttled one on, counted into one event per interval.
    assert.equal(failures.length, 6);
    assert.deepEqual(failures.map((f) => f.details?.attempts ?? 1), [1, 1, 1, 1, 1, 1]);
    assert.equal(failures.at(-1)?.details?.throttled, true);
  });

  test('a flood from a throttled address does not grow the audit log with it: 300 attempts, a handful of events that count them all', async () => {
    const flood = await startTestPlane({ throttle: { maxFailures: 3, windowMs: 60_000, recordThrottledEveryMs: 200 } });
    try {
      let sent = 0;
      const deadline = Date.now() + 1000;
      while (sent < 300) {
        await flood.call('GET', '/api/v1/runs', { key: `slc_${'C'.repeat(12)}_${'D'.repeat(43)}` });
        sent++;
        if (Date.now() > deadline && sent >= 100) break;
      }
      // One more after the interval, so the last count is recorded.
      await new Promise((resolve) => setTimeout(resolve, 250));
      await flood.call('GET', '/api/v1/runs', { key: 'slc_x' });
      sent++;
      const failures = await flood.store.queryAuditEvents({ action: 'auth.failure', limit: 10_000 });
      const counted = failures.reduce((sum, f) => sum + Number(f.details?.attempts ?? 1), 0);
      assert.ok(failures.length < sent / 4, `${failures.length} events for ${sent} attempts`);
      assert.equal(counted, sent, 'every attempt is counted in some event');
    } finally {
      await flood.close();
    }
  });

  test('a principal over its request rate gets 429 with Retry-After; another principal is unaffected', async () => {
    const { key: noisy } = await plane.apiKey('viewer');
    const { key: quiet } = await plane.apiKey('viewer');
    let limited: Awaited<ReturnType<TestPlane['call']>> | undefined;
    for (let i = 0; i < 40 && !limited; i++) {
      const response = await plane.call('GET', '/api/v1/runs', { key: noisy });
      if (response.status === 429) limited = response;
    }
    assert.ok(limited, 'the noisy principal was limited');
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    assert.equal((await plane.call('GET', '/api/v1/runs', { key: quiet })).status, 200);
  });
});

describe('control plane: TLS and mutual TLS', () => {
  let plane: TestPlane;
  before(async () => {
    plane = await startTestPlane();
  });
  after(async () => await plane.close());

  test('TLS 1.1 is refused; TLS 1.2 and 1.3 are accepted', async () => {
    assert.equal((await handshake(plane, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' })).ok, false);
    assert.equal((await handshake(plane, { maxVersion: 'TLSv1.2' })).protocol, 'TLSv1.2');
    assert.equal((await handshake(plane, {})).protocol, 'TLSv1.3');
  });

  test('CBC, CCM and ARIA suites are refused on TLS 1.2', async () => {
    for (const cipher of ['ECDHE-ECDSA-AES128-SHA', 'ECDHE-ECDSA-AES256-SHA384', 'ECDHE-ECDSA-AES128-CCM', 'ECDHE-ECDSA-ARIA128-GCM-SHA256']) {
      assert.equal((await handshake(plane, { maxVersion: 'TLSv1.2', ciphers: cipher })).ok, false, cipher);
    }
    assert.equal((await handshake(plane, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' })).ok, true);
  });

  test('a client certificate from the client CA is the service principal mtls:<CN>', async () => {
    const client = await plane.clientCert('worker-7');
    const response = await plane.call('GET', '/api/v1/whoami', { client });
    assert.equal(response.status, 200);
    assert.equal(response.body.principal, 'mtls:worker-7');
    assert.equal(response.body.kind, 'service');
  });

  test('a client certificate from another CA with the same name is not trusted (401)', async () => {
    const rogue = await createDevCa('rogue CA', 1);
    const client = await issueCertificate(rogue, 'client', ['worker-7'], 1);
    const response = await plane.call('GET', '/api/v1/whoami', { client });
    assert.equal(response.status, 401);
  });

  test('service-only roles: worker bound to an API key gives nothing; bound to mtls it lets the service run pipelines', async () => {
    const { key } = await plane.apiKey('worker');
    assert.equal((await plane.call('POST', '/api/v1/pipelines/sales/customers/runs', { key })).status, 403);
    await plane.store.access.bindRole({ principal: 'mtls:worker-9', role: 'worker', namespace: '*', clearance: 'internal', createdAt: new Date().toISOString(), createdBy: 'test' });
    const client = await plane.clientCert('worker-9');
    assert.equal((await plane.call('POST', '/api/v1/pipelines/sales/customers/runs', { client })).status, 202);
  });
});

describe('control plane: mutual TLS required', () => {
  let plane: TestPlane;
  before(async () => {
    plane = await startTestPlane({ requireClientCert: true });
  });
  after(async () => await plane.close());

  test('a client without a certificate is refused at the handshake where mTLS is required', async () => {
    const result = await handshake(plane, {});
    // TLS 1.3 reports the refusal after the handshake: the first read fails with alert 116 (certificate required).
    if (result.ok) {
      await assert.rejects(plane.call('GET', '/api/v1/health'));
    } else {
      assert.ok(result.error);
    }
    await assert.rejects(plane.call('GET', '/api/v1/health'));
    const client = await plane.clientCert('svc');
    assert.equal((await plane.call('GET', '/api/v1/health', { client })).status, 200);
  });
});

describe('control plane: just-in-time access', () => {
  let plane: TestPlane;
  let clock = Date.now();
  before(async () => {
    plane = await startTestPlane({ now: () => new Date(clock) });
  });
  after(async () => await plane.close());

  test('request → self-approval refused → another admin approves → the grant works → it expires on its own', async () => {
    const requester = await plane.apiKey('admin');
    const analyst = await plane.apiKey('analyst', { namespace: 'sales' });
    const approver = await plane.apiKey('admin');
    // The analyst asks for data:decrypt in sales for 60 minutes.
    const asked = await plane.call('POST', '/api/v1/grants', { key: analyst.key, body: { permission: 'data:decrypt', namespace: 'sales', reason: 'INC-42 investigation', durationMinutes: 60 } });
    assert.equal(asked.status, 201, asked.text);
    assert.equal(asked.body.status, 'pending');
    // Not approvable by the analyst, nor visible to it in others' lists.
    assert.equal((await plane.call('POST', `/api/v1/grants/${asked.body.id}/approve`, { key: analyst.key })).status, 403);
    // An admin asking for itself cannot approve its own request (two-person rule).
    const own = await plane.call('POST', '/api/v1/grants', { key: requester.key, body: { permission: 'data:detokenize', namespace: 'sales', reason: 'self test', durationMinutes: 5 } });
    const self = await plane.call('POST', `/api/v1/grants/${own.body.id}/approve`, { key: requester.key });
    assert.equal(self.status, 403);
    assert.match(self.body.error.message, /two-person/);
    assert.equal((await plane.store.access.getGrant(own.body.id))?.status, 'pending');
    // Before approval the analyst lacks the permission.
    const principal = { id: analyst.principal, method: 'api-key' as const, kind: 'user' as const, scopes: [] };
    assert.equal((await plane.plane.authorizer.decide(principal, 'data:decrypt', 'sales')).allowed, false);
    const approved = await plane.call('POST', `/api/v1/grants/${asked.body.id}/approve`, { key: approver.key });
    assert.equal(approved.status, 200, approved.text);
    assert.equal(approved.body.status, 'approved');
    assert.equal(Date.parse(approved.body.expiresAt) - clock, 60 * 60_000);
    // Approving again is a conflict, not a second grant.
    assert.equal((await plane.call('POST', `/api/v1/grants/${asked.body.id}/approve`, { key: approver.key })).status, 409);
    assert.equal((await plane.plane.authorizer.decide(principal, 'data:decrypt', 'sales')).allowed, true);
    assert.equal((await plane.plane.authorizer.decide(principal, 'data:decrypt', 'marketing')).allowed, false, 'the grant is for its namespace only');
    // An hour later it has expired by itself.
    clock += 60 * 60_000 + 1;
    assert.equal((await plane.plane.authorizer.decide(principal, 'data:decrypt', 'sales')).allowed, false);
    const listed = await plane.call('GET', '/api/v1/grants', { key: analyst.key });
    assert.equal(listed.body.grants.find((g: { id: string }) => g.id === asked.body.id)?.expired, true);
    assert.ok(listed.body.grants.every((g: { principal: string }) => g.principal === analyst.principal), 'a non-approver sees only its own grants');
    const audited = [...(await events(plane, 'grant.request')), ...(await events(plane, 'grant.approve'))];
    assert.ok(audited.some((e) => e.action === 'grant.approve' && e.outcome === 'denied' && e.reason === 'self-approval'));
    assert.ok(audited.some((e) => e.action === 'grant.approve' && e.outcome === 'success' && e.actor.principal === approver.principal));
  });

  test('an approved grant can be revoked before it expires, and stops working at once', async () => {
    const analyst = await plane.apiKey('analyst', { namespace: 'sales' });
    const approver = await plane.apiKey('admin');
    const asked = await plane.call('POST', '/api/v1/grants', { key: analyst.key, body: { permission: 'data:detokenize', namespace: 'sales', reason: 'support ticket 7', durationMinutes: 30 } });
    await plane.call('POST', `/api/v1/grants/${asked.body.id}/approve`, { key: approver.key });
    const principal = { id: analyst.principal, method: 'api-key' as const, kind: 'user' as const, scopes: [] };
    assert.equal((await plane.plane.authorizer.decide(principal, 'data:detokenize', 'sales')).allowed, true);
    // Someone else's grant is invisible to a non-approver: 404.
    const other = await plane.apiKey('analyst', { namespace: 'sales' });
    assert.equal((await plane.call('POST', `/api/v1/grants/${asked.body.id}/revoke`, { key: other.key })).status, 404);
    const revoked = await plane.call('POST', `/api/v1/grants/${asked.body.id}/revoke`, { key: approver.key });
    assert.equal(revoked.status, 200);
    assert.equal((await plane.plane.authorizer.decide(principal, 'data:detokenize', 'sales')).allowed, false);
    assert.equal((await events(plane, 'grant.revoke')).at(-1)?.resource, `grant:${asked.body.id}`);
  });

  test('a grant may not be asked for in a namespace where the requester holds no role, nor for a non-grantable permission', async () => {
    const analyst = await plane.apiKey('analyst', { namespace: 'sales' });
    assert.equal((await plane.call('POST', '/api/v1/grants', { key: analyst.key, body: { permission: 'data:decrypt', namespace: 'marketing', reason: 'curious', durationMinutes: 5 } })).status, 404);
    assert.equal((await plane.call('POST', '/api/v1/grants', { key: analyst.key, body: { permission: 'access:manage', namespace: 'sales', reason: 'promote me', durationMinutes: 5 } })).status, 400);
    assert.equal((await plane.call('POST', '/api/v1/grants', { key: analyst.key, body: { permission: 'data:decrypt', namespace: 'sales', reason: 'too long', durationMinutes: 100_000 } })).status, 400);
  });
});

describe('control plane: OIDC access tokens', () => {
  let plane: TestPlane;
  let jwks: ReturnType<typeof createServer>;
  let sign: (claims: Record<string, unknown>, header?: Record<string, unknown>) => Promise<string>;
  let verifier: OidcVerifier;
  const issuer = 'https://idp.example.test';
  before(async () => {
    const ca = await createDevCa('idp CA', 1);
    const cert = await issueCertificate(ca, 'server', ['127.0.0.1'], 1);
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    jwks = createServer({ key: cert.key, cert: cert.cert }, (_, res) => res.end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const port = (jwks.address() as AddressInfo).port;
    verifier = new OidcVerifier([{ issuer, audience: 'sluice-api', jwksUri: `https://127.0.0.1:${port}/jwks`, algorithms: ['ES256'], leewaySeconds: 30, accessTokenType: 'at+jwt', ca: ca.cert }]);
    sign = async (claims, header = {}) =>
      await new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt', ...header })
        .setIssuer(issuer)
        .setAudience('sluice-api')
        .setSubject('alice')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey);
    plane = await startTestPlane({ oidc: verifier });
  });
  after(async () => {
    await plane.close();
    await verifier.close();
    jwks.close();
  });

  test('a valid access token is the principal oidc:<issuer>#<subject>, and roles bind to it', async () => {
    const token = await sign({});
    const who = await plane.call('GET', '/api/v1/whoami', { key: token });
    assert.equal(who.status, 200, who.text);
    assert.equal(who.body.principal, `oidc:${issuer}#alice`);
    assert.equal((await plane.call('GET', '/api/v1/keys', { key: token })).status, 403);
    await plane.store.access.bindRole({ principal: `oidc:${issuer}#alice`, role: 'viewer', namespace: '*', clearance: 'internal', createdAt: new Date().toISOString(), createdBy: 'test' });
    assert.equal((await plane.call('GET', '/api/v1/keys', { key: token })).status, 200);
    assert.equal((await events(plane, 'auth.success')).at(-1)?.actor.method, 'oidc');
  });

  test('ID token used as an access token, wrong audience and alg none are refused through the API (401)', async () => {
    const idToken = await sign({ nonce: 'n' }, { typ: 'JWT' });
    const wrongAudience = await new SignJWT({}).setProtectedHeader({ alg: 'none', typ: 'at+jwt' }).setIssuer(issuer).setAudience('other').setSubject('alice').setIssuedAt().setExpirationTime('5m').sign(new Uint8Array(0)).catch(() => undefined);
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${Buffer.from(JSON.stringify({ iss: issuer, aud: 'sluice-api', sub: 'alice', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 300 })).toString('base64url')}.`;
    for (const token of [idToken, none, ...(wrongAudience ? [wrongAudience] : [])]) {
      const response = await plane.call('GET', '/api/v1/whoami', { key: token });
      assert.equal(response.status, 401);
      assert.ok(!response.text.includes(token), 'the token is not echoed');
    }
    const reasons = (await events(plane, 'auth.failure')).map((e) => e.reason);
    assert.ok(reasons.includes('oidc-token-type'));
  });
});

describe('control plane: identity provider down', () => {
  test('a token whose issuer keys cannot be fetched answers 503 with Retry-After, not 401', async () => {
    const ca = await createDevCa('idp CA', 1);
    // A port nothing listens on: the JWKS fetch fails at once.
    const idle = createServer();
    await new Promise<void>((resolve) => idle.listen(0, '127.0.0.1', resolve));
    const port = (idle.address() as AddressInfo).port;
    await new Promise<void>((resolve) => idle.close(() => resolve()));
    const issuer = 'https://idp.down.test';
    const verifier = new OidcVerifier([{ issuer, audience: 'sluice-api', jwksUri: `https://127.0.0.1:${port}/jwks`, algorithms: ['ES256'], leewaySeconds: 30, accessTokenType: 'at+jwt', ca: ca.cert }]);
    const plane = await startTestPlane({ oidc: verifier });
    try {
      const { privateKey } = await generateKeyPair('ES256');
      const token = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' }).setIssuer(issuer).setAudience('sluice-api').setSubject('bob').setIssuedAt().setExpirationTime('5m').sign(privateKey);
      const response = await plane.call('GET', '/api/v1/whoami', { key: token });
      assert.equal(response.status, 503, response.text);
      assert.equal(response.body.error.code, 'SLUICE_UNAVAILABLE');
      assert.ok(Number(response.headers.get('retry-after')) >= 1);
      assert.equal((await plane.store.queryAuditEvents({ action: 'auth.failure', limit: 10 })).at(-1)?.reason, 'oidc-jwks-unavailable');
    } finally {
      await plane.close();
      await verifier.close();
    }
  });
});
