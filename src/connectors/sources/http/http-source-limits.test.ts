// Hostile and broken answers, against real HTTPS servers: retries with Retry-After and backoff, an endless
// body, a body that trickles, a server that never answers, invalid JSON, HTML error pages, a body cut short.
// Each failure is a SLUICE_SOURCE_FAILED naming the URL (query values left out) and the page, with no partial batch.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { isSluiceError } from '../../../errors.ts';
import type { SluiceError } from '../../../errors.ts';
import type { SourceBatch } from '../../source.ts';
import { selfSignedCertificate } from '../../../../test/support/tls-fixture.ts';
import { caFile, sendJson, startHttpsServer } from '../../../../test/support/http-test-server.ts';
import type { Handler, HttpsTestServer } from '../../../../test/support/http-test-server.ts';
import { httpSourceFor, readBatches, recordingWait, recordsIn } from '../../../../test/support/http-source-harness.ts';
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

function sourceFor(server: HttpsTestServer, options: Record<string, unknown> = {}, hooks: HttpSourceHooks = {}) {
  return httpSourceFor({ url: server.url('/items?api_key=k-6b86b273ff&page=1'), allowPrivateAddresses: ['127.0.0.1'], tls: { ca }, ...options }, { baseDir: dir, hooks });
}

/** The source's failure, checked to be a SLUICE_SOURCE_FAILED that names the URL without query values, and the page. */
async function failure(batches: Promise<SourceBatch[]>, page = 1): Promise<SluiceError> {
  const error = await batches.then(
    () => assert.fail('the source should fail'),
    (e: unknown) => e,
  );
  assert.ok(isSluiceError(error, 'SLUICE_SOURCE_FAILED'), String(error));
  assert.match(error.message, /https:\/\/127\.0\.0\.1:\d+\/items\?api_key=…&page=…/);
  assert.match(error.message, new RegExp(`\\(page ${page}\\)`));
  assert.ok(!error.message.includes('k-6b86b273ff'), 'query values stay out of messages');
  return error;
}

test('429 with Retry-After in seconds: the source waits that long, then reads the page', async () => {
  const server = await serve((_r, response) => (server.requests.length === 1 ? sendJson(response, {}, 429, { 'retry-after': '2' }) : sendJson(response, [{ id: 1 }])));
  const { waits, wait } = recordingWait();
  assert.deepEqual(recordsIn(await readBatches(sourceFor(server, {}, { wait }))), [{ id: 1 }]);
  assert.deepEqual(waits, [2000]);
});

test('503 with Retry-After as an HTTP date; a Retry-After past maxWaitMs is capped', async () => {
  const now = Date.parse('Tue, 01 Dec 2026 10:00:00 GMT');
  const answers = [
    (response: ServerResponse) => sendJson(response, {}, 503, { 'retry-after': 'Tue, 01 Dec 2026 10:00:03 GMT' }),
    (response: ServerResponse) => sendJson(response, {}, 503, { 'retry-after': '86400' }),
    (response: ServerResponse) => sendJson(response, [{ id: 1 }]),
  ];
  const server = await serve((_r, response) => answers[server.requests.length - 1]?.(response));
  const { waits, wait } = recordingWait();
  await readBatches(sourceFor(server, { retry: { maxWaitMs: 5000 } }, { wait, now: () => now }));
  assert.deepEqual(waits, [3000, 5000]);
});

test('5xx without Retry-After: jittered exponential backoff under the cap, then a retryable failure after the attempts', async () => {
  const server = await serve((_r, response) => sendJson(response, { error: 'down' }, 502));
  const { waits, wait } = recordingWait();
  const error = await failure(readBatches(sourceFor(server, { retry: { attempts: 4, initialDelayMs: 100, maxWaitMs: 250 } }, { wait })));
  assert.match(error.message, /502 Bad Gateway 4 times/);
  assert.equal(error.retryable, true);
  assert.equal(server.requests.length, 4);
  assert.equal(waits.length, 3);
  waits.forEach((ms, i) => assert.ok(ms >= 0 && ms <= Math.min(250, 100 * 2 ** i), `wait ${i + 1}: ${ms}`));
});

test('a connection reset is retried; a 404 is not', async () => {
  const server = await serve((request, response, raw) => {
    if (request.path.includes('missing')) return sendJson(response, {}, 404);
    if (server.requests.length === 1) return raw.socket.destroy();
    sendJson(response, [{ id: 1 }]);
  });
  assert.deepEqual(recordsIn(await readBatches(sourceFor(server))), [{ id: 1 }]);
  assert.equal(server.requests.length, 2);
  server.requests.length = 0;
  const error = await failure(readBatches(sourceFor(server, { url: server.url('/items?api_key=k-6b86b273ff&page=1&missing=1') })));
  assert.match(error.message, /404 Not Found; check the url/);
  assert.equal(server.requests.length, 1);
});

test('size limit: a Content-Length over maxResponseBytes fails before the body is read', async () => {
  const server = await serve((_r, response) => {
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(10 * 1024 ** 3) });
    response.write('[');
  });
  const error = await failure(readBatches(sourceFor(server, { maxResponseBytes: 64 * 1024 })));
  assert.match(error.message, /announces a body of 10737418240 bytes, more than maxResponseBytes \(65536\)/);
});

test('size limit: an endless body is cut off once it passes maxResponseBytes, not buffered', async () => {
  let sent = 0;
  let closed!: () => void;
  const connectionClosed = new Promise<void>((resolve) => (closed = resolve));
  const server = await serve((_r, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    const chunk = Buffer.from(`[${'{"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},'.repeat(1000)}`);
    const pump = () => {
      while (!response.destroyed && response.write(chunk)) sent += chunk.length;
    };
    response.on('drain', pump);
    response.on('close', () => closed());
    pump();
  });
  const error = await failure(readBatches(sourceFor(server, { maxResponseBytes: 256 * 1024 })));
  assert.match(error.message, /sent more than maxResponseBytes \(262144 bytes\) and was cut off/);
  await connectionClosed;
  assert.ok(sent < 64 * 1024 * 1024, `the server stopped after ${sent} bytes: the source closed the connection`);
});

test('slow drip: a body that trickles in byte by byte hits timeouts.requestMs', async () => {
  const server = await serve((_r, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.write('[');
    const drip = setInterval(() => response.write(' '), 20);
    response.on('close', () => clearInterval(drip));
  });
  const error = await failure(readBatches(sourceFor(server, { timeouts: { requestMs: 500 }, retry: { attempts: 1 } })));
  assert.match(error.message, /did not answer in full within 500 ms \(timeouts\.requestMs\)/);
  assert.equal(error.retryable, true);
});

test('a server that never sends headers hits timeouts.headersMs', async () => {
  const server = await serve(() => undefined);
  const error = await failure(readBatches(sourceFor(server, { timeouts: { headersMs: 300 }, retry: { attempts: 1 } })));
  assert.match(error.message, /did not answer within 300 ms \(timeouts\.headersMs\)/);
});

test('invalid JSON on page 2 fails naming page 2, and gives no partial batch of it', async () => {
  const server = await serve((request, response) => {
    if (request.path.includes('page=2')) response.writeHead(200, { 'content-type': 'application/json' }).end('[{"id": 2}, {"id": 3,]');
    else sendJson(response, [{ id: 1 }]);
  });
  const source = sourceFor(server, { paginate: { page: {} } });
  const reader = await source.open(undefined);
  const seen: SourceBatch[] = [];
  const error = await failure(
    (async () => {
      for await (const batch of reader.batches(10)) seen.push(batch);
      return seen;
    })(),
    2,
  );
  await reader.close();
  assert.match(error.message, /not valid JSON \(Expected double-quoted property name at character 22\)/);
  assert.deepEqual(recordsIn(seen), [{ id: 1 }], 'only page 1 was given');
});

test('HTML error pages: text/html refused unread, HTML under a JSON type named, a 502 page retried then failed', async () => {
  const server = await serve((request, response) => {
    const page = '<!doctype html><title>Sign in</title><p>Please log in</p>';
    if (request.path.includes('lying')) response.writeHead(200, { 'content-type': 'application/json' }).end(page);
    else if (request.path.includes('gateway')) response.writeHead(502, { 'content-type': 'text/html' }).end(page);
    else response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
  });
  assert.match((await failure(readBatches(sourceFor(server)))).message, /answered with text\/html where JSON was expected \(an error or login page/);
  const lying = await failure(readBatches(sourceFor(server, { url: server.url('/items?api_key=k-6b86b273ff&page=1&lying=1') })));
  assert.match(lying.message, /not valid JSON .*looks like an HTML page/);
  const gateway = await failure(readBatches(sourceFor(server, { url: server.url('/items?api_key=k-6b86b273ff&page=1&gateway=1'), retry: { attempts: 2 } })));
  assert.match(gateway.message, /502 Bad Gateway/);
});

test('a body cut short (Content-Length larger than what was sent, then the connection closed) fails as retryable', async () => {
  const server = await serve((_r, response, raw) => {
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
    response.write('[{"id": 1}, {"id"', () => setTimeout(() => raw.socket.destroy(), 20));
  });
  const error = await failure(readBatches(sourceFor(server, { retry: { attempts: 2 } })));
  assert.match(error.message, /the connection closed early: a body cut short gives no partial batch/);
  assert.equal(error.retryable, true);
  assert.equal(server.requests.length, 2, 'retried once');
});

test('a body that is not UTF-8 fails clearly', async () => {
  const server = await serve((_r, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(Buffer.from([0x5b, 0x22, 0xff, 0xfe, 0x22, 0x5d])));
  assert.match((await failure(readBatches(sourceFor(server)))).message, /not valid UTF-8/);
});

test('compression bomb: the source asks for no content coding and refuses a gzip body it did not ask for', async () => {
  const server = await serve((_r, response) => response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(gzipSync(Buffer.alloc(1024 * 1024, 32))));
  assert.match((await failure(readBatches(sourceFor(server)))).message, /sent a gzip-encoded body although the source asked for none/);
  assert.equal(server.requests[0]?.headers['accept-encoding'], 'identity');
});
