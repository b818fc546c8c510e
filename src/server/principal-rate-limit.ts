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

  /** Forgets buckets that have refilled: they carry no information, so the map stays as small as the busy set. */
  #prune(now: number, rate: number): void {
    for (const [key, b] of this.#buckets) if (b.tokens + (now - b.at) * rate >= this.#perMinute) this.#buckets.delete(key);
  }

  /** Takes one request from the principal's bucket: 0 when allowed, else the seconds until one is. */
  take(principal: string): number {
    const now = this.#now();
    const rate = this.#perMinute / 60_000;
    const bucket = this.#buckets.get(principal) ?? { tokens: this.#perMinute, at: now };
    bucket.tokens = Math.min(this.#perMinute, bucket.tokens + (now - bucket.at) * rate);
    bucket.at = now;
    if (!this.#buckets.has(principal) && this.#buckets.size >= 10_000) this.#prune(now, rate);
    this.#buckets.set(principal, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / rate / 1000));
  }
}
