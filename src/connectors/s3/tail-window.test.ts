// The tail window: whatever the chunking, the digest before a line end in the newest chunk is the digest of
// the bytes just before it in the object.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TAIL_BYTES, TailWindow, tailDigest } from './tail-window.ts';

test('property: the digest before any offset in the newest chunk matches the object bytes, for any chunking', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 20_000 }), fc.array(fc.integer({ min: 1, max: 6000 }), { minLength: 1, maxLength: 12 }), fc.integer({ min: 0, max: 5000 }), (size, cuts, startAt) => {
      const object = Buffer.alloc(size, 0);
      for (let i = 0; i < size; i++) object[i] = (i * 7919) % 251;
      const start = Math.min(startAt, size - 1);
      const window = new TailWindow();
      let at = start;
      let cut = 0;
      while (at < size) {
        const length = Math.min(cuts[cut++ % cuts.length] ?? 1, size - at);
        window.push(at, object.subarray(at, at + length));
        for (let offset = at + 1; offset <= at + length; offset += 97) {
          const expected = tailDigest(object.subarray(offset - Math.min(TAIL_BYTES, offset), offset));
          const got = window.digestBefore(offset);
          // Only bytes from `start` on were seen: the window cannot digest before them, and says so.
          if (offset - Math.min(TAIL_BYTES, offset) < start) assert.equal(got, undefined);
          else assert.equal(got, expected, `offset ${offset}`);
        }
        at += length;
      }
    }),
    { numRuns: 200 },
  );
});

test('a reset window digests nothing', () => {
  const window = new TailWindow();
  window.push(0, Buffer.from('abc\n'));
  assert.equal(window.digestBefore(4), tailDigest(Buffer.from('abc\n')));
  window.reset();
  assert.equal(window.digestBefore(4), undefined);
});
