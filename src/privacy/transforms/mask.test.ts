// The mask step: what stays readable, for ASCII and for characters outside the BMP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { maskShape, maskValue } from './mask.ts';

test('mask keeps the last N characters and hides the rest', () => {
  assert.equal(maskValue('4000 0000 1234 5678', 4, '*'), '***************5678');
  assert.equal(maskValue('secret', 0, '#'), '######');
  assert.equal(maskValue(null, 4, '*'), null);
  assert.equal(maskValue(12345678, 2, '*'), '******78');
});

test('mask never shows more than half of a short value', () => {
  assert.equal(maskValue('abcd', 4, '*'), '**cd');
  assert.equal(maskValue('a', 4, '*'), '*');
});

test('mask counts characters, not UTF-16 units (a kept emoji is never split in half)', () => {
  assert.equal(maskValue('ab😀😀', 1, '*'), '***😀');
});

test('mask property: same length in characters, and no hidden character survives', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme-composite', minLength: 0, maxLength: 40 }), fc.integer({ min: 0, max: 8 }), (text, keep) => {
      const masked = maskValue(text, keep, '*') as string;
      const chars = Array.from(text);
      const out = Array.from(masked);
      const shown = Math.min(keep, Math.floor(chars.length / 2));
      return out.length === chars.length && out.slice(0, chars.length - shown).every((c) => c === '*') && out.slice(chars.length - shown).join('') === chars.slice(chars.length - shown).join('');
    }),
    { seed: 11, numRuns: 10000 },
  );
});

test('mask keepShape: the ASCII fast path masks exactly what a per-character reference does (property)', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary-ascii', maxLength: 40 }), fc.integer({ min: 0, max: 8 }), (text, keep) => {
      const chars = Array.from(text);
      const hideable = chars.filter((c) => /[A-Za-z0-9]/.test(c)).length;
      let reveal = Math.min(keep, Math.floor(hideable / 2));
      const expected = chars
        .reverse()
        .map((c) => (!/[A-Za-z0-9]/.test(c) ? c : reveal-- > 0 ? c : '*'))
        .reverse()
        .join('');
      return maskShape(text, keep, '*') === expected;
    }),
  );
});

test('mask keepShape: combining marks are hidden with their letters (tries Devanagari vowel signs and a decomposed accent)', () => {
  assert.equal(maskShape('राहुल', 0, '*'), '*****');
  assert.equal(maskShape('Jose\u0301', 0, '*'), '*****');
});

test('mask with many different mask characters and lengths: each run is the right character, past the shared runs cap (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.constantFrom(...'*#xX0-_.~+=@!?%&'.split(''), 'ü', '😀', '█', '·'), fc.integer({ min: 0, max: 100 })), { maxLength: 60 }), (cases) =>
      cases.every(([char, length]) => maskValue('a'.repeat(length), 0, char) === char.repeat(length)),
    ),
  );
});
