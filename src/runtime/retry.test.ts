// Retries: only retryable errors, bounded attempts, delays within the full-jitter envelope.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, withRetry } from './retry.ts';
import { SluiceError } from '../errors.ts';

const settings = { attempts: 4, initialDelayMs: 1, maxDelayMs: 4 };

test('backoff delays grow exponentially up to the cap, with full jitter', () => {
  assert.equal(backoffDelay(1, { attempts: 9, initialDelayMs: 100, maxDelayMs: 1000 }, () => 0.999), 99);
  assert.equal(backoffDelay(3, { attempts: 9, initialDelayMs: 100, maxDelayMs: 1000 }, () => 0.999), 399);
  assert.equal(backoffDelay(9, { attempts: 9, initialDelayMs: 100, maxDelayMs: 1000 }, () => 0.999), 999);
  assert.equal(backoffDelay(5, { attempts: 9, initialDelayMs: 100, maxDelayMs: 1000 }, () => 0), 0);
});

test('a retryable error is retried until it succeeds', async () => {
  let calls = 0;
  const result = await withRetry(async () => {
    calls++;
    if (calls < 3) throw Object.assign(new Error('busy'), { code: 'EBUSY' });
    return 'ok';
  }, settings);
  assert.equal(result, 'ok');
  assert.equal(calls, 3);
});

test('retries stop after the configured attempts and the last error surfaces', async () => {
  let calls = 0;
  await assert.rejects(
    withRetry(async () => {
      calls++;
      throw new SluiceError('SLUICE_SINK_WRITE_FAILED', 'still down', { retryable: true });
    }, settings),
    /still down/,
  );
  assert.equal(calls, 4);
});

test('a non-retryable error is not retried', async () => {
  let calls = 0;
  await assert.rejects(
    withRetry(async () => {
      calls++;
      throw Object.assign(new Error('denied'), { code: 'EACCES' });
    }, settings),
  );
  assert.equal(calls, 1);
});
