// A Map with a capacity that forgets the least recently used key: how the anomaly detectors, the
// authentication throttle and the NATS source's memory of committed messages stay bounded.

/**
 * Least-recently-used map on top of Map's insertion order: `get` and `set` move a key to the end, and `set`
 * past the capacity drops the first key. Every operation is amortized O(1).
 *
 * The first key is found by one iterator kept for the map's life, not by `keys().next()` each time: a Map keeps
 * deleted entries as holes until it rehashes, and a fresh iterator walks over every hole at the front, so taking
 * the first key that way costs O(capacity) once the map is full (50 µs per set at 100,000 keys here, and an
 * address spraying failed logins could make every attempt pay it). The kept iterator passes each hole once.
 * Every key it has passed was evicted or moved to the end, so the next key it yields is the least recently used.
 */
export class BoundedMap<K, V> {
  readonly #entries = new Map<K, V>();
  #oldest: Iterator<K> = this.#entries.keys();
  readonly capacity: number;
  /** How many keys were forgotten to stay within the capacity. */
  evictions = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a whole number ≥ 1, not ${capacity}`);
    this.capacity = capacity;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Forgets `key`; true when it was there. */
  delete(key: K): boolean {
    return this.#entries.delete(key);
  }

  /** The value, marking the key as just used. */
  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  /** The value without marking the key as used (for queries that must not keep a key alive). */
  peek(key: K): V | undefined {
    return this.#entries.get(key);
  }

  has(key: K): boolean {
    return this.#entries.has(key);
  }

  set(key: K, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.capacity) {
      let oldest = this.#oldest.next();
      // An iterator that once reported the end stays ended (it did so only on an emptied map): start another.
      if (oldest.done) {
        this.#oldest = this.#entries.keys();
        oldest = this.#oldest.next();
      }
      if (!oldest.done) {
        this.#entries.delete(oldest.value);
        this.evictions++;
      }
    }
  }

  /** The value of `key`, made by `create` and stored when missing; marks the key as used. */
  upsert(key: K, create: () => V): V {
    const found = this.get(key);
    if (found !== undefined) return found;
    const made = create();
    this.set(key, made);
    return made;
  }

  keys(): IterableIterator<K> {
    return this.#entries.keys();
  }

  values(): IterableIterator<V> {
    return this.#entries.values();
  }
}
