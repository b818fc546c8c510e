// Access at hours far outside a principal's usual pattern: a decaying histogram of the hours it acts at.
import { checkInput, type AnomalyInput } from './anomaly-input.ts';
import { BoundedMap } from '../../bounded-map.ts';
import { durationMs, parseConfig, unusualHourConfigSchema, type UnusualHourConfig, type UnusualHourConfigInput } from './config.ts';
import { isoTime, rounded, type Alert, type Detector, type DetectorStats } from './detector.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Rescale the weights when the newest weighs 2^64 times the reference: far from overflow, rarely done. */
const RESCALE_EXPONENT = 64;

interface HourState {
  bins: Float64Array;
  total: number;
  /** The time at which an access weighs 1. */
  reference: number;
  accesses: number;
  /** The last hour (floor(time / 1 h)) learnt: an hour of activity counts once, however many acts it holds. */
  lastHour: number;
  first: number;
  last: number;
  lastAlert: number;
}

/**
 * Per principal, a histogram of the hours in which it acted successfully, by local hour of the day (24 bins) or
 * of the week (168). An hour of activity counts once however many acts it holds, so one busy session weighs no
 * more than one quiet hour and cannot teach the pattern on its own. An hour at time t weighs 2^((t − t₀)/halfLife):
 * weighting new hours up is the same as decaying old ones down (exponential forgetting), but costs O(1) instead of
 * touching every bin; the weights are rescaled when they grow large. An act alerts when its bin, with
 * `neighbourHours` either side, holds less than `minShare` of the weighted history before it, once the principal
 * has `warmupAccesses` acts over at least `warmupSpan`; then the principal is quiet for `cooldown`, so one night's
 * session is one alert. The hour is learnt like any other, so a lasting change of habits stops alerting after
 * a few occurrences (with the defaults, about minShare × the active hours of the last half-life).
 *
 * Hours are UTC shifted by `utcOffsetMinutes` (no daylight saving rules: a fixed offset). Memory: 24 or 168
 * numbers per principal, at most `maxTrackedPrincipals`. Acts older than the principal's newest are ignored.
 */
export class UnusualHourDetector implements Detector {
  readonly kind = 'unusual-hour' as const;
  readonly config: UnusualHourConfig;
  readonly #halfLifeMs: number;
  readonly #warmupSpanMs: number;
  readonly #cooldownMs: number;
  readonly #states: BoundedMap<string, HourState>;
  #observed = 0;
  #outOfOrder = 0;

  constructor(config: UnusualHourConfigInput = {}) {
    this.config = parseConfig(unusualHourConfigSchema, config, 'unusualHour');
    this.#halfLifeMs = durationMs(this.config.halfLife);
    this.#warmupSpanMs = durationMs(this.config.warmupSpan);
    this.#cooldownMs = durationMs(this.config.cooldown);
    this.#states = new BoundedMap(this.config.maxTrackedPrincipals);
  }

  /** The bin of `time`: local hour of the day, or hour of the week with Monday 00:00 as 0. */
  binOf(time: number): number {
    const local = time + this.config.utcOffsetMinutes * 60_000;
    const hour = mod(Math.floor(local / HOUR_MS), 24);
    if (this.config.bins === 24) return hour;
    // 1970-01-01 was a Thursday: day 0 is weekday 3 counting from Monday.
    const weekday = mod(Math.floor(local / DAY_MS) + 3, 7);
    return weekday * 24 + hour;
  }

  observe(input: AnomalyInput): Alert[] {
    checkInput(input);
    if (!this.config.enabled || input.outcome !== 'success') return [];
    this.#observed++;
    const bins = this.config.bins;
    const state = this.#states.upsert(input.principal, () => ({ bins: new Float64Array(bins), total: 0, reference: input.time, accesses: 0, lastHour: Number.NEGATIVE_INFINITY, first: input.time, last: input.time, lastAlert: Number.NEGATIVE_INFINITY }));
    if (input.time < state.last) {
      this.#outOfOrder++;
      return [];
    }
    state.last = input.time;
    const bin = this.binOf(input.time);
    let exponent = (input.time - state.reference) / this.#halfLifeMs;
    if (exponent > RESCALE_EXPONENT) {
      const factor = 2 ** -exponent;
      for (let i = 0; i < bins; i++) state.bins[i]! *= factor;
      state.total *= factor;
      state.reference = input.time;
      exponent = 0;
    }
    const alerts: Alert[] = [];
    const warm = state.accesses >= this.config.warmupAccesses && input.time - state.first >= this.#warmupSpanMs;
    if (warm && state.total > 0 && input.time - state.lastAlert >= this.#cooldownMs) {
      let around = 0;
      for (let d = -this.config.neighbourHours; d <= this.config.neighbourHours; d++) around += state.bins[mod(bin + d, bins)]!;
      const share = around / state.total;
      if (share < this.config.minShare) {
        state.lastAlert = input.time;
        const hour = bin % 24;
        alerts.push({
          kind: this.kind,
          principal: input.principal,
          time: isoTime(input.time),
          score: rounded(share, 4),
          threshold: this.config.minShare,
          message: `${input.principal} acted at ${String(hour).padStart(2, '0')}:00${this.config.utcOffsetMinutes === 0 ? ' UTC' : ' local time'}, an hour holding ${rounded(share * 100, 2)}% of its history (alert below ${this.config.minShare * 100}%)`,
          evidence: { hour, bin, sharePercent: rounded(share * 100, 2), priorAccesses: state.accesses },
        });
      }
    }
    state.accesses++;
    const hourIndex = Math.floor(input.time / HOUR_MS);
    if (hourIndex !== state.lastHour) {
      state.lastHour = hourIndex;
      const weight = 2 ** exponent;
      state.bins[bin]! += weight;
      state.total += weight;
    }
    return alerts;
  }

  trackedKeys(): number {
    return this.#states.size;
  }

  stats(): DetectorStats {
    return { observed: this.#observed, outOfOrder: this.#outOfOrder, evicted: this.#states.evictions };
  }
}

function mod(value: number, m: number): number {
  return ((value % m) + m) % m;
}
