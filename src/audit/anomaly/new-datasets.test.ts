// The new-datasets detector: a sweep over datasets never touched before alerts once, after the warm-up; known
// datasets never count; memory is bounded per principal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AnomalyInput } from './anomaly-input.ts';
import { NewDatasetsDetector } from './new-datasets.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-01-05T09:00:00Z');
const USUAL = ['crm/customers', 'crm/orders', 'billing/invoices'];

function touch(time: number, dataset: string, principal = 'oidc:issuer#bob', outcome: AnomalyInput['outcome'] = 'success'): AnomalyInput {
  return { time, principal, kind: 'access', outcome, dataset, records: 5 };
}

/** Two weeks of the usual datasets, a touch an hour on weekdays' working hours. */
function habits(detector: NewDatasetsDetector, principal?: string) {
  const alerts = [];
  for (let d = 0; d < 14; d++) for (let h = 0; h < 8; h++) alerts.push(...detector.observe(touch(T0 + d * DAY + h * HOUR, USUAL[h % USUAL.length]!, principal)));
  return alerts;
}

function sweep(detector: NewDatasetsDetector, from: number, count: number, stepMs: number, outcome: AnomalyInput['outcome'] = 'success') {
  return Array.from({ length: count }, (_, i) => detector.observe(touch(from + i * stepMs, `warehouse/t${String(i).padStart(2, '0')}`, undefined, outcome)));
}

test('new datasets: a sweep over 20 never-touched datasets alerts once, at the 10th, naming them', () => {
  const detector = new NewDatasetsDetector();
  assert.deepEqual(habits(detector), []);
  const results = sweep(detector, T0 + 14 * DAY, 20, 30_000);
  assert.equal(results.flat().length, 1);
  assert.equal(results.findIndex((a) => a.length > 0), 9);
  const alert = results[9]![0]!;
  assert.equal(alert.kind, 'new-datasets');
  assert.equal(alert.principal, 'oidc:issuer#bob');
  assert.equal(alert.score, 10);
  assert.deepEqual(alert.datasets, Array.from({ length: 10 }, (_, i) => `warehouse/t${String(i).padStart(2, '0')}`));
  assert.equal(alert.evidence.knownDatasets, USUAL.length + 10);
  assert.match(alert.message, /within 1 day/);
});

test('new datasets: during the warm-up everything is new, so nothing alerts, and what was touched is learnt', () => {
  const detector = new NewDatasetsDetector();
  assert.deepEqual(sweep(detector, T0, 20, MINUTE).flat(), []);
  assert.deepEqual(sweep(detector, T0 + 8 * DAY, 20, MINUTE).flat(), [], 'the same 20 after the warm-up are known');
});

test('new datasets: known datasets never count, however many times they are touched', () => {
  const detector = new NewDatasetsDetector();
  habits(detector);
  for (let i = 0; i < 500; i++) assert.deepEqual(detector.observe(touch(T0 + 14 * DAY + i * 1000, USUAL[i % USUAL.length]!)), []);
});

test('new datasets: ten new datasets spread over more than the window are exploration, not a sweep', () => {
  const detector = new NewDatasetsDetector();
  habits(detector);
  assert.deepEqual(sweep(detector, T0 + 14 * DAY, 10, DAY / 9).flat(), []);
});

test('new datasets: one alert per sweep; the principal re-arms after a window with no new dataset', () => {
  const detector = new NewDatasetsDetector({ threshold: 3, window: '1h' });
  habits(detector);
  const at = T0 + 14 * DAY;
  const names = (from: number, prefix: string, n: number) => Array.from({ length: n }, (_, i) => detector.observe(touch(from + i * MINUTE, `${prefix}/${i}`)).length);
  assert.deepEqual(names(at, 'a', 6), [0, 0, 1, 0, 0, 0]);
  assert.deepEqual(names(at + 30 * MINUTE, 'b', 3), [0, 0, 0], 'still the same sweep');
  assert.deepEqual(names(at + 3 * HOUR, 'c', 3), [0, 0, 1], 'a new sweep after a quiet hour');
});

test('new datasets: refused reads count (a sweep of denials is still a sweep)', () => {
  const detector = new NewDatasetsDetector();
  habits(detector);
  assert.equal(sweep(detector, T0 + 14 * DAY, 10, MINUTE, 'denied').flat().length, 1);
});

test('new datasets: acts without a dataset, and authentication, are ignored', () => {
  const detector = new NewDatasetsDetector();
  assert.deepEqual(detector.observe({ time: T0, principal: 'p', kind: 'access', outcome: 'success' }), []);
  assert.deepEqual(detector.observe({ time: T0, principal: 'p', kind: 'auth', outcome: 'success', dataset: 'x' }), []);
  assert.equal(detector.trackedKeys(), 0);
});

test('new datasets: a touch older than the principal’s newest is ignored and counted', () => {
  const detector = new NewDatasetsDetector();
  habits(detector);
  assert.deepEqual(detector.observe(touch(T0, 'warehouse/late')), []);
  assert.equal(detector.stats().outOfOrder, 1);
  assert.equal(detector.trackedDatasets(), USUAL.length);
});

test('new datasets: memory is bounded per principal (least recently touched forgotten) and in principals', () => {
  const detector = new NewDatasetsDetector({ maxDatasetsPerPrincipal: 4, maxTrackedPrincipals: 3, threshold: 2 });
  habits(detector); // 3 usual datasets
  const at = T0 + 14 * DAY;
  detector.observe(touch(at, 'x/1'));
  detector.observe(touch(at + 1, 'crm/orders')); // keeps crm/orders fresh
  detector.observe(touch(at + DAY * 2, 'x/2')); // forgets the least recently touched: crm/customers or billing
  assert.ok(detector.trackedDatasets() <= 4);
  // A forgotten dataset counts as new again: with x/2 that makes two within the window.
  const forgotten = ['crm/customers', 'billing/invoices'].map((d) => detector.observe(touch(at + DAY * 2 + 1, d)).length);
  assert.ok(forgotten.includes(1));
  for (let i = 0; i < 20; i++) detector.observe(touch(at + DAY * 3 + i, `d/${i}`, `p${i}`));
  assert.equal(detector.trackedKeys(), 3);
  assert.ok(detector.trackedDatasets() <= 3 * 4);
});
