// The volume detector: a spike alerts in its own bucket, once; warm-up, minVolume and minRatio hold it back;
// the baseline is Welford's and then an EWMA of √counts over active buckets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seeded } from '../../seeded-random.ts';
import type { AnomalyInput } from './anomaly-input.ts';
import { VolumeDetector } from './volume.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-01-05T00:00:00Z');

function read(time: number, records: number, principal = 'oidc:issuer#alice'): AnomalyInput {
  return { time, principal, kind: 'access', outcome: 'success', dataset: 'crm/customers', records };
}

/** `days` working days of 8 hours, one read per hour of about `mean` records (±30 %). */
function workdays(days: number, mean: number, seed = 1, principal?: string): AnomalyInput[] {
  const random = seeded(seed);
  const out: AnomalyInput[] = [];
  for (let d = 0; d < days; d++) for (let h = 9; h < 17; h++) out.push(read(T0 + d * DAY + h * HOUR + 60_000, Math.round(mean * (0.7 + 0.6 * random())), principal));
  return out;
}

function feed(detector: VolumeDetector, inputs: AnomalyInput[]) {
  return inputs.flatMap((i) => detector.observe(i));
}

test('volume: a ×20 hour after a steady month alerts in its own bucket, once, then the next hour is quiet', () => {
  const detector = new VolumeDetector();
  assert.deepEqual(feed(detector, workdays(30, 200)), []);
  const spikeHour = T0 + 30 * DAY + 10 * HOUR;
  const spike = Array.from({ length: 20 }, (_, i) => read(spikeHour + i * 60_000, 200));
  const alerts = feed(detector, spike);
  assert.equal(alerts.length, 1);
  const [alert] = alerts;
  assert.equal(alert?.kind, 'volume-spike');
  assert.equal(alert?.principal, 'oidc:issuer#alice');
  assert.ok(Date.parse(alert.time) >= spikeHour && Date.parse(alert.time) < spikeHour + HOUR, 'in the spike bucket');
  assert.ok(alert.score > 4 && alert.threshold === 4);
  assert.ok(alert.evidence.records! >= 3 * alert.evidence.usualRecords!);
  assert.deepEqual(feed(detector, [read(spikeHour + HOUR + 60_000, 200)]), []);
});

test('volume: the alert fires as the bucket grows, at the read that crosses the threshold', () => {
  const detector = new VolumeDetector();
  feed(detector, workdays(30, 200));
  const spikeHour = T0 + 30 * DAY + 10 * HOUR;
  const reads = Array.from({ length: 30 }, (_, i) => read(spikeHour + i * 60_000, 200));
  const index = reads.findIndex((r) => detector.observe(r).length > 0);
  // The usual hour is ~200 records with a ±30 % spread: the crossing comes within the first few thousand records.
  assert.ok(index >= 2 && index < 15, `crossed at read ${index}`);
});

test('volume: no alert during the warm-up (warmupBuckets active buckets), an alert right after it', () => {
  for (const [warmup, expected] of [
    [25, 0],
    [24, 1],
  ] as const) {
    const detector = new VolumeDetector({ warmupBuckets: warmup });
    feed(detector, workdays(3, 200)); // 24 active buckets
    const alerts = feed(detector, [read(T0 + 3 * DAY + 9 * HOUR, 20_000)]);
    assert.equal(alerts.length, expected, `warmupBuckets ${warmup}`);
  }
});

test('volume: a first event ever, and a first bucket, raise nothing', () => {
  const detector = new VolumeDetector({ warmupBuckets: 1 });
  assert.deepEqual(detector.observe(read(T0, 1e9)), []);
  assert.equal(detector.baseline('oidc:issuer#alice')?.buckets, 0);
});

test('volume: minVolume keeps a tiny baseline from alerting on noise', () => {
  for (const [minVolume, expected] of [
    [100, 0],
    [10, 1],
  ] as const) {
    const detector = new VolumeDetector({ minVolume });
    feed(detector, workdays(10, 1));
    assert.equal(feed(detector, [read(T0 + 10 * DAY + 9 * HOUR, 60)]).length, expected, `minVolume ${minVolume}`);
  }
});

test('volume: minRatio keeps a very steady job from alerting on a modest rise', () => {
  const detector = new VolumeDetector();
  const nightly = (day: number, records: number) => read(T0 + day * DAY + 2 * HOUR, records, 'apikey:etl');
  for (let day = 0; day < 40; day++) assert.deepEqual(detector.observe(nightly(day, 10_000)), []);
  // z = (√12000 − 100) / 0.5 ≈ 19, but 1.2 times the usual volume is not "far above" it.
  assert.deepEqual(detector.observe(nightly(40, 12_000)), []);
  const alerts = detector.observe(nightly(41, 40_000));
  assert.equal(alerts.length, 1);
  // The 12,000 night moved the baseline a little (α = 0.02 on the √ scale).
  assert.ok(Math.abs(alerts[0]!.evidence.usualRecords! - 10_000) < 100);
});

test('volume: the baseline is Welford while 1/n > α (equal weights), then an EWMA', () => {
  const values = [4, 9, 16, 25, 100, 1, 0, 49];
  const detector = new VolumeDetector({ alpha: 0.01 });
  values.forEach((x, i) => detector.observe(read(T0 + i * HOUR, x)));
  detector.observe(read(T0 + values.length * HOUR, 1)); // closes the last value's bucket
  const roots = values.map(Math.sqrt);
  const mean = roots.reduce((a, b) => a + b, 0) / roots.length;
  const variance = roots.reduce((a, b) => a + (b - mean) ** 2, 0) / roots.length;
  const baseline = detector.baseline('oidc:issuer#alice')!;
  assert.equal(baseline.buckets, values.length);
  assert.ok(Math.abs(Math.sqrt(baseline.usual) - mean) < 1e-12);
  assert.ok(Math.abs(baseline.sqrtStdDev - Math.sqrt(variance)) < 1e-12);

  // EWMA phase: after many constant buckets the old values have faded (weight (1 − α)^k).
  const ewma = new VolumeDetector({ alpha: 0.2 });
  for (let i = 0; i < 200; i++) ewma.observe(read(T0 + i * HOUR, i < 100 ? 10_000 : 400));
  assert.ok(Math.abs(ewma.baseline('oidc:issuer#alice')!.usual - 400) < 1e-6);
});

test('volume: a spike enters the baseline capped, so the same spike the next day alerts again', () => {
  const detector = new VolumeDetector();
  feed(detector, workdays(30, 200));
  const before = detector.baseline('oidc:issuer#alice')!.usual;
  assert.equal(feed(detector, [read(T0 + 30 * DAY + 10 * HOUR, 1_000_000)]).length, 1);
  feed(detector, [read(T0 + 30 * DAY + 11 * HOUR, 200)]);
  const after = detector.baseline('oidc:issuer#alice')!.usual;
  assert.ok(after < before * 1.2, `usual ${before} → ${after}`);
  assert.equal(feed(detector, [read(T0 + 31 * DAY + 10 * HOUR, 1_000_000)]).length, 1);
});

test('volume: only successful reads count; authentication and refused reads do not', () => {
  const detector = new VolumeDetector({ warmupBuckets: 1 });
  feed(detector, workdays(5, 200));
  const t = T0 + 5 * DAY + 9 * HOUR;
  assert.deepEqual(detector.observe({ ...read(t, 1e6), outcome: 'denied' }), []);
  assert.deepEqual(detector.observe({ ...read(t, 1e6), kind: 'auth' }), []);
  assert.deepEqual(detector.observe({ ...read(t, 1e6), kind: 'other' }), []);
  assert.equal(detector.observe(read(t, 1e6)).length, 1);
});

test('volume: a read older than the principal’s newest is ignored, counted, and does not throw', () => {
  const detector = new VolumeDetector();
  feed(detector, workdays(30, 200));
  const before = detector.baseline('oidc:issuer#alice');
  assert.deepEqual(detector.observe(read(T0 + 2 * DAY, 1e9)), []);
  assert.deepEqual(detector.baseline('oidc:issuer#alice'), before);
  assert.equal(detector.stats().outOfOrder, 1);
});

test('volume: memory stays within maxTrackedPrincipals, the least recently seen forgotten', () => {
  const detector = new VolumeDetector({ maxTrackedPrincipals: 3 });
  for (let i = 0; i < 10; i++) detector.observe(read(T0 + i, 1, `p${i}`));
  assert.equal(detector.trackedKeys(), 3);
  assert.equal(detector.stats().evicted, 7);
  assert.equal(detector.baseline('p0'), undefined);
  assert.notEqual(detector.baseline('p9'), undefined);
});

test('volume: huge counts saturate instead of overflowing, and the score stays finite', () => {
  const detector = new VolumeDetector();
  feed(detector, workdays(30, 200));
  const t = T0 + 30 * DAY + 10 * HOUR;
  const alerts = feed(detector, [read(t, Number.MAX_VALUE), read(t + 1, Number.MAX_VALUE), read(t + 2, 1e308)]);
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0]?.evidence.records, Number.MAX_SAFE_INTEGER);
  assert.ok(Number.isFinite(alerts[0]?.score));
  feed(detector, [read(t + HOUR, 200)]);
  assert.ok(Number.isFinite(detector.baseline('oidc:issuer#alice')!.usual));
});

test('volume: invalid settings are refused with every path', () => {
  assert.throws(
    () => new VolumeDetector({ zThreshold: -1, bucket: '1 hour', extra: 1 } as never),
    (error: Error & { code?: string; details?: string[] }) =>
      error.code === 'SLUICE_SETTINGS_INVALID' && ['volume.zThreshold', 'volume.bucket', 'volume: unknown key extra'].every((p) => error.details!.some((d) => d.startsWith(p))),
  );
});
