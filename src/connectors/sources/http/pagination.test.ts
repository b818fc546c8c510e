// Next-page decisions of every pagination style, from a page already read: where each one stops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSluiceError } from '../../../errors.ts';
import { firstPageUrl, nextPageUrl, paginationSchema } from './pagination.ts';
import type { ReadPage } from './pagination.ts';
import { pathSegments, valueAt } from './json-path.ts';

const base = new URL('https://api.example.com/v1/items?status=open');

function page(url: URL, body: unknown, count: number, link?: string): ReadPage {
  return { url, finalUrl: url, body, headers: link === undefined ? {} : { link }, count };
}

test('next link: absolute or relative to the answering URL; missing, null or empty ends', () => {
  const p = paginationSchema.parse({ next: '$.links.next' });
  assert.equal(nextPageUrl(p, page(base, { links: { next: '/v1/items?after=5' } }, 5), 'page 1')?.href, 'https://api.example.com/v1/items?after=5');
  assert.equal(nextPageUrl(p, page(base, { links: { next: 'https://cdn.example.com/p2' } }, 5), 'page 1')?.href, 'https://cdn.example.com/p2');
  for (const body of [{}, { links: { next: null } }, { links: { next: '' } }]) assert.equal(nextPageUrl(p, page(base, body, 5), 'page 1'), undefined);
  assert.throws(() => nextPageUrl(p, page(base, { links: { next: 5 } }, 5), 'page 1'), (e) => isSluiceError(e, 'SLUICE_SOURCE_FAILED') && /a number, not a URL/.test(e.message));
});

test('cursor: sent back in its parameter; a missing cursor ends; the same page again is a loop', () => {
  const p = paginationSchema.parse({ cursor: { from: 'meta.next', param: 'cursor' } });
  const next = nextPageUrl(p, page(base, { meta: { next: 'b c' } }, 5), 'page 1');
  assert.equal(next?.href, 'https://api.example.com/v1/items?status=open&cursor=b+c');
  assert.equal(nextPageUrl(p, page(base, { meta: {} }, 5), 'page 1'), undefined);
  assert.throws(() => nextPageUrl(p, page(next ?? base, { meta: { next: 'b c' } }, 5), 'page 2'), (e) => isSluiceError(e, 'SLUICE_SOURCE_FAILED') && /loop/.test(e.message));
});

test('page numbers: start and size in the first URL; a short or empty page ends', () => {
  const p = paginationSchema.parse({ page: { size: 2, sizeParam: 'per_page' } });
  const first = firstPageUrl(base, p);
  assert.equal(first.href, 'https://api.example.com/v1/items?status=open&page=1&per_page=2');
  assert.equal(nextPageUrl(p, page(first, [], 2), 'page 1')?.searchParams.get('page'), '2');
  assert.equal(nextPageUrl(p, page(first, [], 1), 'page 1'), undefined);
  assert.equal(nextPageUrl(p, page(first, [], 0), 'page 1'), undefined);
});

test('offsets: advance by the records read; without size only an empty page ends', () => {
  const p = paginationSchema.parse({ offset: { param: 'skip' } });
  const first = firstPageUrl(base, p);
  assert.equal(first.searchParams.get('skip'), '0');
  const second = nextPageUrl(p, page(first, [], 7), 'page 1');
  assert.equal(second?.searchParams.get('skip'), '7');
  assert.equal(nextPageUrl(p, page(second ?? first, [], 3), 'page 2')?.searchParams.get('skip'), '10');
  assert.equal(nextPageUrl(p, page(first, [], 0), 'page 1'), undefined);
});

test('Link header: rel="next" relative to the answering URL; none ends', () => {
  const p = paginationSchema.parse({ linkHeader: true });
  assert.equal(nextPageUrl(p, page(base, [], 1, '</v1/items?page=2>; rel="next"'), 'page 1')?.href, 'https://api.example.com/v1/items?page=2');
  assert.equal(nextPageUrl(p, page(base, [], 1, '</v1/items?page=1>; rel="prev"'), 'page 1'), undefined);
});

test('the spec takes exactly one style, and sizeParam needs size', () => {
  assert.equal(paginationSchema.safeParse({}).success, false);
  assert.equal(paginationSchema.safeParse({ next: 'a', linkHeader: true }).success, false);
  assert.equal(paginationSchema.safeParse({ page: { sizeParam: 'per_page' } }).success, false);
  assert.equal(paginationSchema.safeParse({ next: 'links..next' }).success, false);
});

test('dotted paths follow own properties and array indexes only', () => {
  const body = JSON.parse('{"data":{"items":[{"url":"u"}]},"__proto__":{"x":1}}') as unknown;
  assert.equal(valueAt(body, pathSegments('data.items.0.url')), 'u');
  assert.equal(valueAt(body, pathSegments('$.data.items.1.url')), undefined);
  assert.equal(valueAt(body, pathSegments('data.constructor')), undefined);
  assert.equal(valueAt({ a: [1] }, pathSegments('a.length')), undefined);
  assert.deepEqual(valueAt([1], pathSegments('$')), [1]);
});
