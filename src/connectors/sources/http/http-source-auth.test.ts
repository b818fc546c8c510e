// Authentication of the http source against real HTTPS servers: bearer, basic, API-key header, OAuth2 client
// credentials (cached, refreshed before expiry and after a 401), an expired credential mid-run, credentials
// refused for good, and no credential value in any error even when the server echoes it back.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { isSluiceError } from '../../../errors.ts';
import { redactions } from '../../../secrets/redaction.ts';
import { selfSignedCertificate } from '../../../../test/support/tls-fixture.ts';
import { caFile, sendJson, startHttpsServer } from '../../../../test/support/http-test-server.ts';
import type { Handler, HttpsTestServer } from '../../../../test/support/http-test-server.ts';
import { SecretsDouble } from '../../../../test/support/http-secrets.ts';
import { httpSourceFor, readBatches, recordsIn } from '../../../../test/support/http-source-harness.ts';
import type { HttpSourceHooks } from './http-source.ts';

const tls = selfSignedCertificate();
const { dir, ca } = caFile(tls);
const servers: HttpsTestServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function serve(handler: Handler): Promise<HttpsTestServer> {
  const server = await startHttpsServer(tls, handler);
  servers.push(server);
  return server;
}

const pageOf = (path: string) => Number(new URL(path, 'https://x').searchParams.get('page'));

/** An API of three pages of one record each that answers 401 unless `accepts` says the Authorization is good. */
async function api(accepts: (authorization: string | undefined, page: number) => boolean, header = 'authorization'): Promise<HttpsTestServer> {
  return serve((request, response) => {
    const page = pageOf(request.path);
    const value = request.headers[header];
    if (!accepts(typeof value === 'string' ? value : undefined, page)) return sendJson(response, { error: 'unauthorized' }, 401);
    sendJson(response, page <= 3 ? [{ page }] : []);
  });
}

function sourceFor(server: HttpsTestServer, options: Record<string, unknown>, secrets: SecretsDouble, hooks: HttpSourceHooks = {}) {
  const all = { url: server.url('/items'), paginate: { page: { size: 1 } }, allowPrivateAddresses: ['127.0.0.1'], tls: { ca }, retry: { attempts: 2 }, ...options };
  return httpSourceFor(all, { baseDir: dir, secrets, hooks });
}

const THREE_PAGES = [{ page: 1 }, { page: 2 }, { page: 3 }];

test('bearer: the token from its secret reference goes in the Authorization header of every page', async () => {
  const secrets = new SecretsDouble({ 'env://API_TOKEN': 'tok-3f9a0c1e77' });
  const server = await api((auth) => auth === 'Bearer tok-3f9a0c1e77');
  assert.deepEqual(recordsIn(await readBatches(sourceFor(server, { auth: { bearer: 'env://API_TOKEN' } }, secrets))), THREE_PAGES);
  assert.equal(server.requests.length, 4, 'three pages and the empty one that ends them');
  assert.ok(server.requests.every((r) => r.headers.authorization === 'Bearer tok-3f9a0c1e77'));
});

test('basic: a plain user name or one from a reference, the password from a reference', async () => {
  const expected = `Basic ${Buffer.from('svc-reader:pa55:word').toString('base64')}`;
  const server = await api((auth) => auth === expected);
  const secrets = new SecretsDouble({ 'env://API_PASSWORD': 'pa55:word', 'env://API_USER': 'svc-reader' });
  assert.deepEqual(recordsIn(await readBatches(sourceFor(server, { auth: { basic: { username: 'svc-reader', password: 'env://API_PASSWORD' } } }, secrets))), THREE_PAGES);
  assert.deepEqual(recordsIn(await readBatches(sourceFor(server, { auth: { basic: { username: 'env://API_USER', password: 'env://API_PASSWORD' } } }, secrets))), THREE_PAGES);
});

test('apiKey: the key goes in the named header, and no Authorization is sent', async () => {
  const server = await api((key) => key === 'key-5d41402abc', 'x-api-key');
  const secrets = new SecretsDouble({ 'file:///run/secrets/api-key': 'key-5d41402abc' });
  assert.deepEqual(recordsIn(await readBatches(sourceFor(server, { auth: { apiKey: { header: 'X-Api-Key', value: 'file:///run/secrets/api-key' } } }, secrets))), THREE_PAGES);
  assert.ok(server.requests.every((r) => r.headers.authorization === undefined));
});

test('apiKey in a query parameter: added to each request to the API, never stored in a checkpoint even when next links echo it, never sent to another origin', async () => {
  const key = 'qk-7c2e91d04b';
  const other = await serve((_request, response) => sendJson(response, { data: [{ from: 'other' }], next: null }));
  const server = await serve((request, response) => {
    const url = new URL(request.path, 'https://x');
    if (url.searchParams.get('api_key') !== key) return sendJson(response, { error: 'unauthorized' }, 401);
    const page = Number(url.searchParams.get('page') ?? '1');
    // Like many APIs, the next link repeats the key; the last one points at another allowed origin.
    const next = page < 3 ? server.url(`/items?page=${page + 1}&api_key=${key}`) : other.url(`/more?api_key=${key}`);
    sendJson(response, { data: [{ page }], next });
  });
  const secrets = new SecretsDouble({ 'env://API_KEY': key });
  const source = sourceFor(server, { paginate: { next: 'next' }, records: 'data', allow: [new URL(other.url('/')).host], auth: { apiKey: { query: 'api_key', value: 'env://API_KEY' } } }, secrets);
  const batches = await readBatches(source);
  assert.deepEqual(recordsIn(batches), [{ page: 1 }, { page: 2 }, { page: 3 }, { from: 'other' }]);
  assert.equal(server.requests.length, 3);
  for (const batch of batches) assert.ok(!JSON.stringify(batch.end).includes(key), `a checkpoint holds the key: ${JSON.stringify(batch.end)}`);
  assert.equal(other.requests.length, 1);
  assert.ok(!other.requests[0]?.path.includes(key), 'the key went to another origin');
  assert.throws(() => sourceFor(server, { auth: { apiKey: { header: 'X-Key', query: 'api_key', value: 'env://API_KEY' } } }, secrets), /either a header or a query parameter/);
});

/** A token endpoint that checks the client and issues at-1, at-2, … with `expiresIn`. */
async function tokenEndpoint(options: { expiresIn?: number; clientAuth?: 'basic' | 'body'; refuse?: string } = {}) {
  let issued = 0;
  const server = await serve((request, response) => {
    const form = new URLSearchParams(request.body);
    const basic = `Basic ${Buffer.from('sluice-client:cs-8b1a9953c4').toString('base64')}`;
    const clientOk =
      options.clientAuth === 'body'
        ? form.get('client_id') === 'sluice-client' && form.get('client_secret') === 'cs-8b1a9953c4'
        : request.headers.authorization === basic;
    if (options.refuse) return sendJson(response, { error: options.refuse, error_description: `echo ${request.headers.authorization ?? ''}` }, 400);
    if (request.method !== 'POST' || form.get('grant_type') !== 'client_credentials' || !clientOk) return sendJson(response, { error: 'invalid_client' }, 401);
    if (form.get('scope') !== 'items:read') return sendJson(response, { error: 'invalid_scope' }, 400);
    issued++;
    sendJson(response, { access_token: `at-${issued}-a1b2c3`, token_type: 'bearer', ...(options.expiresIn ? { expires_in: options.expiresIn } : {}) });
  });
  return { server, issued: () => issued };
}

function oauth2(token: HttpsTestServer, clientAuth?: 'basic' | 'body') {
  return { oauth2: { tokenUrl: token.url('/oauth/token'), clientId: 'sluice-client', clientSecret: 'env://CLIENT_SECRET', scope: 'items:read', ...(clientAuth ? { clientAuth } : {}) } };
}

test('oauth2 client credentials (Basic client auth): one token, cached across pages, registered for redaction', async () => {
  const token = await tokenEndpoint({ expiresIn: 3600 });
  const server = await api((auth) => auth === 'Bearer at-1-a1b2c3');
  const secrets = new SecretsDouble({ 'env://CLIENT_SECRET': 'cs-8b1a9953c4' });
  assert.deepEqual(recordsIn(await readBatches(sourceFor(server, { auth: oauth2(token.server) }, secrets))), THREE_PAGES);
  assert.equal(token.issued(), 1);
  assert.equal(redactions.scrub('leaked at-1-a1b2c3'), 'leaked [REDACTED]');
});

test('oauth2 client credentials with the client in the form body (client_secret_post)', async () => {
  const token = await tokenEndpoint({ clientAuth: 'body' });
  const server = await api((auth) => auth === 'Bearer at-1-a1b2c3');
  const secrets = new SecretsDouble({ 'env://CLIENT_SECRET': 'cs-8b1a9953c4' });
  assert.deepEqual(recordsIn(await readBatches(sourceFor(server, { auth: oauth2(token.server, 'body') }, secrets))), THREE_PAGES);
  assert.equal(token.server.requests[0]?.headers.authorization, undefined);
});

test('oauth2: a token about to expire is refreshed before it is used', async () => {
  const token = await tokenEndpoint({ expiresIn: 3600 });
  let clock = 1_000_000;
  // Serving page 1 takes "59 minutes and 10 seconds": the token has 50 s left, under the 60 s margin.
  const server = await api((auth, page) => {
    if (page === 1) clock += 3_550_000;
    return auth === `Bearer at-${page === 1 ? 1 : 2}-a1b2c3`;
  });
  const secrets = new SecretsDouble({ 'env://CLIENT_SECRET': 'cs-8b1a9953c4' });
  assert.deepEqual(recordsIn(await readBatches(sourceFor(server, { auth: oauth2(token.server) }, secrets, { now: () => clock }))), THREE_PAGES);
  assert.equal(token.issued(), 2);
});

test('expired token mid-run (oauth2): a 401 on page 3 fetches a new token once and the run goes on', async () => {
  const token = await tokenEndpoint();
  // The API revokes at-1 while page 3 is being asked for.
  const server = await api((auth, page) => auth === (page >= 3 ? 'Bearer at-2-a1b2c3' : 'Bearer at-1-a1b2c3'));
  const secrets = new SecretsDouble({ 'env://CLIENT_SECRET': 'cs-8b1a9953c4' });
  assert.deepEqual(recordsIn(await readBatches(sourceFor(server, { auth: oauth2(token.server) }, secrets))), THREE_PAGES);
  assert.equal(token.issued(), 2);
  assert.deepEqual(secrets.invalidated, []);
});

test('expired token mid-run (bearer): a 401 on page 3 invalidates the secret, reads it again once, and the run goes on', async () => {
  const secrets = new SecretsDouble({ 'env://API_TOKEN': 'old-token-8c7d6e' });
  const server = await api((auth, page) => {
    if (page < 3) return auth === 'Bearer old-token-8c7d6e';
    // The token was rotated in the secret manager; the old one no longer works.
    secrets.set('env://API_TOKEN', 'new-token-1f2e3d');
    return auth === 'Bearer new-token-1f2e3d';
  });
  assert.deepEqual(recordsIn(await readBatches(sourceFor(server, { auth: { bearer: 'env://API_TOKEN' } }, secrets))), THREE_PAGES);
  assert.deepEqual(secrets.invalidated, ['env://API_TOKEN']);
  assert.equal(server.requests.length, 5, 'pages 1-4 and page 3 once more');
});

test('credentials refused for good: a second 401 fails with SLUICE_SECRET_DENIED naming the reference, not the value', async () => {
  const secrets = new SecretsDouble({ 'env://API_TOKEN': 'revoked-9e8d7c6b' });
  const server = await api(() => false);
  await assert.rejects(readBatches(sourceFor(server, { auth: { bearer: 'env://API_TOKEN' } }, secrets)), (error) => {
    assert.ok(isSluiceError(error, 'SLUICE_SECRET_DENIED'));
    assert.match(error.message, /env:\/\/API_TOKEN/);
    assert.match(error.message, /\(page 1\)/);
    assert.ok(!inspect(error, { depth: 10 }).includes('revoked-9e8d7c6b'));
    return true;
  });
  assert.equal(server.requests.length, 2, 'one renewal, then no retries');
  assert.deepEqual(secrets.invalidated, ['env://API_TOKEN', 'env://API_TOKEN']);
});

test('oauth2: a token endpoint that refuses the client fails with SLUICE_SECRET_DENIED and invalidates the client secret', async () => {
  const token = await tokenEndpoint();
  const server = await api(() => true);
  const secrets = new SecretsDouble({ 'env://CLIENT_SECRET': 'wrong-secret-value' });
  await assert.rejects(readBatches(sourceFor(server, { auth: oauth2(token.server) }, secrets)), (error) => {
    assert.ok(isSluiceError(error, 'SLUICE_SECRET_DENIED'));
    assert.match(error.message, /refused the client credentials \(client sluice-client, secret env:\/\/CLIENT_SECRET\): 401 invalid_client/);
    return true;
  });
  assert.deepEqual(secrets.invalidated, ['env://CLIENT_SECRET']);
  assert.equal(server.requests.length, 0, 'no API request without a token');
});

test('oauth2: a refused scope is a SLUICE_SOURCE_FAILED that names the error code but not the description', async () => {
  const token = await tokenEndpoint({ refuse: 'invalid_scope' });
  const server = await api(() => true);
  const secrets = new SecretsDouble({ 'env://CLIENT_SECRET': 'cs-8b1a9953c4' });
  await assert.rejects(readBatches(sourceFor(server, { auth: oauth2(token.server) }, secrets)), (error) => {
    assert.ok(isSluiceError(error, 'SLUICE_SOURCE_FAILED'));
    assert.match(error.message, /400 invalid_scope/);
    assert.ok(!error.message.includes('echo'));
    return true;
  });
});

test('secret planted in an error: a server echoing the bearer token in a 500 body, a 404 and an HTML page never gets it into the error', async () => {
  const value = 'tok-planted-0c9f8e7d6c';
  const server = await serve((request, response) => {
    const echo = `{"error":"bad token ${request.headers.authorization ?? ''}"}`;
    if (request.path.startsWith('/500')) response.writeHead(500, { 'content-type': 'application/json' }).end(echo);
    else if (request.path.startsWith('/404')) response.writeHead(404, { 'content-type': 'application/json' }).end(echo);
    else if (request.path.startsWith('/html')) response.writeHead(200, { 'content-type': 'text/html' }).end(`<p>${request.headers.authorization ?? ''}</p>`);
    else response.writeHead(200, { 'content-type': 'application/json' }).end(`{"broken": "${request.headers.authorization ?? ''}`);
  });
  for (const path of ['/500', '/404', '/html', '/json']) {
    const secrets = new SecretsDouble({ 'env://API_TOKEN': value });
    const error = await readBatches(sourceFor(server, { url: server.url(path), auth: { bearer: 'env://API_TOKEN' } }, secrets)).then(
      () => assert.fail('the source should fail'),
      (e: unknown) => e,
    );
    assert.ok(isSluiceError(error, 'SLUICE_SOURCE_FAILED'), path);
    const everything = `${error.message}\n${error.stack ?? ''}\n${inspect(error, { depth: 10 })}\n${JSON.stringify(error)}`;
    assert.ok(!everything.includes(value) && !everything.includes(Buffer.from(value).toString('base64').slice(0, 16)), `${path}: ${error.message}`);
  }
  assert.ok(server.requests.some((r) => r.headers.authorization === `Bearer ${value}`), 'the server did see the token');
});

test('a missing secret fails with the resolver\'s error before any request is sent', async () => {
  const server = await api(() => true);
  await assert.rejects(readBatches(sourceFor(server, { auth: { bearer: 'env://NOT_SET' } }, new SecretsDouble())), (error) => isSluiceError(error, 'SLUICE_SECRET_NOT_FOUND'));
  assert.equal(server.requests.length, 0);
});
