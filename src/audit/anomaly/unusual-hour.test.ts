// The unusual-hour detector: off-pattern hours alert once per cooldown, after the warm-up; neighbours, hour of
// the week, the time zone offset and the decay of old habits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AnomalyInput } from './anomaly-input.ts';
import { UnusualHourDetector } from './unusual-hour.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const MONDAY = Date.parse('2026-01-05T00:00:00Z');

function act(time: number, principal = 'os:alice(1000)'): AnomalyInput {
  return { time, principal, kind: 'access', outcome: 'success', dataset: 'crm/customers', records: 10 };
}

/** Weekdays of `days` from `from`, one act every hour from `start` to `end` (UTC). */
function officeDays(detector: UnusualHourDetector, from: number, days: number, start = 9, end = 17, principal?: string) {
  const alerts = [];
  for (let d = 0; d < days; d++) {
    const weekday = new Date(from + d * DAY).getUTCDay();
    if (weekday === 0 || weekday === 6) continue;
    for (let h = start; h < end; h++) alerts.push(...detector.observe(act(from + d * DAY + h * HOUR + 5 * MINUTE, principal)));
  }
  return alerts;
}

test('unusual hour: after two weeks of office hours, a 03:00 act alerts at once, with the share as score', () => {
  const detector = new UnusualHourDetector();
  assert.deepEqual(officeDays(detector, MONDAY, 14), []);
  const night = MONDAY + 14 * DAY + 3 * HOUR + 7 * MINUTE;
  const alerts = detector.observe(act(night));
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0]?.kind, 'unusual-hour');
  assert.equal(alerts[0]?.time, new Date(night).toISOString());
  assert.equal(alerts[0]?.score, 0);
  assert.equal(alerts[0]?.threshold, 0.02);
  assert.equal(alerts[0]?.evidence.hour, 3);
  assert.match(alerts[0].message, /03:00 UTC/);
});

test('unusual hour: one alert per cooldown, so one night session is one alert; the next night alerts again', () => {
  const detector = new UnusualHourDetector();
  officeDays(detector, MONDAY, 14);
  const night = MONDAY + 14 * DAY + 3 * HOUR;
  const session = Array.from({ length: 12 }, (_, i) => detector.observe(act(night + i * 5 * MINUTE))).flat();
  assert.equal(session.length, 1);
  assert.equal(detector.observe(act(night + DAY)).length, 1);
});

test('unusual hour: an hour next to usual ones is not unusual (neighbourHours), unless neighbours are off', () => {
  for (const [neighbourHours, expected] of [
    [1, 0],
    [0, 1],
  ] as const) {
    const detector = new UnusualHourDetector({ neighbourHours });
    officeDays(detector, MONDAY, 14);
    assert.equal(detector.observe(act(MONDAY + 14 * DAY + 17 * HOUR + 30 * MINUTE)).length, expected, `neighbourHours ${neighbourHours}`);
  }
});

test('unusual hour: no alert before warmupAccesses acts, nor before warmupSpan since the first', () => {
  const cases: [string, number, number][] = [
    ['5 working days: 50 acts, too short a span', 6, 0],
    ['6 working days over 8: both', 8, 1],
  ];
  for (const [what, days, expected] of cases) {
    const detector = new UnusualHourDetector();
    officeDays(detector, MONDAY, days, 8, 18);
    assert.equal(detector.observe(act(MONDAY + days * DAY + 3 * HOUR)).length, expected, what);
  }
  const few = new UnusualHourDetector({ warmupAccesses: 50, warmupSpan: '1s' });
  for (let i = 0; i < 49; i++) few.observe(act(MONDAY + 10 * HOUR + i * MINUTE));
  assert.deepEqual(few.observe(act(MONDAY + DAY + 3 * HOUR)), [], '49 acts');
  assert.equal(few.observe(act(MONDAY + 2 * DAY + 20 * HOUR)).length, 1, '50 acts');
});

test('unusual hour: the first act ever raises nothing', () => {
  assert.deepEqual(new UnusualHourDetector({ warmupAccesses: 1, warmupSpan: '1s' }).observe(act(MONDAY + 3 * HOUR)), []);
});

test('unusual hour: a nightly job is usual at 02:00 and unusual at 14:00', () => {
  const detector = new UnusualHourDetector();
  for (let d = 0; d < 30; d++) for (let i = 0; i < 5; i++) assert.deepEqual(detector.observe(act(MONDAY + d * DAY + 2 * HOUR + i * MINUTE, 'apikey:etl')), []);
  assert.equal(detector.observe(act(MONDAY + 30 * DAY + 14 * HOUR, 'apikey:etl')).length, 1);
});

test('unusual hour: with 168 bins, a Saturday at 10:00 is unusual for a weekday worker; with 24 it is not', () => {
  const saturday = MONDAY + 19 * DAY + 10 * HOUR; // the third Saturday
  for (const [bins, expected] of [
    [24, 0],
    [168, 1],
  ] as const) {
    const detector = new UnusualHourDetector({ bins, minShare: bins === 24 ? 0.02 : 0.002 });
    officeDays(detector, MONDAY, 19);
    assert.equal(detector.observe(act(saturday)).length, expected, `${bins} bins`);
  }
});

test('unusual hour: bins count local time with utcOffsetMinutes, Monday 00:00 first', () => {
  const cases: [number, 24 | 168, string, number][] = [
    [0, 24, '2026-01-05T03:30:00Z', 3],
    [120, 24, '2026-01-05T22:30:00Z', 0],
    [-300, 24, '2026-01-05T03:30:00Z', 22],
    [0, 168, '2026-01-05T00:00:00Z', 0],
    [0, 168, '2026-01-11T23:59:59Z', 167],
    [120, 168, '2026-01-05T22:30:00Z', 24],
    [-60, 168, '2026-01-05T00:30:00Z', 167],
    [0, 168, '1969-12-29T01:00:00Z', 1],
  ];
  for (const [utcOffsetMinutes, bins, time, expected] of cases) {
    assert.equal(new UnusualHourDetector({ utcOffsetMinutes, bins }).binOf(Date.parse(time)), expected, `${time} at ${utcOffsetMinutes} min, ${bins} bins`);
  }
  const tokyo = new UnusualHourDetector({ utcOffsetMinutes: 540 });
  officeDays(tokyo, MONDAY, 14, 0, 8); // 09:00 to 17:00 in Tokyo
  const alerts = tokyo.observe(act(MONDAY + 14 * DAY + 18 * HOUR)); // 03:00 in Tokyo
  assert.equal(alerts[0]?.evidence.hour, 3);
  assert.match(alerts[0].message, /03:00 local time/);
});

test('unusual hour: old habits fade (halfLife), so a lasting move to night shifts stops alerting', () => {
  const detector = new UnusualHourDetector({ halfLife: '7d' });
  officeDays(detector, MONDAY, 28);
  const nights = [];
  for (let d = 28; d < 70; d++) nights.push(detector.observe(act(MONDAY + d * DAY + 2 * HOUR)).length);
  assert.equal(nights[0], 1);
  const lastAlert = nights.lastIndexOf(1);
  assert.ok(lastAlert >= 0 && lastAlert < 14, `the last night alert came ${lastAlert} nights in`);
});

test('unusual hour: failed and refused acts do not teach the pattern or alert', () => {
  const detector = new UnusualHourDetector();
  officeDays(detector, MONDAY, 14);
  assert.deepEqual(detector.observe({ ...act(MONDAY + 14 * DAY + 3 * HOUR), outcome: 'failure', kind: 'auth' }), []);
  assert.deepEqual(detector.observe({ ...act(MONDAY + 14 * DAY + 3 * HOUR + 1), outcome: 'denied' }), []);
});

test('unusual hour: an act older than the principal’s newest is ignored and counted', () => {
  const detector = new UnusualHourDetector();
  officeDays(detector, MONDAY, 14);
  assert.deepEqual(detector.observe(act(MONDAY + 3 * HOUR)), []);
  assert.equal(detector.stats().outOfOrder, 1);
});

test('unusual hour: years between acts rescale the weights without overflow, and very large times work', () => {
  const detector = new UnusualHourDetector({ halfLife: '1h', warmupAccesses: 2, warmupSpan: '1s' });
  const times = [0, 1, 2, 3].map((y) => 8.6e15 - (3 - y) * 365 * DAY + 10 * HOUR);
  for (const t of times) assert.deepEqual(detector.observe(act(t)), []);
  const alerts = detector.observe(act(times[3]! + 12 * HOUR));
  assert.equal(alerts.length, 1);
  assert.ok(Number.isFinite(alerts[0]?.score));
});

test('unusual hour: memory stays within maxTrackedPrincipals', () => {
  const detector = new UnusualHourDetector({ maxTrackedPrincipals: 5 });
  for (let i = 0; i < 50; i++) detector.observe(act(MONDAY + i, `p${i}`));
  assert.equal(detector.trackedKeys(), 5);
});
