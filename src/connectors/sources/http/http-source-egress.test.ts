// Egress of the http source against real HTTPS servers: redirects to cloud metadata, to hosts off the
// allowlist and to plain http are refused; credentials never follow a redirect or a next link to another
// origin; private addresses in any spelling, by name or by DNS rebinding, are refused before a byte is sent.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { isSluiceError } from '../../../errors.ts';
import { selfSignedCertificate } from '../../../../test/support/tls-fixture.ts';
import { caFile, sendJson, startHttpsServer } from '../../../../test/support/http-test-server.ts';
import type { Handler, HttpsTestServer } from '../../../../test/support/http-test-server.ts';
import { SecretsDouble } from '../../../../test/support/http-secrets.ts';
import { httpSourceFor, readBatches, recordsIn } from '../../../../test/support/http-source-harness.ts';
import { EgressPolicy } from './egress-policy.ts';
import { guardedLookup } from './guarded-dispatcher.ts';
import type { Resolve } from './guarded-dispatcher.ts';
import type { HttpSourceHooks } from './http-source.ts';

const tls = selfSignedCertificate();
const { dir, ca } = caFile(tls);
const servers: HttpsTestServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));
const TOKEN = 'tok-egress-4a5b6c7d8e';

async function serve(handler: Handler): Promise<HttpsTestServer> {
  const server = await startHttpsServer(tls, handler);
  servers.push(server);
  return server;
}

function sourceFor(url: string, options: Record<string, unknown> = {}, hooks: HttpSourceHooks = {}) {
  const secrets = new SecretsDouble({ 'env://API_TOKEN': TOKEN });
  return httpSourceFor({ url, allowPrivateAddresses: ['127.0.0.1'], tls: { ca }, auth: { bearer: 'env://API_TOKEN' }, retry: { attempts: 2 }, ...options }, { baseDir: dir, secrets, hooks });
}

const denied = (pattern: RegExp) => (error: unknown) => isSluiceError(error, 'SLUICE_EGRESS_DENIED') && pattern.test(error.message);

/** A resolver double that answers from a script, one answer per call (the last one repeats), and counts calls. */
function scriptedResolver(...answers: string[][]): Resolve & { calls: string[] } {
  const calls: string[] = [];
  const resolve = async (hostname: string): Promise<LookupAddress[]> => {
    calls.push(hostname);
    const answer = answers[Math.min(calls.length, answers.length) - 1] ?? [];
    return answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolve, { calls });
}

test('SSRF by redirect: a redirect to the cloud metadata address 169.254.169.254 is refused, allowlisted or not', async () => {
  const server = await serve((_r, response) => response.writeHead(302, { location: 'https://169.254.169.254/latest/meta-data/iam/security-credentials/' }).end());
  await assert.rejects(readBatches(sourceFor(server.url('/items'))), denied(/redirected to https:\/\/169\.254\.169\.254\/latest.* is off the source's egress allowlist/));
  // Even with the host on the allowlist, the SSRF guard refuses the link-local address before connecting.
  await assert.rejects(readBatches(sourceFor(server.url('/items'), { allow: ['169.254.169.254'] })), denied(/169\.254\.169\.254 is a link-local .* \(SSRF guard\)/));
});

test('a redirect to a host off the allowlist is refused before it is resolved', async () => {
  const server = await serve((_r, response) => response.writeHead(307, { location: 'https://collector.evil.example/steal' }).end());
  const resolve = scriptedResolver(['93.184.216.34']);
  await assert.rejects(readBatches(sourceFor(server.url('/items'), {}, { resolve })), denied(/collector\.evil\.example:443, add it to allow/));
  assert.deepEqual(resolve.calls, []);
});

test('downgrade by redirect: a redirect to http:// is refused', async () => {
  const server = await serve((_r, response) => response.writeHead(301, { location: `http://127.0.0.1:${server.port}/items` }).end());
  await assert.rejects(readBatches(sourceFor(server.url('/items'))), denied(/is not https/));
});

test('credential leak by redirect: Authorization is not forwarded to another origin, even an allowed one', async () => {
  const other = await serve((_r, response) => sendJson(response, [{ from: 'other' }]));
  const api = await serve((request, response) => {
    if (request.path === '/items') response.writeHead(302, { location: '/moved' }).end();
    else response.writeHead(302, { location: other.url('/items') }).end();
  });
  const batches = await readBatches(sourceFor(api.url('/items'), { allow: [`127.0.0.1:${other.port}`] }));
  assert.deepEqual(recordsIn(batches), [{ from: 'other' }]);
  assert.deepEqual(api.requests.map((r) => [r.path, r.headers.authorization]), [['/items', `Bearer ${TOKEN}`], ['/moved', `Bearer ${TOKEN}`]], 'same-origin hops keep it');
  assert.equal(other.requests[0]?.headers.authorization, undefined, 'the other origin never sees it');
});

test('credential leak by next link: a page on another (allowed) origin gets no credentials', async () => {
  const other = await serve((_r, response) => sendJson(response, { data: [{ page: 2 }], next: null }));
  const api = await serve((_r, response) => sendJson(response, { data: [{ page: 1 }], next: other.url('/page2') }));
  const options = { records: 'data', paginate: { next: 'next' }, allow: [`127.0.0.1:${other.port}`] };
  assert.deepEqual(recordsIn(await readBatches(sourceFor(api.url('/items'), options))), [{ page: 1 }, { page: 2 }]);
  assert.equal(api.requests[0]?.headers.authorization, `Bearer ${TOKEN}`);
  assert.equal(other.requests[0]?.headers.authorization, undefined);
});

test('a next link off the allowlist is refused', async () => {
  const api = await serve((_r, response) => sendJson(response, { data: [{ page: 1 }], next: 'https://elsewhere.example/page2' }));
  await assert.rejects(readBatches(sourceFor(api.url('/items'), { records: 'data', paginate: { next: 'next' } })), denied(/https:\/\/elsewhere\.example\/page2 \(page 2\) is off the source's egress allowlist/));
});

test('redirect loops stop at maxRedirects', async () => {
  const server = await serve((request, response) => response.writeHead(302, { location: `/r${request.path.length}` }).end());
  await assert.rejects(readBatches(sourceFor(server.url('/items'), { maxRedirects: 2 })), (error) => isSluiceError(error, 'SLUICE_SOURCE_FAILED') && /more than maxRedirects \(2\)/.test(error.message));
  assert.equal(server.requests.length, 3);
});

test('SSRF by address encoding: loopback in decimal, hex, short and IPv6 forms is refused before connecting unless opted in', async () => {
  const server = await serve((_r, response) => sendJson(response, [{ ok: true }]));
  const spellings = [`https://127.0.0.1:${server.port}/`, `https://2130706433:${server.port}/`, `https://0x7f.1:${server.port}/`, `https://0177.0.0.01:${server.port}/`, `https://[::ffff:127.0.0.1]:${server.port}/`, `https://[::1]:${server.port}/`];
  for (const url of spellings) {
    await assert.rejects(readBatches(sourceFor(url, { allowPrivateAddresses: [] })), denied(/is a (loopback|IPv4-mapped IPv6 of 127\.0\.0\.1, which is loopback) address/), url);
  }
  assert.equal(server.requests.length, 0, 'no connection was made');
  // The opt-in is matched against the normalized address, whatever the spelling.
  assert.deepEqual(recordsIn(await readBatches(sourceFor(`https://2130706433:${server.port}/`))), [{ ok: true }]);
});

test('SSRF by DNS: a name that resolves to loopback (alone or among public addresses) is refused unless opted in', async () => {
  const server = await serve((_r, response) => sendJson(response, [{ ok: true }]));
  const url = `https://api.internal.test:${server.port}/items`;
  const viaName = { allowPrivateAddresses: [], tls: { ca, servername: 'localhost' } };
  await assert.rejects(readBatches(sourceFor(url, viaName, { resolve: scriptedResolver(['127.0.0.1']) })), denied(/api\.internal\.test resolves to 127\.0\.0\.1, a loopback address/));
  await assert.rejects(readBatches(sourceFor(url, viaName, { resolve: scriptedResolver(['93.184.216.34', '127.0.0.1']) })), denied(/resolves to 127\.0\.0\.1/));
  await assert.rejects(readBatches(sourceFor(url, viaName, { resolve: scriptedResolver(['::ffff:a9fe:a9fe']) })), denied(/IPv4-mapped IPv6 of 169\.254\.169\.254/));
  assert.equal(server.requests.length, 0);
  const optedIn = { ...viaName, allowPrivateAddresses: ['127.0.0.1'] };
  assert.deepEqual(recordsIn(await readBatches(sourceFor(url, optedIn, { resolve: scriptedResolver(['127.0.0.1']) }))), [{ ok: true }]);
});

test('DNS rebinding: the connection goes to the address that was checked, and a rebound answer is refused', async () => {
  const server = await serve((_r, response) => sendJson(response, [{ leaked: true }]));
  // 127.0.0.2 stands in for a public address (the test must not reach the internet): it is allowed, and nothing
  // listens there. The resolver then rebinds the name to 127.0.0.1, where the server is, and which is refused.
  // A guard that checked one answer and let the socket resolve again would reach the server.
  const resolve = scriptedResolver(['127.0.0.2'], ['127.0.0.1']);
  const options = { allowPrivateAddresses: ['127.0.0.2'], tls: { ca, servername: 'localhost' }, retry: { attempts: 3 } };
  await assert.rejects(readBatches(sourceFor(`https://api.rebind.test:${server.port}/items`, options, { resolve })), denied(/api\.rebind\.test resolves to 127\.0\.0\.1/));
  assert.equal(server.requests.length, 0, 'the server behind the rebound address got nothing');
  assert.deepEqual(resolve.calls, ['api.rebind.test', 'api.rebind.test'], 'one resolution per connection attempt: the refused connection to 127.0.0.2, then the rebound answer');
});

test('DNS rebinding: the guarded lookup hands net.connect exactly the addresses it checked', async () => {
  const policy = new EgressPolicy({ hosts: ['api.example.com'] });
  const resolve = scriptedResolver(['93.184.216.34', '2606:2800:220:1::1'], ['127.0.0.1']);
  const lookup = guardedLookup(policy, resolve);
  const first = await new Promise<unknown>((done, fail) => lookup('api.example.com', { all: true }, (error, addresses) => (error ? fail(error) : done(addresses))));
  assert.deepEqual(first, [
    { address: '93.184.216.34', family: 4 },
    { address: '2606:2800:220:1::1', family: 6 },
  ]);
  const single = await new Promise<unknown>((done, fail) => {
    const again = guardedLookup(policy, scriptedResolver(['93.184.216.34']));
    again('api.example.com', { family: 4 }, (error, address, family) => (error ? fail(error) : done([address, family])));
  });
  assert.deepEqual(single, ['93.184.216.34', 4]);
  await assert.rejects(
    new Promise((done, fail) => lookup('api.example.com', { all: true }, (error, addresses) => (error ? fail(error) : done(addresses)))),
    denied(/resolves to 127\.0\.0\.1/),
  );
});
