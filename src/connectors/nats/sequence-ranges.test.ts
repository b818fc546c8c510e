import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeSequences, encodeSequences } from './sequence-ranges.ts';

test('sequences round-trip through their ranges, sorted and without repeats', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 5000 }), { maxLength: 300 }), (sequences) => {
      const expected = [...new Set(sequences)].sort((a, b) => a - b);
      assert.deepEqual(decodeSequences(encodeSequences(sequences), 10_000), expected);
    }),
  );
  assert.equal(encodeSequences([31, 12, 13, 14, 25, 30, 12]), '12-14,25,30-31');
});

test('a malformed or oversized list is refused, not guessed at (a forged position cannot make a run skip messages wholesale)', () => {
  for (const text of ['x', '1-', '-1', '5-3', '1,,2', '1-99999999999999999', ' 1']) assert.equal(decodeSequences(text, 10_000), undefined, text);
  assert.equal(decodeSequences('1-20000', 10_000), undefined);
  assert.deepEqual(decodeSequences('', 10), []);
});
