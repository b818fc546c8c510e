// A Map with a capacity that forgets the least recently used key: how every detector bounds its memory.

/**
 * Least-recently-used map on top of Map's insertion order: `get` and `set` move a key to the end, and `set`
 * past the capacity drops the first key. Every operation is O(1).
 */
export class BoundedMap<K, V> {
  readonly #entries = new Map<K, V>();
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
      const oldest = this.#entries.keys().next();
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
