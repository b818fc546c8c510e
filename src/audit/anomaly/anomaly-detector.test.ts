// The composite detector, its settings, the mapping from audit events, and what every detector must do with
// odd input: first events, clocks going backwards, malformed times, huge numbers, arbitrary streams.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { z } from 'zod';
import type { AuditEvent } from '../audit-event.ts';
import { alertAuditEvent } from './alert-audit-event.ts';
import { AnomalyDetector } from './anomaly-detector.ts';
import { parseAuditTime, toAnomalyInput, type AnomalyInput } from './anomaly-input.ts';
import { anomalyConfigSchema, parseAnomalyConfig } from './config.ts';
import type { Detector } from './detector.ts';
import { FailedAuthDetector } from './failed-auth.ts';
import { NewDatasetsDetector } from './new-datasets.ts';
import { UnusualHourDetector } from './unusual-hour.ts';
import { VolumeDetector } from './volume.ts';

const T0 = Date.parse('2026-01-05T09:00:00Z');

const isCode = (code: string) => (error: unknown) => (error as { code?: string }).code === code;

test('settings: the defaults, in one place', () => {
  assert.deepEqual(parseAnomalyConfig(), {
    volume: { enabled: true, bucket: '1h', alpha: 0.02, zThreshold: 4, minRatio: 3, warmupBuckets: 24, minVolume: 100, maxTrackedPrincipals: 10_000 },
    failedAuth: { enabled: true, threshold: 10, window: '5m', maxTrackedPrincipals: 10_000, maxTrackedSources: 10_000 },
    unusualHour: { enabled: true, bins: 24, utcOffsetMinutes: 0, minShare: 0.02, neighbourHours: 1, halfLife: '14d', warmupAccesses: 50, warmupSpan: '7d', cooldown: '1h', maxTrackedPrincipals: 10_000 },
    newDatasets: { enabled: true, threshold: 10, window: '1d', warmup: '7d', maxDatasetsPerPrincipal: 512, maxTrackedPrincipals: 10_000 },
  });
});

test('settings: every problem is reported at once, each with its path, as SLUICE_SETTINGS_INVALID', () => {
  assert.throws(
    () => parseAnomalyConfig({ volume: { zThreshold: 0 }, failedAuth: { window: 'soon', treshold: 5 }, unusualHour: { bins: 12 }, extra: true }),
    (error: Error & { code?: string; details?: readonly string[] }) => {
      assert.equal(error.code, 'SLUICE_SETTINGS_INVALID');
      const expected = ['anomaly.volume.zThreshold:', 'anomaly.failedAuth.window:', 'anomaly.failedAuth: unknown key treshold', 'anomaly.unusualHour.bins:', 'anomaly: unknown key extra'];
      for (const prefix of expected) assert.ok(error.details!.some((d) => d.startsWith(prefix)), `${prefix} in ${error.details!.join('; ')}`);
      return true;
    },
  );
});

test('settings: a JSON Schema for editors derives from the same declaration, with the defaults', () => {
  const schema = z.toJSONSchema(anomalyConfigSchema, { io: 'input' }) as { properties: Record<string, { properties: Record<string, { default?: unknown }> }> };
  assert.equal(schema.properties.volume?.properties.zThreshold?.default, 4);
  assert.equal(schema.properties.failedAuth?.properties.window?.default, '5m');
});

test('settings: a disabled detector sees nothing', () => {
  const detector = new AnomalyDetector({ failedAuth: { enabled: false } });
  for (let i = 0; i < 20; i++) assert.deepEqual(detector.observeInput({ time: T0 + i, principal: 'p', kind: 'auth', outcome: 'failure', source: 's' }), []);
  assert.equal(detector.trackedKeys(), 0);
});

function auditEvent(action: string, extra: Partial<AuditEvent> = {}): AuditEvent {
  return { time: '2026-01-05T09:00:00Z', actor: { principal: 'oidc:issuer#carol', method: 'oidc' }, action: action as AuditEvent['action'], resource: 'dataset:crm/customers', outcome: 'success', source: '198.51.100.7', ...extra };
}

test('audit events map to detector inputs: authentication, data access, the rest, and alerts skipped', () => {
  const base = { time: T0, principal: 'oidc:issuer#carol', source: '198.51.100.7' };
  const cases: [string, AuditEvent, AnomalyInput | undefined][] = [
    ['auth.success', auditEvent('auth.success'), { ...base, kind: 'auth', outcome: 'success' }],
    ['auth.failure whatever its outcome', auditEvent('auth.failure', { outcome: 'success' }), { ...base, kind: 'auth', outcome: 'failure' }],
    ['data.read with details', auditEvent('data.read', { details: { records: 120, dataset: 'crm/customers', objects: 2 } }), { ...base, kind: 'access', outcome: 'success', dataset: 'crm/customers', records: 120 }],
    ['data.read without a dataset: the resource', auditEvent('data.read'), { ...base, kind: 'access', outcome: 'success', dataset: 'dataset:crm/customers' }],
    ['data.detokenize: details.count', auditEvent('data.detokenize', { details: { count: 7, domain: 'email' } }), { ...base, kind: 'access', outcome: 'success', dataset: 'dataset:crm/customers', records: 7 }],
    ['a count that is not a number is no count', auditEvent('data.read', { details: { records: '12' } }), { ...base, kind: 'access', outcome: 'success', dataset: 'dataset:crm/customers' }],
    ['secret.read is an access to the secret', auditEvent('secret.read', { resource: 'secret:crm/api-token', outcome: 'denied' }), { ...base, kind: 'access', outcome: 'denied', dataset: 'secret:crm/api-token' }],
    ['run.start is something else', auditEvent('run.start'), { ...base, kind: 'other', outcome: 'success' }],
    ['audit.alert is skipped', auditEvent('audit.alert'), undefined],
  ];
  for (const [what, event, expected] of cases) assert.deepEqual(toAnomalyInput(event), expected, what);
});

test('audit times: ISO 8601 with a zone is read; anything else is SLUICE_INPUT_MALFORMED', () => {
  const good: [string, number][] = [
    ['2026-01-05T09:00:00Z', T0],
    ['2026-01-05T09:00:00.123Z', T0 + 123],
    ['2026-01-05T11:00:00+02:00', T0],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
  ];
  for (const [text, ms] of good) assert.equal(parseAuditTime(text), ms, text);
  const bad = ['', 'yesterday', '2026-01-05', '2026-01-05 09:00:00Z', '2026-01-05T09:00:00', '2026-02-30T00:00:00Z', '2025-02-29T00:00:00Z', '2026-01-05T24:00:00Z', '2026-13-01T00:00:00Z', '2026-01-05T09:00:00+25:00', '+275760-09-13T00:00:00Z'];
  for (const text of bad) assert.throws(() => parseAuditTime(text), isCode('SLUICE_INPUT_MALFORMED'), text);
  assert.throws(() => new AnomalyDetector().observe(auditEvent('data.read', { time: 'not a time' })), isCode('SLUICE_INPUT_MALFORMED'));
});

const DETECTORS: [string, () => Detector][] = [
  ['volume', () => new VolumeDetector({ warmupBuckets: 1, minVolume: 0 })],
  ['failed auth', () => new FailedAuthDetector({ threshold: 2 })],
  ['unusual hour', () => new UnusualHourDetector({ warmupAccesses: 1, warmupSpan: '1s' })],
  ['new datasets', () => new NewDatasetsDetector({ warmup: '1s', threshold: 2 })],
];

/** An input every detector looks at: an access, or an authentication failure for the failed-auth one. */
function relevant(name: string, time: number, extra: Partial<AnomalyInput> = {}): AnomalyInput {
  const auth = name === 'failed auth';
  return { time, principal: 'p', kind: auth ? 'auth' : 'access', outcome: auth ? 'failure' : 'success', source: '192.0.2.1', dataset: `d-${time}`, records: 1, ...extra };
}

test('every detector: the first event ever raises nothing', () => {
  for (const [name, make] of DETECTORS) assert.deepEqual(make().observe(relevant(name, T0, { records: 1e12 })), [], name);
});

test('every detector: a clock going backwards is ignored (no alert, no crash, counted)', () => {
  for (const [name, make] of DETECTORS) {
    const detector = make();
    detector.observe(relevant(name, T0));
    for (const back of [T0 - 1, T0 - 86_400_000, 0, -8.64e15]) assert.deepEqual(detector.observe(relevant(name, back, { records: 1e12 })), [], `${name} at ${back}`);
    assert.ok(detector.stats().outOfOrder >= 4, name);
  }
});

test('every detector: a malformed time or count is SLUICE_INPUT_MALFORMED, not a silent NaN', () => {
  const bad: [string, Partial<AnomalyInput>][] = [
    ['NaN time', { time: Number.NaN }],
    ['infinite time', { time: Number.POSITIVE_INFINITY }],
    ['time past the Date range', { time: 1e20 }],
    ['time as a string', { time: '2026-01-05T09:00:00Z' as unknown as number }],
    ['negative count', { records: -1 }],
    ['NaN count', { records: Number.NaN }],
  ];
  for (const [name, make] of DETECTORS) {
    for (const [what, patch] of bad) assert.throws(() => make().observe({ ...relevant(name, T0), ...patch }), isCode('SLUICE_INPUT_MALFORMED'), `${name}: ${what}`);
  }
});

test('every detector: huge numbers (counts, times at the edge of the Date range) give finite scores', () => {
  for (const [name, make] of DETECTORS) {
    const detector = make();
    const edge = 8.64e15 - 86_400_000;
    const times = [0, 1000, 2000, 3000, 12 * 3_600_000].map((t) => edge + t);
    const alerts = times.flatMap((time, i) => detector.observe(relevant(name, time, { records: i === 4 ? Number.MAX_VALUE : 1 })));
    assert.ok(alerts.length > 0, `${name} raised an alert at the edge`);
    for (const alert of alerts) {
      assert.ok(Number.isFinite(alert.score), `${name}: ${alert.score}`);
      assert.ok(Object.values(alert.evidence).every(Number.isFinite), name);
      assert.doesNotThrow(() => new Date(alert.time).toISOString());
    }
  }
});

test('the composite: audit events in, alerts from every detector out, throttling for the server', () => {
  const detector = new AnomalyDetector();
  const alerts = [];
  for (let i = 0; i < 12; i++) {
    alerts.push(...detector.observe(auditEvent('auth.failure', { time: new Date(T0 + i * 1000).toISOString(), actor: { principal: `apikey:k${i}`, method: 'api-key' }, source: '203.0.113.50', reason: 'SLUICE_AUTH_INVALID' })));
  }
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0]?.source, '203.0.113.50');
  assert.equal(detector.isThrottled({ source: '203.0.113.50' }, T0 + 60_000), true);
  assert.equal(detector.retryAfterMs({ source: '203.0.113.50' }, T0 + 11_000 + 60_000), 240_000);
  assert.equal(detector.isThrottled({ principal: 'apikey:k1' }, T0 + 60_000), false);
  assert.deepEqual(Object.keys(detector.stats()), ['volume-spike', 'auth-failure-burst', 'unusual-hour', 'new-datasets']);
  assert.equal(detector.stats()['auth-failure-burst'].observed, 12);
});

test('alerts and their audit events hold names and counts, never values from the events', () => {
  const planted = 'tok_live_5f3a9c2e7b1d4f6a8c0e';
  const detector = new AnomalyDetector({ newDatasets: { warmup: '1s', threshold: 2 }, failedAuth: { threshold: 2 } });
  const raised = [];
  for (let i = 0; i < 5; i++) {
    const time = new Date(T0 + i * 2000).toISOString();
    raised.push(...detector.observe(auditEvent('data.read', { time, resource: `dataset:t${i}`, reason: planted, requestId: planted, details: { records: 3, note: planted, dataset: `t${i}` } })));
    raised.push(...detector.observe(auditEvent('auth.failure', { time, reason: planted, details: { credential: planted } })));
  }
  assert.ok(raised.some((a) => a.kind === 'new-datasets') && raised.some((a) => a.kind === 'auth-failure-burst'));
  const actor = { principal: 'os:sluice(900)', method: 'os-user' } as const;
  for (const alert of raised) {
    const event = alertAuditEvent(alert, actor);
    assert.equal(event.action, 'audit.alert');
    assert.equal(event.details?.kind, alert.kind);
    assert.ok(!JSON.stringify([alert, event]).includes(planted));
  }
  const sweep = raised.find((a) => a.kind === 'new-datasets')!;
  assert.equal(alertAuditEvent(sweep, actor).resource, 'principal:oidc:issuer#carol');
  // t0 was the first touch (the warm-up); t1 and t2 were new.
  assert.equal(alertAuditEvent(sweep, actor).details?.datasets, 't1, t2');
});

const inputArbitrary = fc.record(
  {
    time: fc.integer({ min: T0 - 86_400_000 * 30, max: T0 + 86_400_000 * 400 }),
    principal: fc.oneof(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g'), fc.string({ maxLength: 12 })),
    kind: fc.constantFrom('auth', 'access', 'other'),
    outcome: fc.constantFrom('success', 'failure', 'denied'),
    source: fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3', '2001:db8::1', '10.0.0.5'),
    dataset: fc.oneof(fc.constantFrom('d1', 'd2', 'd3'), fc.string({ maxLength: 8 })),
    records: fc.oneof(fc.nat(1000), fc.double({ min: 0, max: Number.MAX_VALUE, noNaN: true }), fc.constant(Number.MAX_SAFE_INTEGER)),
  },
  { requiredKeys: ['time', 'principal', 'kind', 'outcome'] },
) as fc.Arbitrary<AnomalyInput>;

test('property: observe never throws on well-formed events, in or out of order, and memory stays within the caps', () => {
  const caps = { maxTrackedPrincipals: 3 };
  fc.assert(
    fc.property(fc.array(inputArbitrary, { maxLength: 300 }), fc.boolean(), (inputs, sorted) => {
      const detector = new AnomalyDetector({
        volume: { ...caps, warmupBuckets: 2, minVolume: 0 },
        failedAuth: { ...caps, maxTrackedSources: 2, threshold: 3 },
        unusualHour: { ...caps, warmupAccesses: 3, warmupSpan: '1s' },
        newDatasets: { ...caps, maxDatasetsPerPrincipal: 4, warmup: '1s', threshold: 2 },
      });
      const stream = sorted ? [...inputs].sort((a, b) => a.time - b.time) : inputs;
      for (const input of stream) {
        for (const alert of detector.observeInput(input)) {
          if (!Number.isFinite(alert.score) || !Object.values(alert.evidence).every(Number.isFinite)) return false;
          if (Number.isNaN(Date.parse(alert.time))) return false;
        }
        if (detector.trackedKeys() > detector.maxTrackedKeys()) return false;
        if (detector.newDatasets.trackedDatasets() > 3 * 4) return false;
      }
      return detector.trackedKeys() <= 3 + 3 + 2 + 3 + 3;
    }),
    { seed: 20260105, numRuns: 300 },
  );
});

test('property: the same events give the same alerts (time comes from the events only)', () => {
  fc.assert(
    fc.property(fc.array(inputArbitrary, { maxLength: 200 }), (inputs) => {
      const run = () => {
        const detector = new AnomalyDetector({ volume: { warmupBuckets: 2, minVolume: 0 }, failedAuth: { threshold: 3 }, unusualHour: { warmupAccesses: 3, warmupSpan: '1s' }, newDatasets: { warmup: '1s', threshold: 2 } });
        return inputs.flatMap((i) => detector.observeInput(i));
      };
      assert.deepEqual(run(), run());
    }),
    { seed: 7, numRuns: 100 },
  );
});
