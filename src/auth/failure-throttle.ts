// Throttles repeated authentication failures per source address without locking out valid users: a throttled
// address gets 429 with Retry-After for every credential that fails, while a credential that verifies still
// passes. Every attempt is still checked and accounted for in the audit log (the log must show the attack): those
// of a throttled address as one event per interval with their count, so a flood does not grow the log with it. API keys carry 256 random
// bits and tokens are signed, so guessing is not what this stops; it tells a misbehaving client to back off and
// marks the attack in the audit log (details.throttled).

import { BoundedMap } from '../bounded-map.ts';

export interface FailureThrottleOptions {
  /** Failures allowed per window before the address is throttled (default 10). */
  maxFailures?: number;
  /** The window, in ms (default 60 s). */
  windowMs?: number;
  /** How many addresses are tracked at most; the stalest are forgotten first (default 10,000). */
  maxTracked?: number;
  /** While an address is throttled, its failures are recorded as one event per this many ms (default 10 s). */
  recordThrottledEveryMs?: number;
  now?: () => number;
}

export class FailureThrottle {
  readonly #max: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  // Failure times per address, oldest first; the address least recently failing is forgotten first. An attacker
  // spraying from many addresses keeps these full: each failure must cost the same however full they are.
  readonly #failures: BoundedMap<string, number[]>;
  // Throttled attempts not yet recorded, per address, and when the last record was made.
  readonly #throttled: BoundedMap<string, { count: number; recordedAt: number }>;
  readonly #recordEveryMs: number;

  constructor(options: FailureThrottleOptions = {}) {
    this.#max = options.maxFailures ?? 10;
    this.#windowMs = options.windowMs ?? 60_000;
    const maxTracked = options.maxTracked ?? 10_000;
    this.#failures = new BoundedMap(maxTracked);
    this.#throttled = new BoundedMap(maxTracked);
    this.#now = options.now ?? Date.now;
    this.#recordEveryMs = options.recordThrottledEveryMs ?? 10_000;
  }

  #recent(address: string): number[] {
    const since = this.#now() - this.#windowMs;
    const times = (this.#failures.peek(address) ?? []).filter((t) => t > since);
    if (times.length === 0) this.#failures.delete(address);
    return times;
  }

  /** Seconds the address must wait before its next failed attempt is even checked; 0 when it is not throttled. */
  retryAfterSeconds(address: string): number {
    const times = this.#recent(address);
    if (times.length < this.#max) return 0;
    const oldest = times[times.length - this.#max] ?? this.#now();
    return Math.max(1, Math.ceil((oldest + this.#windowMs - this.#now()) / 1000));
  }

  /**
   * Counts a failed attempt from an address that is already throttled. Returns how many such attempts to record
   * now (all since the last record) when the last record is `recordEveryMs` old or more, else 0 (counted for the
   * next record).
   */
  countThrottled(address: string): number {
    const now = this.#now();
    const entry = this.#throttled.get(address) ?? { count: 0, recordedAt: -Infinity };
    entry.count++;
    this.#throttled.set(address, entry);
    if (now - entry.recordedAt < this.#recordEveryMs) return 0;
    const count = entry.count;
    entry.count = 0;
    entry.recordedAt = now;
    return count;
  }

  /** Records a failed attempt from `address`. */
  fail(address: string): void {
    const times = this.#recent(address);
    times.push(this.#now());
    // Keep only what can still matter; the map refreshes the address to the newest position.
    this.#failures.set(address, times.slice(-this.#max));
  }
}
