// The line packer: the bytes of its pieces are exactly the lines' UTF-8 with newlines, and every piece but the
// last is exactly one payload chunk, whatever the lines (empty, astral characters, lines longer than a chunk).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LinePacker, PIECE_BYTES } from './line-packer.ts';

function pack(lines: readonly string[]): Buffer[] {
  const packer = new LinePacker();
  const pieces: Buffer[] = [];
  for (const line of lines) packer.add(line, pieces);
  const last = packer.finish();
  if (last) pieces.push(last);
  return pieces;
}

function checkPacking(lines: readonly string[]): void {
  const pieces = pack(lines);
  assert.ok(Buffer.concat(pieces).equals(Buffer.from(lines.map((line) => `${line}\n`).join(''), 'utf8')));
  for (const piece of pieces.slice(0, -1)) assert.equal(piece.length, PIECE_BYTES);
  assert.ok((pieces.at(-1)?.length ?? 0) <= PIECE_BYTES);
}

test('pieces hold exactly the lines as UTF-8, one chunk each but the last (property, any text)', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 3000 }), fc.string({ unit: 'binary', maxLength: 200 })), { maxLength: 400 }), (lines) => checkPacking(lines)),
    { numRuns: 150 },
  );
});

test('lines longer than a chunk, and lines that end exactly on a chunk boundary', () => {
  checkPacking(['x'.repeat(3 * PIECE_BYTES + 17), 'y', '😀'.repeat(PIECE_BYTES)]);
  checkPacking(['a'.repeat(PIECE_BYTES - 1), 'b'.repeat(PIECE_BYTES - 1)]);
  assert.equal(pack(['a'.repeat(PIECE_BYTES - 1)]).length, 1);
  assert.deepEqual(pack([]), []);
});

test('a piece handed out is never written again by later lines', () => {
  const packer = new LinePacker();
  const pieces: Buffer[] = [];
  packer.add('a'.repeat(PIECE_BYTES + 10), pieces);
  const copy = Buffer.from(pieces[0] as Buffer);
  for (let i = 0; i < 100; i++) packer.add('z'.repeat(1000), pieces);
  assert.ok((pieces[0] as Buffer).equals(copy));
});

test('a line of many megabytes is copied once, not once per piece (its pieces share one buffer; tries 8 MiB)', () => {
  const packer = new LinePacker();
  const pieces: Buffer[] = [];
  packer.add('q'.repeat(8 * 1024 * 1024), pieces);
  assert.equal(pieces.length, 128);
  // Every piece is a view of the same buffer, so what they keep alive is that buffer, once.
  assert.equal(new Set(pieces.map((piece) => piece.buffer)).size, 1);
  assert.ok((pieces[0] as Buffer).buffer.byteLength < 8 * 1024 * 1024 + PIECE_BYTES * 2);
});
