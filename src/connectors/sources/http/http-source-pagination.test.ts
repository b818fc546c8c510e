// The http source against real HTTPS servers on 127.0.0.1: every pagination style, batches and the positions
// that resume a run (after a page, inside a page, after the last), the page limit, and non-object records.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { isSluiceError } from '../../../errors.ts';
import type { SourcePosition } from '../../source.ts';
import { selfSignedCertificate } from '../../../../test/support/tls-fixture.ts';
import { caFile, sendJson, startHttpsServer } from '../../../../test/support/http-test-server.ts';
import type { HttpsTestServer, SeenRequest } from '../../../../test/support/http-test-server.ts';
import { httpSourceFor, readBatches, recordsIn } from '../../../../test/support/http-source-harness.ts';

const tls = selfSignedCertificate();
const { dir, ca } = caFile(tls);
const servers: HttpsTestServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

const ITEMS = Array.from({ length: 7 }, (_, i) => ({ id: i + 1, name: `item ${i + 1}` }));
const PAGE = 3;

async function serve(handler: (request: SeenRequest, query: URLSearchParams, response: ServerResponse) => void): Promise<HttpsTestServer> {
  const server = await startHttpsServer(tls, (request, response) => handler(request, new URL(request.path, 'https://x').searchParams, response));
  servers.push(server);
  return server;
}

/** Options for a source reading `server`: trusted certificate, the loopback opt-in, no waiting between retries. */
function sourceFor(server: HttpsTestServer, options: Record<string, unknown> = {}) {
  return httpSourceFor({ url: server.url('/items'), allowPrivateAddresses: ['127.0.0.1'], tls: { ca }, ...options }, { baseDir: dir });
}

test('pagination by a next link in the body reads every page once', async () => {
  const server = await serve((_r, query, response) => {
    const start = Number(query.get('after') ?? 0);
    const next = start + PAGE < ITEMS.length ? `/items?after=${start + PAGE}` : null;
    sendJson(response, { data: ITEMS.slice(start, start + PAGE), links: { next } });
  });
  const batches = await readBatches(sourceFor(server, { records: 'data', paginate: { next: '$.links.next' } }));
  assert.deepEqual(recordsIn(batches), ITEMS);
  assert.deepEqual(server.requests.map((r) => r.path), ['/items', '/items?after=3', '/items?after=6']);
  assert.deepEqual(batches.map((b) => b.end), [
    { page: 1, url: server.url('/items?after=3') },
    { page: 2, url: server.url('/items?after=6') },
    { page: 3, done: 1 },
  ]);
});

test('pagination by a cursor in the body, sent back as a query parameter', async () => {
  const server = await serve((_r, query, response) => {
    const start = query.has('cursor') ? Number(Buffer.from(query.get('cursor') ?? '', 'base64url').toString()) : 0;
    const end = start + PAGE;
    sendJson(response, { items: ITEMS.slice(start, end), meta: { next_cursor: end < ITEMS.length ? Buffer.from(String(end)).toString('base64url') : null } });
  });
  const batches = await readBatches(sourceFor(server, { url: server.url('/items?sort=id'), records: 'items', paginate: { cursor: { from: 'meta.next_cursor', param: 'cursor' } } }));
  assert.deepEqual(recordsIn(batches), ITEMS);
  assert.equal(server.requests.length, 3);
  assert.ok(server.requests.every((r) => r.path.startsWith('/items?sort=id')), 'the fixed query parameters stay');
});

test('pagination by page number stops at a short page when the size is known', async () => {
  const server = await serve((_r, query, response) => {
    const size = Number(query.get('per_page'));
    const page = Number(query.get('page'));
    sendJson(response, ITEMS.slice((page - 1) * size, page * size));
  });
  const batches = await readBatches(sourceFor(server, { paginate: { page: { size: PAGE, sizeParam: 'per_page' } } }));
  assert.deepEqual(recordsIn(batches), ITEMS);
  assert.deepEqual(server.requests.map((r) => r.path), ['/items?page=1&per_page=3', '/items?page=2&per_page=3', '/items?page=3&per_page=3']);
});

test('pagination by page number without a size stops at the first empty page', async () => {
  const server = await serve((_r, query, response) => {
    const page = Number(query.get('p'));
    sendJson(response, ITEMS.slice(page * PAGE, (page + 1) * PAGE));
  });
  const batches = await readBatches(sourceFor(server, { paginate: { page: { param: 'p', start: 0 } } }));
  assert.deepEqual(recordsIn(batches), ITEMS);
  assert.equal(server.requests.length, 4, 'the empty fourth page ends the reading');
  assert.deepEqual(batches.map((b) => b.records.length), [3, 3, 1]);
});

test('pagination by offset advances by the records read and stops at a short page', async () => {
  const server = await serve((_r, query, response) => {
    const offset = Number(query.get('offset'));
    sendJson(response, { results: ITEMS.slice(offset, offset + Number(query.get('limit'))) });
  });
  const batches = await readBatches(sourceFor(server, { records: 'results', paginate: { offset: { size: PAGE, sizeParam: 'limit' } } }));
  assert.deepEqual(recordsIn(batches), ITEMS);
  assert.deepEqual(server.requests.map((r) => new URL(r.path, 'https://x').searchParams.get('offset')), ['0', '3', '6']);
});

test('pagination by the RFC 8288 Link header', async () => {
  const server = await serve((_r, query, response) => {
    const page = Number(query.get('page') ?? 1);
    const links = [`<${server.url('/items?page=1')}>; rel="first"`];
    if (page * PAGE < ITEMS.length) links.push(`</items?page=${page + 1}>; rel="next"`);
    sendJson(response, ITEMS.slice((page - 1) * PAGE, page * PAGE), 200, { link: links.join(', ') });
  });
  const batches = await readBatches(sourceFor(server, { paginate: { linkHeader: true } }));
  assert.deepEqual(recordsIn(batches), ITEMS);
  assert.equal(server.requests.length, 3);
});

test('without paginate the source reads the one page at url', async () => {
  const server = await serve((_r, _q, response) => sendJson(response, ITEMS));
  const batches = await readBatches(sourceFor(server));
  assert.deepEqual(recordsIn(batches), ITEMS);
  assert.deepEqual(batches.map((b) => b.end), [{ page: 1, done: 1 }]);
});

test('a page bigger than batchSize splits; a run resumed inside a page or after one reads each record once', async () => {
  const server = await serve((_r, query, response) => {
    const page = Number(query.get('page'));
    sendJson(response, ITEMS.slice((page - 1) * 4, page * 4));
  });
  const options = { paginate: { page: { size: 4 } } };
  const batches = await readBatches(sourceFor(server, options), 3);
  assert.deepEqual(batches.map((b) => b.records.length), [3, 1, 3]);
  assert.deepEqual(batches[0]?.end, { page: 0, url: server.url('/items?page=1'), skip: 3 });
  assert.deepEqual(batches[0]?.refs, [1, 2, 3].map((n) => `${server.url('/items')}#page=1,record=${n}`));
  // Resumed after the first batch (inside page 1): page 1 is read again and its first 3 records skipped.
  server.requests.length = 0;
  const resumed = await readBatches(sourceFor(server, options), 3, batches[0]?.end);
  assert.deepEqual(recordsIn(resumed), ITEMS.slice(3));
  assert.deepEqual(server.requests.map((r) => r.path), ['/items?page=1', '/items?page=2']);
  // Resumed after page 1: the next request is page 2.
  server.requests.length = 0;
  const afterPage = await readBatches(sourceFor(server, options), 3, batches[1]?.end);
  assert.deepEqual(recordsIn(afterPage), ITEMS.slice(4));
  assert.deepEqual(server.requests.map((r) => r.path), ['/items?page=2']);
  // Resumed after the last page: nothing more is read.
  server.requests.length = 0;
  assert.deepEqual(await readBatches(sourceFor(server, options), 3, batches[2]?.end), []);
  assert.equal(server.requests.length, 0);
});

test('a saved position the source did not write is refused', async () => {
  const server = await serve((_r, _q, response) => sendJson(response, ITEMS));
  const bad: SourcePosition[] = [{ offset: 5 }, { page: -1, url: server.url('/items') }, { page: 1, url: 'http://127.0.0.1/items' }];
  for (const position of bad) {
    await assert.rejects(readBatches(sourceFor(server), 10, position), (error) => isSluiceError(error, 'SLUICE_RESUME_MISMATCH'));
  }
});

test('pagination loop: an API that always names a next page stops at maxPages with a clear error', async () => {
  const server = await serve((request, _q, response) => sendJson(response, { data: [{ n: 1 }], next: `/items?n=${server.requests.length}` }));
  const source = sourceFor(server, { records: 'data', paginate: { next: 'next' }, maxPages: 3 });
  const reader = await source.open(undefined);
  const seen: number[] = [];
  await assert.rejects(
    (async () => {
      for await (const batch of reader.batches(10)) seen.push(Number(batch.end.page));
    })(),
    (error) => isSluiceError(error, 'SLUICE_SOURCE_FAILED') && /maxPages \(3\)/.test(error.message) && /page 4/.test(error.message),
  );
  await reader.close();
  assert.deepEqual(seen, [1, 2, 3], 'the pages before the limit were given as batches');
  assert.equal(server.requests.length, 3);
});

test('pagination loop: a next link to the same page fails at once', async () => {
  const server = await serve((_r, _q, response) => sendJson(response, { data: [{ n: 1 }], next: '/items' }));
  await assert.rejects(readBatches(sourceFor(server, { records: 'data', paginate: { next: 'next' } })), (error) => isSluiceError(error, 'SLUICE_SOURCE_FAILED') && /pagination loop/.test(error.message));
});

test('non-object elements go to the quarantine as malformed records with their page and position', async () => {
  const server = await serve((_r, _q, response) => sendJson(response, { data: [{ id: 1 }, 5, 'text', null, [1, 2], { id: 2 }] }));
  const [batch] = await readBatches(sourceFor(server, { url: server.url('/items?token=abc'), records: 'data' }));
  assert.deepEqual(recordsIn(batch ? [batch] : []), [{ id: 1 }, { id: 2 }]);
  const ref = (n: number) => `${server.url('/items')}#page=1,record=${n}`;
  assert.deepEqual(batch?.refs, [ref(1), ref(6)]);
  assert.deepEqual(batch?.malformed.map((m) => [m.ref, m.reason, m.raw]), [
    [ref(2), 'the element is a number, not a JSON object', '5'],
    [ref(3), 'the element is a string, not a JSON object', '"text"'],
    [ref(4), 'the element is null, not a JSON object', 'null'],
    [ref(5), 'the element is an array, not a JSON object', '[1,2]'],
  ]);
  assert.equal(Object.getPrototypeOf(batch?.records[0]), null, 'records carry no prototype');
});

test('records: a missing array is an error naming the path; null is an empty page', async () => {
  const server = await serve((_r, query, response) => sendJson(response, query.has('empty') ? { data: null } : { items: [] }));
  await assert.rejects(readBatches(sourceFor(server, { records: 'data' })), (error) => isSluiceError(error, 'SLUICE_SOURCE_FAILED') && /has nothing at data, not an array/.test(error.message) && /\(page 1\)/.test(error.message));
  assert.deepEqual(await readBatches(sourceFor(server, { url: server.url('/items?empty=1'), records: 'data' })), []);
  const objectServer = await serve((_r, _q, response) => sendJson(response, { id: 1 }));
  await assert.rejects(readBatches(sourceFor(objectServer)), (error) => isSluiceError(error, 'SLUICE_SOURCE_FAILED') && /the body is an object, not an array/.test(error.message));
});

test('on shutdown (the run\'s signal aborted) the source stops pulling pages and ends without an error', async () => {
  const server = await serve((_r, query, response) => sendJson(response, [{ page: Number(query.get('page')) }]));
  const stop = new AbortController();
  const reader = await sourceFor(server, { paginate: { page: {} } }).open(undefined, { follow: false, signal: stop.signal });
  const pages: unknown[] = [];
  for await (const batch of reader.batches(10)) {
    pages.push(batch.end.page);
    if (pages.length === 2) stop.abort();
  }
  await reader.close();
  assert.deepEqual(pages, [1, 2]);
  assert.equal(server.requests.length, 2);
});
