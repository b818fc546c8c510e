// A seeded, normal-looking audit history (people with office hours and weekends, nightly service accounts,
// noisy volumes, the odd mistyped password, stable datasets) and one injector per attack, for the detectors'
// tests and the benchmark's false-positive rate.
import { seeded } from '../../seeded-random.ts';
import { parseAuditTime, type AnomalyInput } from './anomaly-input.ts';
import type { AlertKind } from './detector.ts';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export interface PrincipalProfile {
  principal: string;
  role: 'person' | 'service';
  /** UTC hours of a usual working day (a service account: the hour its nightly job starts, end = start + 1). */
  startHour: number;
  endHour: number;
  source: string;
  datasets: string[];
  /** Mean accesses per working hour and mean records per access. */
  accessesPerHour: number;
  recordsPerAccess: number;
}

export interface SyntheticHistory {
  /** Sorted by time. */
  events: AnomalyInput[];
  profiles: PrincipalProfile[];
  start: number;
  days: number;
}

export interface SyntheticHistoryOptions {
  seed?: number;
  principals?: number;
  days?: number;
  /** ISO 8601, taken back to 00:00 UTC of its day; Monday 2026-01-05 by default. */
  start?: string;
  /** Share of service accounts among principals. */
  serviceShare?: number;
}

/** Random draws from one seeded generator. */
class Draw {
  readonly #next: () => number;
  constructor(seed: number) {
    this.#next = seeded(seed);
  }
  uniform(): number {
    return this.#next();
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.#next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.#next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.#next() * items.length)]!;
  }
  /** Poisson by Knuth's multiplication method (fine for the small means used here). */
  poisson(mean: number): number {
    const limit = Math.exp(-mean);
    let k = 0;
    for (let p = this.#next(); p > limit; p *= this.#next()) k++;
    return k;
  }
  /** exp(N(0, σ²)) scaled to mean 1. */
  lognormal(sigma: number): number {
    const u = Math.max(this.#next(), 1e-12);
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.#next());
    return Math.exp(sigma * z - (sigma * sigma) / 2);
  }
}

const DATASET_POOL = Array.from({ length: 120 }, (_, i) => `warehouse/table-${String(i).padStart(3, '0')}`);

function profileOf(draw: Draw, index: number, serviceShare: number): PrincipalProfile {
  const service = draw.chance(serviceShare);
  const datasets = new Set<string>();
  const wanted = service ? draw.int(2, 4) : draw.int(3, 8);
  while (datasets.size < wanted) datasets.add(draw.pick(DATASET_POOL));
  if (service) {
    const startHour = draw.int(0, 5);
    return { principal: `apikey:svc-${String(index).padStart(3, '0')}`, role: 'service', startHour, endHour: startHour + 1, source: `10.9.0.${index % 250}`, datasets: [...datasets], accessesPerHour: draw.int(10, 30), recordsPerAccess: draw.int(500, 5000) };
  }
  const startHour = draw.int(6, 10);
  return {
    principal: `oidc:https://id.example.com#user-${String(index).padStart(3, '0')}`,
    role: 'person',
    startHour,
    endHour: startHour + draw.int(8, 10),
    source: `198.51.100.${draw.int(1, 40)}`,
    datasets: [...datasets],
    accessesPerHour: 2 + draw.uniform() * 4,
    recordsPerAccess: draw.int(10, 200),
  };
}

function personDay(draw: Draw, p: PrincipalProfile, day: number, out: AnomalyInput[]): void {
  // Day numbers count from 1970-01-01, a Thursday: weekday 0 is Monday.
  const weekday = (day + 3) % 7;
  if (weekday >= 5 ? !draw.chance(0.05) : draw.chance(0.05)) return; // weekends off, and the odd day off
  const from = day * DAY_MS + (p.startHour - (draw.chance(0.2) ? 1 : 0)) * HOUR_MS;
  const to = day * DAY_MS + (p.endHour + (draw.chance(0.15) ? 1 : 0)) * HOUR_MS;
  const base = { principal: p.principal, source: p.source };
  const login = from + draw.int(0, 20) * MINUTE_MS;
  // About one login in thirty follows a mistyped password or two.
  if (draw.chance(0.03)) for (let i = draw.int(1, 2); i > 0; i--) out.push({ ...base, time: login - i * 20_000, kind: 'auth', outcome: 'failure' });
  out.push({ ...base, time: login, kind: 'auth', outcome: 'success' });
  if (draw.chance(0.01)) p.datasets.push(draw.pick(DATASET_POOL)); // now and then, a dataset new to them
  const busy = draw.lognormal(0.3);
  const lunch = from + 4 * HOUR_MS;
  for (let hour = login; hour < to; hour += HOUR_MS) {
    if (hour >= lunch && hour < lunch + HOUR_MS && draw.chance(0.5)) continue;
    for (let i = draw.poisson(p.accessesPerHour * busy); i > 0; i--) {
      const time = hour + Math.floor(draw.uniform() * Math.min(HOUR_MS, to - hour));
      const records = Math.max(1, Math.round(p.recordsPerAccess * draw.lognormal(0.5)));
      out.push({ time, principal: p.principal, kind: 'access', outcome: 'success', source: p.source, dataset: draw.pick(p.datasets), records });
    }
  }
}

function serviceDay(draw: Draw, p: PrincipalProfile, day: number, out: AnomalyInput[]): void {
  const at = day * DAY_MS + p.startHour * HOUR_MS + draw.int(0, 5) * MINUTE_MS;
  const base = { principal: p.principal, source: p.source };
  out.push({ ...base, time: at, kind: 'auth', outcome: 'success' });
  const runs = Math.max(1, Math.round(p.accessesPerHour * draw.lognormal(0.1)));
  for (let i = 0; i < runs; i++) {
    out.push({ ...base, time: at + (i + 1) * MINUTE_MS, kind: 'access', outcome: 'success', dataset: p.datasets[i % p.datasets.length]!, records: Math.round(p.recordsPerAccess * draw.lognormal(0.2)) });
  }
}

/** A normal history: the same options always give the same events. */
export function generateNormalHistory(options: SyntheticHistoryOptions = {}): SyntheticHistory {
  const draw = new Draw(options.seed ?? 1);
  const days = options.days ?? 28;
  const start = Math.floor(parseAuditTime(options.start ?? '2026-01-05T00:00:00Z') / DAY_MS) * DAY_MS;
  const profiles = Array.from({ length: options.principals ?? 100 }, (_, i) => profileOf(draw, i, options.serviceShare ?? 0.1));
  const events: AnomalyInput[] = [];
  const firstDay = start / DAY_MS;
  for (let day = firstDay; day < firstDay + days; day++) {
    for (const p of profiles) (p.role === 'person' ? personDay : serviceDay)(draw, p, day, events);
  }
  return { events: sortByTime(events), profiles, start, days };
}

/** What an injector added: which detector should see it, about whom, and when it began. */
export interface Injection {
  kind: AlertKind;
  principal?: string;
  source?: string;
  /** The first injected event (epoch ms). */
  start: number;
  end: number;
}

export interface Injected {
  history: SyntheticHistory;
  injection: Injection;
}

function withEvents(history: SyntheticHistory, added: AnomalyInput[], injection: Injection): Injected {
  return { history: { ...history, events: sortByTime([...history.events, ...added]) }, injection };
}

/** Array.prototype.sort is stable (ECMA-262 since 2019): events of the same millisecond keep their order. */
function sortByTime(events: AnomalyInput[]): AnomalyInput[] {
  return events.sort((a, b) => a.time - b.time);
}

function profile(history: SyntheticHistory, role: 'person' | 'service', index = 0): PrincipalProfile {
  const found = history.profiles.filter((p) => p.role === role)[index];
  if (!found) throw new RangeError(`the history has no ${role} number ${index}`);
  return found;
}

/**
 * Exfiltration: in one working hour of `day`, a person reads `factor` times their usual hourly volume, in 30
 * reads spread over the hour.
 */
export function injectVolumeSpike(history: SyntheticHistory, options: { day?: number; person?: number; factor?: number } = {}): Injected {
  const p = profile(history, 'person', options.person ?? 0);
  const start = history.start + (options.day ?? 21) * DAY_MS + (p.startHour + 2) * HOUR_MS;
  const total = (options.factor ?? 20) * p.accessesPerHour * p.recordsPerAccess;
  const added = Array.from({ length: 30 }, (_, i): AnomalyInput => ({ principal: p.principal, source: p.source, time: start + i * 2 * MINUTE_MS, kind: 'access', outcome: 'success', dataset: p.datasets[0]!, records: Math.round(total / 30) }));
  return withEvents(history, added, { kind: 'volume-spike', principal: p.principal, start, end: start + HOUR_MS });
}

/** Credential stuffing: one address tries `principals` accounts, `attempts` times each, within `spanMs`. */
export function injectCredentialStuffing(history: SyntheticHistory, options: { day?: number; hour?: number; principals?: number; attempts?: number; spanMs?: number; source?: string } = {}): Injected {
  const source = options.source ?? '203.0.113.66';
  const start = history.start + (options.day ?? 21) * DAY_MS + (options.hour ?? 14) * HOUR_MS;
  const targets = history.profiles.slice(0, options.principals ?? 30).map((p) => p.principal);
  const attempts = options.attempts ?? 2;
  const n = targets.length * attempts;
  const step = Math.max(1, Math.floor((options.spanMs ?? 2 * MINUTE_MS) / n));
  const added = Array.from({ length: n }, (_, i): AnomalyInput => ({ principal: targets[i % targets.length]!, source, time: start + i * step, kind: 'auth', outcome: 'failure' }));
  return withEvents(history, added, { kind: 'auth-failure-burst', source, start, end: start + n * step });
}

/** A person's account used at 03:00 UTC: a login and a few reads of their usual datasets. */
export function injectOffHoursAccess(history: SyntheticHistory, options: { day?: number; person?: number; hour?: number } = {}): Injected {
  const p = profile(history, 'person', options.person ?? 0);
  const start = history.start + (options.day ?? 21) * DAY_MS + (options.hour ?? 3) * HOUR_MS;
  const added: AnomalyInput[] = [{ principal: p.principal, source: '192.0.2.13', time: start, kind: 'auth', outcome: 'success' }];
  for (let i = 1; i <= 5; i++) added.push({ principal: p.principal, source: '192.0.2.13', time: start + i * MINUTE_MS, kind: 'access', outcome: 'success', dataset: p.datasets[0]!, records: p.recordsPerAccess });
  return withEvents(history, added, { kind: 'unusual-hour', principal: p.principal, start, end: start + 5 * MINUTE_MS });
}

/** A sweep: a person reads `datasets` datasets they never touched, within `spanMs`, during working hours. */
export function injectDatasetSweep(history: SyntheticHistory, options: { day?: number; person?: number; datasets?: number; spanMs?: number } = {}): Injected {
  const p = profile(history, 'person', options.person ?? 0);
  const start = history.start + (options.day ?? 21) * DAY_MS + (p.startHour + 3) * HOUR_MS;
  const count = options.datasets ?? 20;
  const step = Math.floor((options.spanMs ?? 10 * MINUTE_MS) / count);
  const added = Array.from({ length: count }, (_, i): AnomalyInput => ({ principal: p.principal, source: p.source, time: start + i * step, kind: 'access', outcome: 'success', dataset: `sweep/never-seen-${String(i).padStart(2, '0')}`, records: 1 }));
  return withEvents(history, added, { kind: 'new-datasets', principal: p.principal, start, end: start + count * step });
}
