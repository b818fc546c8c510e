// The synthetic history: repeatable, normal-looking, quiet under the default thresholds (the false-positive rate
// is measured and bounded), and each injected attack is caught by its detector in the expected bucket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnomalyDetector } from './anomaly-detector.ts';
import type { Alert, Detector } from './detector.ts';
import { FailedAuthDetector } from './failed-auth.ts';
import { falsePositiveRate } from './false-positive-rate.ts';
import { NewDatasetsDetector } from './new-datasets.ts';
import { generateNormalHistory, injectCredentialStuffing, injectDatasetSweep, injectOffHoursAccess, injectVolumeSpike, type Injected, type Injection, type SyntheticHistory } from './synthetic-history.ts';
import { UnusualHourDetector } from './unusual-hour.ts';
import { VolumeDetector } from './volume.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The bound the tests hold the defaults to: fewer than 1 false alert per 10,000 principal-hours. */
const FALSE_ALERTS_PER_10K_PRINCIPAL_HOURS = 1;

const history = generateNormalHistory({ seed: 1, principals: 100, days: 28 });

test('synthetic history: the same seed gives the same events, another seed others', () => {
  const again = generateNormalHistory({ seed: 1, principals: 100, days: 28 });
  assert.equal(again.events.length, history.events.length);
  assert.deepEqual(again.events.slice(0, 2000), history.events.slice(0, 2000));
  assert.deepEqual(again.events.at(-1), history.events.at(-1));
  assert.notDeepEqual(generateNormalHistory({ seed: 2, principals: 100, days: 28 }).events.slice(0, 100), history.events.slice(0, 100));
});

test('synthetic history: looks normal (sorted, office hours, quiet weekends, nightly jobs, a few mistyped passwords)', () => {
  const { events, profiles } = history;
  assert.ok(events.every((e, i) => i === 0 || events[i - 1]!.time <= e.time), 'sorted by time');
  assert.ok(events.every((e) => e.time >= history.start && e.time < history.start + (history.days + 1) * 86_400_000));
  const people = new Set(profiles.filter((p) => p.role === 'person').map((p) => p.principal));
  const services = profiles.length - people.size;
  assert.ok(services >= 3 && services <= 25, `${services} service accounts`);
  const weekday = (t: number) => (Math.floor(t / 86_400_000) + 3) % 7;
  const personEvents = events.filter((e) => people.has(e.principal));
  const weekend = personEvents.filter((e) => weekday(e.time) >= 5).length;
  assert.ok(weekend / personEvents.length < 0.05, `weekend share ${weekend / personEvents.length}`);
  const hours = personEvents.map((e) => new Date(e.time).getUTCHours());
  assert.ok(hours.every((h) => h >= 5 && h <= 21), 'people act in office hours (5 to 21 UTC)');
  const nightly = events.filter((e) => !people.has(e.principal)).map((e) => new Date(e.time).getUTCHours());
  assert.ok(nightly.every((h) => h <= 6), 'service accounts run at night');
  const failures = events.filter((e) => e.kind === 'auth' && e.outcome === 'failure').length;
  const logins = events.filter((e) => e.kind === 'auth' && e.outcome === 'success').length;
  assert.ok(failures > 0 && failures / logins < 0.1, `${failures} failures for ${logins} logins`);
  assert.ok(events.every((e) => e.kind !== 'access' || (e.records !== undefined && e.records >= 0 && e.dataset !== undefined)));
});

test(`false positives: the defaults raise fewer than ${FALSE_ALERTS_PER_10K_PRINCIPAL_HOURS} alert per 10,000 principal-hours on normal histories`, (t) => {
  for (const seed of [1, 2]) {
    const normal = seed === 1 ? history : generateNormalHistory({ seed, principals: 100, days: 56 });
    const report = falsePositiveRate(normal);
    t.diagnostic(`seed ${seed}, ${normal.profiles.length} principals × ${normal.days} days: ${report.alerts} alerts (${JSON.stringify(report.byKind)}), ${report.perPrincipalDay.toFixed(5)} per principal-day, ${report.perTenThousandPrincipalHours.toFixed(3)} per 10,000 principal-hours`);
    assert.ok(report.perTenThousandPrincipalHours < FALSE_ALERTS_PER_10K_PRINCIPAL_HOURS);
    // Only the volume detector has a statistical tail on this history; the others are exact rules it never meets.
    assert.deepEqual({ ...report.byKind, 'volume-spike': 0 }, { 'volume-spike': 0, 'auth-failure-burst': 0, 'unusual-hour': 0, 'new-datasets': 0 });
    assert.equal(report.principalDays, normal.profiles.length * normal.days);
    assert.equal(report.perPrincipalDay, report.alerts / report.principalDays);
  }
});

test('false positives: lower thresholds raise more (the measure is not blind)', () => {
  const strict = falsePositiveRate(history, { volume: { zThreshold: 2 }, unusualHour: { minShare: 0.2, neighbourHours: 0 } });
  assert.ok(strict.byKind['volume-spike'] > 10 && strict.byKind['unusual-hour'] > 10, JSON.stringify(strict.byKind));
});

/** The first alert about the injected principal or address, from `detector` run over the history. */
function firstAlert({ history: h, injection }: Injected, detector: Pick<Detector, 'observe'>): Alert | undefined {
  for (const event of h.events) {
    const alert = detector.observe(event).find((a) => a.kind === injection.kind && (a.principal ?? a.source) === (injection.principal ?? injection.source) && Date.parse(a.time) >= injection.start);
    if (alert) return alert;
  }
  return undefined;
}

function delays(t: { diagnostic(message: string): void }, what: string, values: number[]) {
  t.diagnostic(`${what} detection delay (minutes): ${values.map((v) => (v / MINUTE).toFixed(1)).join(', ')}`);
}

const PEOPLE = [0, 1, 2, 3, 4, 5, 6, 7];

test('injected: a ×20 read in one working hour alerts in that hour, for every person tried', (t) => {
  const found = PEOPLE.map((person) => {
    const injected = injectVolumeSpike(history, { person, day: 22 });
    const alert = firstAlert(injected, new VolumeDetector());
    assert.ok(alert, `person ${person}`);
    const delay = Date.parse(alert.time) - injected.injection.start;
    assert.ok(delay >= 0 && delay < HOUR, `person ${person}: in the spike's bucket (${delay / MINUTE} min)`);
    return delay;
  });
  delays(t, 'volume ×20', found);
});

test('injected: credential stuffing from one address over 30 principals alerts within the window, and throttles it', (t) => {
  const found = [9, 14, 20].map((hour) => {
    const injected = injectCredentialStuffing(history, { hour });
    const detector = new FailedAuthDetector();
    const alert = firstAlert(injected, detector);
    assert.ok(alert);
    const delay = Date.parse(alert.time) - injected.injection.start;
    assert.ok(delay < 5 * MINUTE, `${delay / MINUTE} min`);
    assert.ok(detector.isThrottled({ source: injected.injection.source! }, injected.injection.end));
    return delay;
  });
  delays(t, 'credential stuffing (60 failures over 2 minutes)', found);
});

test('injected: a 03:00 session alerts at its first act, for every person tried', (t) => {
  const found = PEOPLE.map((person) => {
    const injected = injectOffHoursAccess(history, { person });
    const alert = firstAlert(injected, new UnusualHourDetector());
    assert.ok(alert, `person ${person}`);
    return Date.parse(alert.time) - injected.injection.start;
  });
  assert.ok(found.every((d) => d === 0));
  delays(t, 'unusual hour (03:00)', found);
});

test('injected: a sweep over 20 new datasets alerts at the 10th, for every person tried', (t) => {
  const found = PEOPLE.map((person) => {
    const injected = injectDatasetSweep(history, { person });
    const alert = firstAlert(injected, new NewDatasetsDetector());
    assert.ok(alert, `person ${person}`);
    assert.equal(alert.datasets?.length, 10);
    const delay = Date.parse(alert.time) - injected.injection.start;
    assert.equal(delay, 9 * 30_000, 'the 10th of 20 datasets over 10 minutes');
    return delay;
  });
  delays(t, 'dataset sweep (20 in 10 minutes)', found);
});

test('injected: all four attacks in one history, through the composite, each caught by its own detector', () => {
  let h: SyntheticHistory = history;
  const injections: Injection[] = [];
  for (const inject of [injectVolumeSpike, injectCredentialStuffing, injectOffHoursAccess, injectDatasetSweep]) {
    const injected = inject(h, { day: 23 });
    h = injected.history;
    injections.push(injected.injection);
  }
  const detector = new AnomalyDetector();
  const alerts = h.events.flatMap((e) => detector.observeInput(e)).filter((a) => Date.parse(a.time) >= injections[0]!.start - 12 * HOUR);
  for (const injection of injections) {
    assert.ok(
      alerts.some((a) => a.kind === injection.kind && (a.principal ?? a.source) === (injection.principal ?? injection.source) && Date.parse(a.time) >= injection.start && Date.parse(a.time) < injection.start + HOUR),
      injection.kind,
    );
  }
});
