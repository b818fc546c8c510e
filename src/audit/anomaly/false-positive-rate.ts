// The false-positive rate of the detectors on a normal history: what the benchmark reports beside the thresholds.
import { AnomalyDetector } from './anomaly-detector.ts';
import type { AnomalyConfigInput } from './config.ts';
import { ALERT_KINDS, type Alert, type AlertKind } from './detector.ts';
import type { SyntheticHistory } from './synthetic-history.ts';

export interface FalsePositiveReport {
  alerts: number;
  byKind: Record<AlertKind, number>;
  principalDays: number;
  /** Alerts per principal-day: every alert on a normal history is a false positive. */
  perPrincipalDay: number;
  /** The same, per 10,000 principal-hours (the bound the tests hold the detectors to). */
  perTenThousandPrincipalHours: number;
  /** The alerts themselves, for a look at what fired. */
  raised: Alert[];
}

/** Runs every detector with `config` over `history` (meant to be attack-free) and counts what they raise. */
export function falsePositiveRate(history: SyntheticHistory, config: AnomalyConfigInput = {}): FalsePositiveReport {
  const detector = new AnomalyDetector(config);
  const raised: Alert[] = [];
  for (const event of history.events) raised.push(...detector.observeInput(event));
  const byKind = Object.fromEntries(Object.keys(ALERT_KINDS).map((k) => [k, 0])) as Record<AlertKind, number>;
  for (const alert of raised) byKind[alert.kind]++;
  const principalDays = history.profiles.length * history.days;
  return {
    alerts: raised.length,
    byKind,
    principalDays,
    perPrincipalDay: raised.length / principalDays,
    perTenThousandPrincipalHours: (raised.length / (principalDays * 24)) * 10_000,
    raised,
  };
}
