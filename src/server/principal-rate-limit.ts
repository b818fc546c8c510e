// Requests per principal per minute, as a token bucket: a burst up to the minute's allowance, refilled steadily.
// Keyed by principal, not address, so one noisy client cannot starve the others behind the same proxy.

export class PrincipalRateLimit {
  readonly #perMinute: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(perMinute: number, now: () => number = Date.now) {
    this.#perMinute = perMinute;
    this.#now = now;
  }

  /** Takes one request from the principal's bucket: 0 when allowed, else the seconds until one is. */
  take(principal: string): number {
    const now = this.#now();
    const rate = this.#perMinute / 60_000;
    const bucket = this.#buckets.get(principal) ?? { tokens: this.#perMinute, at: now };
    bucket.tokens = Math.min(this.#perMinute, bucket.tokens + (now - bucket.at) * rate);
    bucket.at = now;
    this.#buckets.set(principal, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    // Full buckets carry no information: forget them so the map stays as small as the set of busy principals.
    if (this.#buckets.size > 10_000) for (const [key, b] of this.#buckets) if (b.tokens >= this.#perMinute - 1) this.#buckets.delete(key);
    return Math.max(1, Math.ceil((1 - bucket.tokens) / rate / 1000));
  }
}
