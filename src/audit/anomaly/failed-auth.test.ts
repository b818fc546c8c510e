// Failed-authentication bursts: one alert per burst per principal and per address, re-armed after a quiet
// window, and the throttling answer the server asks for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AnomalyInput } from './anomaly-input.ts';
import { FailedAuthDetector } from './failed-auth.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const T0 = Date.parse('2026-01-05T09:00:00Z');

/** A failed authentication; `source` null for one without an address. */
function failure(time: number, principal = 'apikey:k1', source: string | null = '203.0.113.9'): AnomalyInput {
  return { time, principal, kind: 'auth', outcome: 'failure', ...(source !== null ? { source } : {}) };
}

test('failed auth: 10 failures of one principal within 5 minutes raise one alert for it and one for its address', () => {
  const detector = new FailedAuthDetector();
  const alerts = Array.from({ length: 30 }, (_, i) => detector.observe(failure(T0 + i * 10 * SECOND)));
  const raised = alerts.flat();
  assert.equal(raised.length, 2);
  assert.equal(alerts.findIndex((a) => a.length > 0), 9, 'at the 10th failure');
  const byPrincipal = raised.find((a) => a.principal !== undefined);
  const bySource = raised.find((a) => a.source !== undefined);
  assert.equal(byPrincipal?.principal, 'apikey:k1');
  assert.equal(byPrincipal?.kind, 'auth-failure-burst');
  assert.equal(bySource?.source, '203.0.113.9');
  assert.equal(bySource?.evidence.distinctPrincipals, 1);
  assert.match(bySource.message, /within 5 minutes/);
});

test('failed auth: the window is sliding and strict: 10 failures spread over exactly 5 minutes are not a burst', () => {
  const spread = (gap: number) => {
    const detector = new FailedAuthDetector();
    return Array.from({ length: 10 }, (_, i) => detector.observe(failure(T0 + i * gap, 'apikey:k1', null))).flat().length;
  };
  assert.equal(spread((5 * MINUTE) / 9 - 1), 1);
  assert.equal(spread((5 * MINUTE) / 9), 0);
  // A slow trickle never bursts, however long it lasts.
  const detector = new FailedAuthDetector();
  assert.equal(Array.from({ length: 500 }, (_, i) => detector.observe(failure(T0 + i * MINUTE, 'apikey:k1', null))).flat().length, 0);
});

test('failed auth: one alert per burst, and the key re-arms only after a quiet window', () => {
  const detector = new FailedAuthDetector();
  let t = T0;
  const burst = (n: number, gap: number) => Array.from({ length: n }, () => detector.observe(failure((t += gap), 'apikey:k1', null))).flat().length;
  assert.equal(burst(10, SECOND), 1);
  assert.equal(burst(50, 4 * MINUTE), 0, 'a failure every 4 minutes keeps the burst going');
  t += 5 * MINUTE; // a quiet window
  assert.equal(burst(9, SECOND), 0);
  assert.equal(burst(1, SECOND), 1, 're-armed: the next burst alerts again');
});

test('failed auth: credential stuffing from one address over many principals alerts for the address only', () => {
  const detector = new FailedAuthDetector();
  const raised = Array.from({ length: 60 }, (_, i) => detector.observe(failure(T0 + i * 2 * SECOND, `user-${i % 30}`, '198.51.100.200'))).flat();
  assert.equal(raised.length, 1);
  assert.equal(raised[0]?.source, '198.51.100.200');
  assert.equal(raised[0]?.principal, undefined);
  assert.equal(raised[0]?.evidence.distinctPrincipals, 10);
});

test('failed auth: successes neither count nor end a burst', () => {
  const detector = new FailedAuthDetector();
  const success: AnomalyInput = { ...failure(T0), outcome: 'success' };
  for (let i = 0; i < 30; i++) assert.deepEqual(detector.observe({ ...success, time: T0 + i }), []);
  assert.equal(detector.trackedKeys(), 0);
  for (let i = 0; i < 10; i++) detector.observe(failure(T0 + 100 + i));
  detector.observe({ ...success, time: T0 + 200 });
  assert.equal(detector.isThrottled({ principal: 'apikey:k1' }, T0 + 300), true);
});

test('failed auth: isThrottled and retryAfterMs, per principal, per address, and after the quiet window', () => {
  const detector = new FailedAuthDetector();
  assert.equal(detector.isThrottled({ principal: 'apikey:k1', source: '203.0.113.9' }, T0), false);
  for (let i = 0; i < 10; i++) detector.observe(failure(T0 + i * SECOND));
  const last = T0 + 9 * SECOND;
  const cases: [string, { principal?: string; source?: string }, number, boolean][] = [
    ['the principal in a burst', { principal: 'apikey:k1' }, last + MINUTE, true],
    ['the address in a burst', { source: '203.0.113.9' }, last + MINUTE, true],
    ['another principal from another address', { principal: 'apikey:k2', source: '203.0.113.10' }, last + MINUTE, false],
    ['another principal from the bursting address', { principal: 'apikey:k2', source: '203.0.113.9' }, last + MINUTE, true],
    ['just before the window after the last failure', { principal: 'apikey:k1' }, last + 5 * MINUTE - 1, true],
    ['a window after the last failure', { principal: 'apikey:k1' }, last + 5 * MINUTE, false],
    ['an empty key', {}, last, false],
  ];
  for (const [what, key, time, expected] of cases) assert.equal(detector.isThrottled(key, time), expected, what);
  assert.equal(detector.retryAfterMs({ principal: 'apikey:k1' }, last + MINUTE), 4 * MINUTE);
  assert.equal(detector.retryAfterMs({ principal: 'apikey:k1' }, last + 6 * MINUTE), 0);
});

test('failed auth: below the threshold nothing is throttled', () => {
  const detector = new FailedAuthDetector();
  for (let i = 0; i < 9; i++) detector.observe(failure(T0 + i));
  assert.equal(detector.isThrottled({ principal: 'apikey:k1', source: '203.0.113.9' }, T0 + 10), false);
});

test('failed auth: a failure older than its key’s newest is ignored and counted', () => {
  const detector = new FailedAuthDetector();
  for (let i = 0; i < 9; i++) detector.observe(failure(T0 + 60 * SECOND + i));
  assert.deepEqual(detector.observe(failure(T0)), []);
  assert.equal(detector.stats().outOfOrder, 2, 'once for the principal, once for the address');
});

test('failed auth: threshold and window are configurable', () => {
  const detector = new FailedAuthDetector({ threshold: 3, window: '1m' });
  const raised = [0, 20, 40].flatMap((s) => detector.observe(failure(T0 + s * SECOND, 'apikey:k1', null)));
  assert.equal(raised.length, 1);
  assert.equal(raised[0]?.threshold, 3);
  assert.match(raised[0].message, /within 1 minute$/);
});

test('failed auth: memory stays within maxTrackedPrincipals and maxTrackedSources', () => {
  const detector = new FailedAuthDetector({ maxTrackedPrincipals: 4, maxTrackedSources: 2 });
  for (let i = 0; i < 100; i++) detector.observe(failure(T0 + i, `p${i}`, `10.0.0.${i}`));
  assert.equal(detector.trackedKeys(), 6);
});
