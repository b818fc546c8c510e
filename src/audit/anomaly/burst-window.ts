// "At least N occurrences within a window", one alert per burst: shared by failed authentications and new datasets.

/**
 * Keeps the times of the last `threshold` occurrences in a ring, so "≥ threshold within the window" is one
 * comparison (the newest minus the oldest of the ring) in O(1) time and O(threshold) memory, however many
 * occurrences arrive. A burst starts when the ring spans less than the window and ends after a full window with
 * no occurrence (quiet); only the start is reported, so a burst raises one alert, and the key re-arms after it.
 */
export class BurstWindow {
  readonly #times: Float64Array;
  #next = 0;
  #filled = 0;
  #last = Number.NEGATIVE_INFINITY;
  #inBurst = false;
  /** Occurrences since the current burst started (0 outside a burst). */
  burstCount = 0;

  constructor(
    readonly threshold: number,
    readonly windowMs: number,
  ) {
    this.#times = new Float64Array(threshold);
  }

  /** The time of the newest occurrence (−∞ before the first). */
  get last(): number {
    return this.#last;
  }

  /** Whether a burst is on at `time`: it started and the window since the last occurrence is not yet quiet. */
  activeAt(time: number): boolean {
    return this.#inBurst && time - this.#last < this.windowMs;
  }

  /**
   * Records an occurrence at `time` (the caller ignores times before `last`). Returns 'start' when this
   * occurrence starts a burst, 'continue' within one, 'none' otherwise.
   */
  record(time: number): 'start' | 'continue' | 'none' {
    if (this.#inBurst && time - this.#last >= this.windowMs) {
      this.#inBurst = false;
      this.burstCount = 0;
    }
    this.#times[this.#next] = time;
    this.#next = (this.#next + 1) % this.threshold;
    if (this.#filled < this.threshold) this.#filled++;
    this.#last = time;
    if (this.#inBurst) {
      this.burstCount++;
      return 'continue';
    }
    // After the write, #next points at the oldest of the last `threshold` times.
    const oldest = this.#times[this.#next] ?? time;
    if (this.#filled === this.threshold && time - oldest < this.windowMs) {
      this.#inBurst = true;
      this.burstCount = this.threshold;
      return 'start';
    }
    return 'none';
  }
}
