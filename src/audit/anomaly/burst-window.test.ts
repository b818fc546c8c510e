// The burst window and the bounded map: each checked against a plain reference model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BoundedMap } from './bounded-map.ts';
import { BurstWindow } from './burst-window.ts';

test('burst window property: starts exactly when a reference that keeps every time says a burst starts', () => {
  fc.assert(
    fc.property(fc.integer({ min: 2, max: 6 }), fc.integer({ min: 1, max: 50 }), fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 200 }), (threshold, windowMs, gaps) => {
      const window = new BurstWindow(threshold, windowMs);
      const times: number[] = [];
      let inBurst = false;
      let t = 0;
      for (const gap of gaps) {
        t += gap;
        if (inBurst && t - times[times.length - 1]! >= windowMs) inBurst = false;
        times.push(t);
        const recent = times.filter((x) => x > t - windowMs).length;
        const expected = inBurst ? 'continue' : recent >= threshold ? 'start' : 'none';
        if (expected === 'start') inBurst = true;
        if (window.record(t) !== expected) return false;
        if (window.activeAt(t) !== inBurst) return false;
      }
      return true;
    }),
    { seed: 5, numRuns: 2000 },
  );
});

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
