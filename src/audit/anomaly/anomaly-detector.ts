// All anomaly detectors behind one call: each audit event goes to every detector, and their alerts come back
// together. This is what the server and the benchmark hold.
import type { AuditEvent } from '../audit-event.ts';
import { checkInput, toAnomalyInput, type AnomalyInput } from './anomaly-input.ts';
import { parseAnomalyConfig, type AnomalyConfig, type AnomalyConfigInput } from './config.ts';
import type { Alert, AlertKind, Detector, DetectorStats } from './detector.ts';
import { FailedAuthDetector, type ThrottleKey } from './failed-auth.ts';
import { NewDatasetsDetector } from './new-datasets.ts';
import { UnusualHourDetector } from './unusual-hour.ts';
import { VolumeDetector } from './volume.ts';

export interface AnomalyDetectorOptions {
  /** How audit events become detector inputs (undefined skips the event); toAnomalyInput by default. */
  classify?: (event: AuditEvent) => AnomalyInput | undefined;
}

/**
 * The composite detector. Deterministic: the same events in the same order give the same alerts, because time
 * comes only from the events. Memory is the sum of the detectors' caps (see trackedKeys()).
 */
export class AnomalyDetector {
  readonly config: AnomalyConfig;
  readonly volume: VolumeDetector;
  readonly failedAuth: FailedAuthDetector;
  readonly unusualHour: UnusualHourDetector;
  readonly newDatasets: NewDatasetsDetector;
  readonly #detectors: readonly Detector[];
  readonly #classify: (event: AuditEvent) => AnomalyInput | undefined;

  /** Throws SLUICE_SETTINGS_INVALID listing every problem of `config` with its path. */
  constructor(config: AnomalyConfigInput = {}, options: AnomalyDetectorOptions = {}) {
    this.config = parseAnomalyConfig(config);
    this.volume = new VolumeDetector(this.config.volume);
    this.failedAuth = new FailedAuthDetector(this.config.failedAuth);
    this.unusualHour = new UnusualHourDetector(this.config.unusualHour);
    this.newDatasets = new NewDatasetsDetector(this.config.newDatasets);
    this.#detectors = [this.volume, this.failedAuth, this.unusualHour, this.newDatasets];
    this.#classify = options.classify ?? toAnomalyInput;
  }

  /** Feeds an audit event; throws SLUICE_INPUT_MALFORMED when its time is not an ISO 8601 time. */
  observe(event: AuditEvent): Alert[] {
    const input = this.#classify(event);
    return input === undefined ? [] : this.observeInput(input);
  }

  /** Feeds an event already in detector form (synthetic histories, replays). */
  observeInput(input: AnomalyInput): Alert[] {
    checkInput(input);
    const alerts: Alert[] = [];
    for (const detector of this.#detectors) alerts.push(...detector.observe(input));
    return alerts;
  }

  /** Whether the server should answer 429 for this principal or address at `time` (its own clock). */
  isThrottled(key: ThrottleKey, time: number): boolean {
    return this.failedAuth.isThrottled(key, time);
  }

  retryAfterMs(key: ThrottleKey, time: number): number {
    return this.failedAuth.retryAfterMs(key, time);
  }

  /** Principals and addresses held across all detectors. */
  trackedKeys(): number {
    return this.#detectors.reduce((n, d) => n + d.trackedKeys(), 0);
  }

  /** The most keys the detectors may hold with this configuration. */
  maxTrackedKeys(): number {
    const c = this.config;
    return c.volume.maxTrackedPrincipals + c.failedAuth.maxTrackedPrincipals + c.failedAuth.maxTrackedSources + c.unusualHour.maxTrackedPrincipals + c.newDatasets.maxTrackedPrincipals;
  }

  stats(): Record<AlertKind, DetectorStats> {
    return Object.fromEntries(this.#detectors.map((d) => [d.kind, d.stats()])) as Record<AlertKind, DetectorStats>;
  }
}
