// The bounded map, checked against a plain reference model of a least-recently-used map.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BoundedMap } from './bounded-map.ts';

test('bounded map: the least recently used key goes first; peek does not count as a use', () => {
  const map = new BoundedMap<string, number>(2);
  map.set('a', 1);
  map.set('b', 2);
  map.get('a');
  map.peek('b');
  map.set('c', 3);
  assert.deepEqual([...map.keys()], ['a', 'c']);
  assert.equal(map.evictions, 1);
  assert.equal(map.upsert('a', () => 9), 1);
  assert.equal(map.upsert('d', () => 4), 4);
  assert.deepEqual([...map.keys()], ['a', 'd']);
  assert.throws(() => new BoundedMap(0), RangeError);
});

/** The same LRU map as an array of keys, least recently used first: slow and obviously right. */
class ReferenceLru {
  readonly keys: number[] = [];
  readonly values = new Map<number, number>();
  evictions = 0;
  constructor(readonly capacity: number) {}
  #touch(key: number): void {
    this.keys.splice(this.keys.indexOf(key), 1);
    this.keys.push(key);
  }
  get(key: number): number | undefined {
    if (!this.values.has(key)) return undefined;
    this.#touch(key);
    return this.values.get(key);
  }
  set(key: number, value: number): void {
    if (this.values.has(key)) this.#touch(key);
    else this.keys.push(key);
    this.values.set(key, value);
    if (this.keys.length > this.capacity) {
      this.values.delete(this.keys.shift()!);
      this.evictions++;
    }
  }
  delete(key: number): void {
    if (!this.values.delete(key)) return;
    this.keys.splice(this.keys.indexOf(key), 1);
  }
}

test('bounded map property: under any mix of set, get, peek and delete, far past the capacity (the map rehashes many times), it holds the keys a reference LRU holds, in the same order', () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('set' as const), key: fc.integer({ min: 0, max: 40 }), value: fc.integer() }),
    fc.record({ kind: fc.constant('get' as const), key: fc.integer({ min: 0, max: 40 }) }),
    fc.record({ kind: fc.constant('peek' as const), key: fc.integer({ min: 0, max: 40 }) }),
    fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 40 }) }),
  );
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 12 }), fc.array(op, { maxLength: 600 }), (capacity, ops) => {
      const map = new BoundedMap<number, number>(capacity);
      const reference = new ReferenceLru(capacity);
      for (const o of ops) {
        if (o.kind === 'set') {
          map.set(o.key, o.value);
          reference.set(o.key, o.value);
        } else if (o.kind === 'get') assert.equal(map.get(o.key), reference.get(o.key));
        else if (o.kind === 'peek') assert.equal(map.peek(o.key), reference.values.get(o.key));
        else {
          map.delete(o.key);
          reference.delete(o.key);
        }
      }
      assert.deepEqual([...map.keys()], reference.keys);
      assert.equal(map.evictions, reference.evictions);
    }),
  );
});

test('bounded map: a long run of new keys (each set evicts one) keeps exactly the newest, in order', () => {
  const map = new BoundedMap<number, true>(1000);
  for (let i = 0; i < 200_000; i++) map.set(i, true);
  assert.equal(map.size, 1000);
  assert.equal(map.evictions, 199_000);
  assert.deepEqual([...map.keys()], Array.from({ length: 1000 }, (_, i) => 199_000 + i));
});
