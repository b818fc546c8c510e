// A uniform random sample of a stream of unknown length in fixed memory (Vitter's algorithm R), seeded so
// the same file gives the same sample.

/** A small seeded PRNG (mulberry32): sampling needs repeatability, not secrecy. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class ReservoirSample<T> {
  readonly #size: number;
  readonly #items: T[] = [];
  readonly #random: () => number;
  #seen = 0;

  constructor(size: number, seed = 0x5eed) {
    this.#size = size;
    this.#random = mulberry32(seed);
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
