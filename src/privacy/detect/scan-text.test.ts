// Merging overlapping findings into disjoint spans to rewrite: unions, naming, counting, and linear cost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mergeOverlapping, findReplaceable } from './scan-text.ts';
import { ALL_DETECTORS } from './all-detectors.ts';
import type { PiiMatch } from './detector.ts';

test('merge: overlapping matches become their union, named by the most confident, then the longest', () => {
  const merged = mergeOverlapping([
    { type: 'URL', start: 4, end: 30, confidence: 0.8 },
    { type: 'EMAIL', start: 10, end: 30, confidence: 0.8 },
    { type: 'PHONE', start: 40, end: 50, confidence: 0.6 },
    { type: 'US_SSN', start: 45, end: 52, confidence: 0.9 },
  ]);
  assert.deepEqual(merged.map((m) => [m.type, m.start, m.end, [...m.types].sort()]), [
    ['URL', 4, 30, ['EMAIL', 'URL']],
    ['US_SSN', 40, 52, ['PHONE', 'US_SSN']],
  ]);
});

test('merge: spans are disjoint, sorted, and cover every match (property)', () => {
  const match = fc.record({ start: fc.integer({ min: 0, max: 200 }), len: fc.integer({ min: 1, max: 30 }), confidence: fc.double({ min: 0.1, max: 1, noNaN: true }) });
  fc.assert(
    fc.property(fc.array(match, { maxLength: 40 }), (raw) => {
      const matches: PiiMatch[] = raw.map((r) => ({ type: 'EMAIL', start: r.start, end: r.start + r.len, confidence: r.confidence }));
      const merged = mergeOverlapping(matches);
      for (let i = 1; i < merged.length; i++) if (merged[i]!.start < merged[i - 1]!.end) return false;
      return matches.every((m) => merged.some((s) => s.start <= m.start && m.end <= s.end));
    }),
  );
});

test('merge: a text with 50,000 findings is resolved in one pass (tries the quadratic case; hang guard only)', { timeout: 20_000 }, () => {
  const text = Array.from({ length: 50_000 }, (_, i) => `user${i}@example.com`).join(' ');
  const spans = findReplaceable(text, ALL_DETECTORS, 0.5);
  assert.equal(spans.filter((s) => s.type === 'EMAIL').length, 50_000);
});
