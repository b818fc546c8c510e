// Tests of the line reader: chunking never changes the lines, offsets or issues; limits and UTF-8 checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { firstInvalidUtf8, previewBytes, readLines } from './line-reader.ts';
import type { LineItem, LineReaderOptions } from './line-reader.ts';

async function* chunked(bytes: Buffer, cuts: readonly number[]): AsyncGenerator<Buffer> {
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    if (cut > at) yield bytes.subarray(at, cut);
    at = Math.max(at, cut);
  }
  if (at < bytes.length) yield bytes.subarray(at);
}

async function collect(bytes: Buffer, options: LineReaderOptions, cuts: readonly number[] = []): Promise<LineItem[]> {
  const items: LineItem[] = [];
  for await (const batch of readLines(chunked(bytes, cuts), options)) items.push(...batch);
  return items;
}

/** The lines of `bytes` computed the slow, obvious way: the model the reader must match. */
function model(bytes: Buffer): { text: string; line: number; start: number; end: number; cr: boolean }[] {
  const out = [];
  let start = 0;
  let line = 0;
  while (start < bytes.length) {
    let nl = bytes.indexOf(10, start);
    const end = nl === -1 ? bytes.length : nl + 1;
    if (nl === -1) nl = bytes.length;
    line++;
    const cr = nl > start && bytes[nl - 1] === 13;
    const text = bytes.toString('utf8', start, cr ? nl - 1 : nl);
    if (text !== '') out.push({ text, line, start, end, cr });
    start = end;
  }
  return out;
}

const cutsFor = (length: number) => fc.array(fc.integer({ min: 0, max: Math.max(0, length) }), { maxLength: 12 });

test('property: any chunking of valid text yields the lines and offsets of the model', async () => {
  const text = fc
    .array(fc.tuple(fc.string({ unit: 'grapheme', maxLength: 30 }), fc.constantFrom('\n', '\r\n')), { maxLength: 20 })
    .chain((lines) => {
      const bytes = Buffer.from(lines.map(([l, eol]) => l.replace(/[\r\n]/g, '') + eol).join(''), 'utf8');
      return fc.tuple(fc.constant(bytes), fc.boolean(), cutsFor(bytes.length));
    });
  await fc.assert(
    fc.asyncProperty(text, async ([bytes, dropLastEol, cuts]) => {
      const input = dropLastEol && bytes.at(-1) === 10 ? bytes.subarray(0, bytes.length - 1) : bytes;
      const items = await collect(input, { maxLineBytes: 1 << 20 }, cuts);
      assert.deepEqual(items, model(input).map((l) => ({ kind: 'line', ...l })));
    }),
    { seed: 4180, numRuns: 300 },
  );
});

test('property: any chunking of arbitrary bytes yields the same items, issues included', async () => {
  const byte = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(10, 13, 0x41, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xff));
  const input = fc
    .array(byte, { maxLength: 200 })
    .chain((b) => fc.tuple(fc.constant(Buffer.from(b)), cutsFor(b.length), fc.integer({ min: 1, max: 12 })));
  await fc.assert(
    fc.asyncProperty(input, async ([bytes, cuts, max]) => {
      const whole = await collect(bytes, { maxLineBytes: max, skipEmpty: false });
      const pieces = await collect(bytes, { maxLineBytes: max, skipEmpty: false }, cuts);
      assert.deepEqual(pieces, whole);
      // Every byte belongs to exactly one line: the offsets tile the input.
      let at = 0;
      for (const item of whole) {
        assert.equal(item.start, at);
        at = item.end;
      }
      assert.equal(at, bytes.length);
    }),
    { seed: 20, numRuns: 500 },
  );
});

test('a \\r\\n file yields lines without the \\r, flagged cr', async () => {
  const items = await collect(Buffer.from('a,b\r\n1,2\r\n'), { maxLineBytes: 100 });
  assert.deepEqual(
    items.map((i) => (i.kind === 'line' ? [i.text, i.cr, i.end] : i.kind)),
    [
      ['a,b', true, 5],
      ['1,2', true, 10],
    ],
  );
});

test('empty lines are skipped but counted; a last line without a newline counts', async () => {
  const items = await collect(Buffer.from('a\n\n\r\nb'), { maxLineBytes: 100 });
  assert.deepEqual(
    items.map((i) => [i.line, i.start, i.end]),
    [
      [1, 0, 2],
      [4, 5, 6],
    ],
  );
});

test('a UTF-8 byte order mark at the start of the input is not part of the first line', async () => {
  const items = await collect(Buffer.from('\uFEFFid\nx\n'), { maxLineBytes: 100 });
  assert.deepEqual(
    items.map((i) => (i.kind === 'line' ? i.text : '')),
    ['id', 'x'],
  );
});

test('an over-long line is an issue naming maxLineBytes and the limit; reading continues after it', async () => {
  const long = 'x'.repeat(5000);
  const items = await collect(Buffer.from(`ok\n${long}\nnext\n`), { maxLineBytes: 100 }, [10, 2000, 4000]);
  assert.equal(items.length, 3);
  const issue = items[1];
  assert.ok(issue?.kind === 'issue');
  assert.equal(issue.problem, 'too-long');
  assert.equal(issue.line, 2);
  assert.match(issue.reason, /maxLineBytes \(100 bytes\)/);
  assert.equal(issue.raw, 'x'.repeat(1024));
  assert.deepEqual(items[2], { kind: 'line', text: 'next', line: 3, start: 5004, end: 5009, cr: false });
});

test('a line that is not UTF-8 is an issue giving the byte column of the first bad byte', async () => {
  const bytes = Buffer.concat([Buffer.from('fine\ncaf'), Buffer.from([0xe9]), Buffer.from('s\nafter\n')]);
  const items = await collect(bytes, { maxLineBytes: 100 });
  const issue = items[1];
  assert.ok(issue?.kind === 'issue');
  assert.equal(issue.problem, 'not-utf8');
  assert.equal(issue.line, 2);
  assert.match(issue.reason, /byte 0xE9 at byte column 4/);
  assert.equal(issue.raw, undefined);
  assert.equal(items[2]?.kind, 'line');
});

test('offset, skipTo and line continue numbering on resume', async () => {
  const bytes = Buffer.from('a\nbb\nccc\n');
  const plain = await collect(bytes.subarray(2), { maxLineBytes: 10, offset: 2, line: 1 });
  const skipped = await collect(bytes, { maxLineBytes: 10, skipTo: 2, line: 1 }, [1, 3]);
  const expected = [
    { kind: 'line', text: 'bb', line: 2, start: 2, end: 5, cr: false },
    { kind: 'line', text: 'ccc', line: 3, start: 5, end: 9, cr: false },
  ];
  assert.deepEqual(plain, expected);
  assert.deepEqual(skipped, expected);
});

test('firstInvalidUtf8 agrees with isUtf8 and rejects overlongs, surrogates and truncation', () => {
  const cases: [number[], number][] = [
    [[0x61, 0xc3, 0xa9], -1],
    [[0xc0, 0x80], 0],
    [[0x61, 0xed, 0xa0, 0x80], 1],
    [[0xf4, 0x90, 0x80, 0x80], 0],
    [[0x61, 0x62, 0xe2, 0x82], 2],
    [[0xf0, 0x9f, 0x98, 0x80, 0xff], 4],
  ];
  for (const [bytes, at] of cases) assert.equal(firstInvalidUtf8(Uint8Array.from(bytes)), at, `${bytes.join(',')}`);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
      assert.equal(firstInvalidUtf8(b) === -1, isUtf8(b));
    }),
    { seed: 3, numRuns: 2000 },
  );
});

test('previewBytes cuts on a character boundary', () => {
  const text = 'é'.repeat(600); // 1200 bytes: byte 1024 starts a character, 1023 is inside one
  assert.equal(previewBytes(Buffer.from('a' + text)), 'a' + 'é'.repeat(511));
  assert.equal(previewBytes(Buffer.from(text)), 'é'.repeat(512));
});

test('stopAtTooLong reports an over-long line at once and stops, even on endless input without newlines', async () => {
  async function* endless(): AsyncGenerator<Buffer> {
    yield Buffer.from('first\nsecond');
    for (;;) yield Buffer.alloc(4096, 0x78);
  }
  const items: LineItem[] = [];
  for await (const batch of readLines(endless(), { maxLineBytes: 10_000, stopAtTooLong: true })) items.push(...batch);
  assert.deepEqual(
    items.map((i) => [i.kind, i.line]),
    [
      ['line', 1],
      ['issue', 2],
    ],
  );
  assert.ok(items[1]?.kind === 'issue' && items[1].problem === 'too-long');
});
