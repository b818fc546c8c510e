// Retry decisions of the http source: which statuses, Retry-After in seconds and as an HTTP date, the cap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isRetryableStatus, isTransientNetworkError, parseRetryAfter, retryDelay } from './retry-policy.ts';

const settings = { attempts: 5, initialDelayMs: 100, maxWaitMs: 60_000 };

test('429, 408 and 5xx are retried; 501, 505 and other 4xx are not', () => {
  for (const status of [408, 429, 500, 502, 503, 504, 599]) assert.equal(isRetryableStatus(status), true, String(status));
  for (const status of [200, 301, 400, 401, 403, 404, 501, 505]) assert.equal(isRetryableStatus(status), false, String(status));
});

test('Retry-After: delay-seconds, HTTP-date, a date in the past, and junk', () => {
  const now = Date.parse('Sun, 06 Nov 1994 08:49:37 GMT');
  assert.equal(parseRetryAfter('120', now), 120_000);
  assert.equal(parseRetryAfter(' 0 ', now), 0);
  assert.equal(parseRetryAfter('Sun, 06 Nov 1994 08:50:07 GMT', now), 30_000);
  assert.equal(parseRetryAfter('Sun, 06 Nov 1994 08:00:00 GMT', now), 0);
  for (const junk of [undefined, '', '-5', '1.5', 'soon', '2026-01-01']) assert.equal(parseRetryAfter(junk, now), undefined, String(junk));
});

test('the wait honours Retry-After up to maxWaitMs, else backs off with jitter within the cap', () => {
  assert.equal(retryDelay(1, 2_000, settings), 2_000);
  assert.equal(retryDelay(1, 3_600_000, settings), 60_000);
  assert.equal(retryDelay(3, undefined, settings, () => 0.999999), 399);
  assert.equal(retryDelay(30, undefined, settings, () => 0.999999), 59_999);
  assert.equal(retryDelay(2, undefined, settings, () => 0), 0);
});

test('network failures are transient by code, through undici causes; TLS failures are not', () => {
  assert.equal(isTransientNetworkError(Object.assign(new Error('x'), { code: 'UND_ERR_SOCKET' })), true);
  assert.equal(isTransientNetworkError(new Error('x', { cause: Object.assign(new Error('y'), { code: 'ECONNRESET' }) })), true);
  assert.equal(isTransientNetworkError(Object.assign(new Error('x'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })), false);
  assert.equal(isTransientNetworkError(new Error('x')), false);
});
