// Entropy and shape measures: known values, the random-string calibration that `randomness` rests on, and the
// walk and dominance shares placeholders are caught by.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { expectedEntropy, measure, randomness, shannonEntropy } from './entropy.ts';
import { ALNUM, DIGITS, HEX, LOWER_ALNUM, fakeGenerator } from './fake-tokens.ts';

test('entropy: known values', () => {
  assert.equal(shannonEntropy(''), 0);
  assert.equal(shannonEntropy('aaaa'), 0);
  assert.equal(shannonEntropy('abab'), 1);
  assert.equal(shannonEntropy('abcd'), 2);
  assert.ok(Math.abs(shannonEntropy('0123456789abcdef') - 4) < 1e-12);
  assert.equal(shannonEntropy('xxabcdxx', 2, 6), 2, 'a slice is measured on its own');
});

test('entropy: non-ASCII characters count as one symbol and do not break the counters', () => {
  assert.equal(shannonEntropy('日本'), 0);
  assert.equal(shannonEntropy('aé'), 1);
  assert.equal(shannonEntropy('abcd'), 2, 'counters are reset between calls');
});

test('measure: classes, hex, dominant character and alphabet walks', () => {
  const hex = measure('deadbeef0123');
  assert.deepEqual(hex.classes, { lower: true, upper: false, digit: true, other: false, hex: true });
  assert.equal(measure('DEADBEEF').classes.hex, true);
  assert.equal(measure('DeadBeef').classes.hex, false, 'mixed-case hex is not one hex alphabet');
  assert.equal(measure('a-b').classes.other, true);
  assert.equal(measure('xxxxxxab').dominantShare, 0.75);
  assert.equal(measure('abcdefgh').walkShare, 1);
  assert.equal(measure('123456789').walkShare, 1);
  assert.equal(measure('zyxw').walkShare, 1, 'walks go down too');
  assert.equal(measure('ab-cd-ef').walkShare, 0, 'walks of fewer than four do not count');
});

test('randomness: random strings of the alphabets tokens use score close to 1', () => {
  const fake = fakeGenerator(42);
  for (const [alphabet, lengths] of [
    [DIGITS, [16, 24, 40]],
    [HEX, [16, 32, 64]],
    [LOWER_ALNUM, [16, 24, 40]],
    [ALNUM, [16, 32, 64]],
  ] as const) {
    for (const n of lengths) {
      let sum = 0;
      for (let i = 0; i < 200; i++) sum += randomness(measure(fake(alphabet, n)));
      const mean = sum / 200;
      assert.ok(mean > 0.9 && mean < 1.15, `alphabet of ${alphabet.length}, length ${n}: mean randomness ${mean.toFixed(3)}`);
    }
  }
});

test('randomness: words and repetitive values score low', () => {
  for (const v of ['aaaaaaaaaaaaaaaa', 'abababababababab', 'hellohellohello1']) assert.ok(randomness(measure(v)) < 0.7, v);
  assert.ok(randomness(measure('passwordpassword')) < 0.85);
});

test('expectedEntropy: never above log2 of the length or of the alphabet', () => {
  fc.assert(
    fc.property(fc.integer({ min: 2, max: 500 }), fc.integer({ min: 2, max: 100 }), (n, k) => {
      const e = expectedEntropy(n, k);
      return e > 0 && e <= Math.log2(Math.min(n, k)) + 1e-9;
    }),
  );
});

test('measure: properties hold for any string', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (s) => {
      const m = measure(s);
      return m.length === s.length && m.entropy >= 0 && m.entropy <= Math.log2(Math.max(1, s.length)) + 1e-9 && m.dominantShare >= 0 && m.dominantShare <= 1 && m.walkShare >= 0 && m.walkShare <= 1;
    }),
  );
});
