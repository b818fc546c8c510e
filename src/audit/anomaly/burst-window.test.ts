// The burst window, checked against a plain reference model.
import { test } from 'node:test';
import fc from 'fast-check';
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
