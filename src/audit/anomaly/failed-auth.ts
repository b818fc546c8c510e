// Bursts of failed authentications per principal and per source address, and the throttling answer the server
// asks for before it checks a credential.
import { checkInput, type AnomalyInput } from './anomaly-input.ts';
import { BoundedMap } from '../../bounded-map.ts';
import { BurstWindow } from './burst-window.ts';
import { durationMs, failedAuthConfigSchema, parseConfig, type FailedAuthConfig, type FailedAuthConfigInput } from './config.ts';
import { formatWindow, isoTime, type Alert, type Detector, type DetectorStats } from './detector.ts';

/** What the server throttles on: the claimed principal, the address, or both (either one in a burst throttles). */
export interface ThrottleKey {
  principal?: string;
  source?: string;
}

interface SourceState {
  window: BurstWindow;
  /** The principals of the last `threshold` failures, to tell stuffing across accounts from one forgotten password. */
  principals: string[];
  next: number;
}

/**
 * One alert per burst of at least `threshold` failures within `window`, for each principal and each source address
 * (credential stuffing from one address spreads over many principals, so only the address sees the burst).
 * A burst ends after a full window with no failure; then the key re-arms. Successful logins neither end a burst
 * nor count: an attacker could otherwise interleave a login of their own.
 *
 * Cost: O(1) per event. Memory: a ring of `threshold` times per key (plus `threshold` names per address), at most
 * `maxTrackedPrincipals` principals and `maxTrackedSources` addresses, least recently failing forgotten first.
 * Failures older than their key's newest failure are ignored (stats().outOfOrder).
 */
export class FailedAuthDetector implements Detector {
  readonly kind = 'auth-failure-burst' as const;
  readonly config: FailedAuthConfig;
  readonly #windowMs: number;
  readonly #principals: BoundedMap<string, BurstWindow>;
  readonly #sources: BoundedMap<string, SourceState>;
  #observed = 0;
  #outOfOrder = 0;

  constructor(config: FailedAuthConfigInput = {}) {
    this.config = parseConfig(failedAuthConfigSchema, config, 'failedAuth');
    this.#windowMs = durationMs(this.config.window);
    this.#principals = new BoundedMap(this.config.maxTrackedPrincipals);
    this.#sources = new BoundedMap(this.config.maxTrackedSources);
  }

  observe(input: AnomalyInput): Alert[] {
    checkInput(input);
    if (!this.config.enabled || input.kind !== 'auth' || input.outcome === 'success') return [];
    this.#observed++;
    const alerts: Alert[] = [];
    const { threshold } = this.config;
    const minutes = this.#windowMs / 60_000;
    const byPrincipal = this.#principals.upsert(input.principal, () => new BurstWindow(threshold, this.#windowMs));
    if (input.time < byPrincipal.last) this.#outOfOrder++;
    else if (byPrincipal.record(input.time) === 'start') {
      alerts.push({
        kind: this.kind,
        principal: input.principal,
        time: isoTime(input.time),
        score: threshold,
        threshold,
        message: `${threshold} failed authentications for ${input.principal} within ${formatWindow(this.#windowMs)}`,
        evidence: { failures: threshold, windowMinutes: minutes },
      });
    }
    if (input.source === undefined) return alerts;
    const bySource = this.#sources.upsert(input.source, () => ({ window: new BurstWindow(threshold, this.#windowMs), principals: [], next: 0 }));
    if (input.time < bySource.window.last) {
      this.#outOfOrder++;
      return alerts;
    }
    bySource.principals[bySource.next] = input.principal;
    bySource.next = (bySource.next + 1) % threshold;
    if (bySource.window.record(input.time) === 'start') {
      const distinct = new Set(bySource.principals).size;
      alerts.push({
        kind: this.kind,
        source: input.source,
        time: isoTime(input.time),
        score: threshold,
        threshold,
        message: `${threshold} failed authentications from ${input.source} within ${formatWindow(this.#windowMs)}, for ${distinct} principal${distinct === 1 ? '' : 's'}`,
        evidence: { failures: threshold, distinctPrincipals: distinct, windowMinutes: minutes },
      });
    }
    return alerts;
  }

  /**
   * Whether `key` is in a failure burst at `time` (the server's clock, passed in): the server answers 429 without
   * checking the credential. Ends a window after the key's last failure. Does not keep a key alive in memory.
   */
  isThrottled(key: ThrottleKey, time: number): boolean {
    return this.retryAfterMs(key, time) > 0;
  }

  /** Milliseconds until `key` is no longer throttled (0 when it is not): the Retry-After of a 429. */
  retryAfterMs(key: ThrottleKey, time: number): number {
    const windows = [key.principal === undefined ? undefined : this.#principals.peek(key.principal), key.source === undefined ? undefined : this.#sources.peek(key.source)?.window];
    let wait = 0;
    for (const window of windows) {
      if (window?.activeAt(time)) wait = Math.max(wait, window.last + this.#windowMs - time);
    }
    return wait;
  }

  trackedKeys(): number {
    return this.#principals.size + this.#sources.size;
  }

  stats(): DetectorStats {
    return { observed: this.#observed, outOfOrder: this.#outOfOrder, evicted: this.#principals.evictions + this.#sources.evictions };
  }
}
