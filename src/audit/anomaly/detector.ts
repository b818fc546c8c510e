// The common shape of anomaly detectors and their alerts. An alert carries names (principal, source, datasets),
// counts and scores only: never a secret, a credential or the contents of a record.
import type { AnomalyInput } from './anomaly-input.ts';

export type { AnomalyInput, AnomalyInputKind } from './anomaly-input.ts';

export const ALERT_KINDS = {
  'volume-spike': 'a principal read far more records in a time bucket than its own baseline',
  'auth-failure-burst': 'many failed authentications for one principal or from one address in a short window',
  'unusual-hour': 'a principal acted at an hour it almost never acts at',
  'new-datasets': 'a principal touched many datasets it had never touched before',
} as const;

export type AlertKind = keyof typeof ALERT_KINDS;

export interface Alert {
  kind: AlertKind;
  principal?: string;
  /** The source address, for bursts counted per address. */
  source?: string;
  /** ISO 8601 UTC: the time of the event that raised the alert (never the wall clock). */
  time: string;
  /**
   * How anomalous: the z-score (volume), the failures (auth bursts) or new datasets (new-datasets) in the
   * window, all at or above `threshold`; for unusual-hour the share of the hour, below `threshold`.
   */
  score: number;
  threshold: number;
  /** One sentence for a person: names and counts only. */
  message: string;
  /** The counts behind the score. */
  evidence: Readonly<Record<string, number>>;
  /** For new-datasets: the names of the new datasets (at most the threshold). */
  datasets?: readonly string[];
}

/** What every detector offers: streaming, deterministic (time from events only) and bounded in memory. */
export interface Detector {
  readonly kind: AlertKind;
  /** Feeds one event; returns the alerts it raises (usually none). */
  observe(input: AnomalyInput): Alert[];
  /** How many principals (and addresses) it remembers now: never more than its configured caps. */
  trackedKeys(): number;
  /** Events seen, and events ignored because they were older than the newest event of their key. */
  stats(): DetectorStats;
}

export interface DetectorStats {
  observed: number;
  outOfOrder: number;
  evicted: number;
}

/** ISO 8601 of an event time the input check already accepted. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** A number rounded for evidence and messages (scores are not exact science). */
export function rounded(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** "5 minutes", "1 hour", "2 days": a window for a message. */
export function formatWindow(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1000, 'second'],
  ];
  for (const [size, name] of units) {
    if (ms >= size && ms % size === 0) return `${ms / size} ${name}${ms === size ? '' : 's'}`;
  }
  return `${ms} ms`;
}
