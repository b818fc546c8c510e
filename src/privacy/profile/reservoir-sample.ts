// A uniform random sample of a stream of unknown length in fixed memory (Vitter's algorithm R), seeded so
// the same file gives the same sample.

import { seeded } from '../../seeded-random.ts';

export class ReservoirSample<T> {
  readonly #size: number;
  readonly #items: T[] = [];
  readonly #random: () => number;
  #seen = 0;

  constructor(size: number, seed = 0x5eed) {
    this.#size = size;
    this.#random = seeded(seed);
  }

  /** How many items were offered. */
  get seen(): number {
    return this.#seen;
  }

  offer(item: T): void {
    this.#seen++;
    if (this.#items.length < this.#size) {
      this.#items.push(item);
      return;
    }
    const slot = Math.floor(this.#random() * this.#seen);
    if (slot < this.#size) this.#items[slot] = item;
  }

  /** The sample, in the order the items were kept. */
  items(): readonly T[] {
    return this.#items;
  }
}
