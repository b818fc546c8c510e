// Tests of the file source's split(targetBytes) and the `until` open option: ranges that together read the file once.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { isSluiceError } from '../../errors.ts';
import type { Source, SourcePosition, SourceRange } from '../source.ts';
import { fileSource } from './file-source.ts';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-file-split-'));
  dirs.push(dir);
  return dir;
}

/** Writes `name` in `dir`, gzip-compressed when the name ends in .gz. */
async function put(dir: string, name: string, content: string | Buffer): Promise<void> {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  await writeFile(join(dir, name), name.endsWith('.gz') ? gzipSync(bytes) : bytes);
}

function sourceFor(dir: string, options: object): Source {
  return fileSource.create(fileSource.spec.parse(options), { baseDir: dir, pipeline: 'test' });
}

async function split(source: Source, targetBytes: number): Promise<SourceRange[]> {
  const ranges = await source.split?.(targetBytes);
  assert.ok(ranges, 'the file source splits');
  return ranges;
}

interface Read {
  records: unknown[];
  refs: string[];
  ends: SourcePosition[];
  progress: { done: number; total?: number };
}

/** Drains one range (or the whole file when the range is `{}`) in batches of `batchSize`. */
async function readRange(source: Source, range: SourceRange, batchSize: number): Promise<Read> {
  const reader = await source.open(range.from, { follow: false, ...(range.until === undefined ? {} : { until: range.until }) });
  const out: Read = { records: [], refs: [], ends: [], progress: { done: 0 } };
  try {
    for await (const batch of reader.batches(batchSize)) {
      assert.ok(batch.records.length + batch.malformed.length <= batchSize, 'a batch holds at most batchSize records');
      assert.deepEqual(batch.malformed, [], 'every line is valid JSON');
      out.records.push(...batch.records);
      out.refs.push(...batch.refs);
      out.ends.push(batch.end);
    }
    out.progress = reader.progress();
  } finally {
    await reader.close();
  }
  return out;
}

/** Expects `promise` to fail with `code`, asserting the code only (never the message). */
async function rejectsWithCode(promise: Promise<unknown>, code: 'SLUICE_RESUME_MISMATCH', what: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isSluiceError(error, code), `${what}: expected ${code}, got ${String(error)}`);
    return true;
  });
}

/** Open descriptors of this process (Linux), to tell that a refused open leaves none behind. */
async function openDescriptors(): Promise<number | undefined> {
  try {
    return (await readdir('/proc/self/fd')).length;
  } catch {
    return undefined;
  }
}

// Text with one-, two-, three- and four-byte UTF-8 characters and characters JSON escapes.
const text = fc.string({ unit: fc.constantFrom('a', 'Z', ' ', 'é', 'ß', '€', '漢', '😀', '"', '\\', '\t', '\r', '\n'), maxLength: 60 });
const recordLine = fc.oneof(
  { weight: 8, arbitrary: fc.record({ id: fc.nat(), text }).map((r) => JSON.stringify(r)) },
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: fc.array(fc.string({ maxLength: 300 }), { maxLength: 3 }).map((tags) => JSON.stringify({ tags })) },
);
const jsonlFile = fc.record({
  lines: fc.array(fc.tuple(recordLine, fc.boolean()), { maxLength: 300 }),
  trailingNewline: fc.boolean(),
  crlf: fc.constantFrom('never', 'always', 'sometimes'),
});
type JsonlFile = typeof jsonlFile extends fc.Arbitrary<infer T> ? T : never;

/** The file's bytes: each line ended by \n or \r\n, the last one's ending only with a trailing newline. */
function render({ lines, trailingNewline, crlf }: JsonlFile): Buffer {
  const parts = lines.map(([line, cr], i) => {
    const last = i === lines.length - 1;
    const eol = crlf === 'always' || (crlf === 'sometimes' && cr) ? '\r\n' : '\n';
    return last && !trailingNewline ? line : line + eol;
  });
  return Buffer.from(parts.join(''), 'utf8');
}

test('property: reading every range in order yields exactly the records and refs of reading the whole file', async () => {
  const dir = await tempDir();
  const input = fc.record({
    file: jsonlFile,
    targetBytes: fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 2000 })),
    batchSize: fc.integer({ min: 1, max: 50 }),
  });
  let run = 0;
  await fc.assert(
    fc.asyncProperty(input, async ({ file, targetBytes, batchSize }) => {
      const name = `split-${run++}.jsonl`;
      const bytes = render(file);
      await put(dir, name, bytes);
      const source = sourceFor(dir, { path: name });
      const whole = await readRange(source, {}, 1000);
      const ranges = await split(source, targetBytes);
      assert.ok(ranges.length >= 1);

      if (bytes.length === 0) {
        assert.deepEqual(ranges, [{}], 'an empty file is one range');
      } else {
        // Contiguous, starting at 0 and ending at the file's size, each from whole lines with its first line's number.
        assert.equal(ranges[0]?.from?.offset, 0);
        assert.equal(ranges[0]?.from?.line, 0);
        assert.equal(ranges.at(-1)?.until?.offset, bytes.length);
        for (const [i, range] of ranges.entries()) {
          const from = range.from?.offset;
          const until = range.until?.offset;
          assert.ok(typeof from === 'number' && typeof until === 'number', `range ${i} has numeric bounds`);
          assert.ok(until > from, `range ${i} is not empty`);
          if (i > 0) assert.equal(from, ranges[i - 1]?.until?.offset, `range ${i} starts where range ${i - 1} ends`);
          const newlinesBefore = bytes.subarray(0, from).filter((b) => b === 0x0a).length;
          assert.equal(range.from?.line, newlinesBefore, `range ${i} knows its first line's number`);
          assert.equal(range.from?.size, bytes.length, `range ${i} carries the file's size`);
          if (i < ranges.length - 1) {
            assert.equal(bytes[until - 1], 0x0a, `range ${i} ends at a line end`);
            assert.ok(until - from >= targetBytes, `range ${i} is at least targetBytes long`);
            // It ends at the first line end at or past its target, not later.
            const early = bytes.subarray(from + targetBytes - 1, until - 1);
            assert.ok(!early.includes(0x0a), `range ${i} ends at the first line end past its target`);
          }
        }
      }

      const records: unknown[] = [];
      const refs: string[] = [];
      for (const [i, range] of ranges.entries()) {
        const read = await readRange(source, range, batchSize);
        records.push(...read.records);
        refs.push(...read.refs);
        const until = range.until?.offset ?? bytes.length;
        assert.equal(read.progress.total, until, `range ${i}: progress total is the range end`);
        assert.equal(read.progress.done, until, `range ${i}: read up to its end and no further`);
        for (const end of read.ends) assert.ok(Number(end.offset) <= Number(until), `range ${i}: no batch ends past the range`);
      }
      assert.deepEqual(refs, whole.refs, 'the same refs, in order, none lost or repeated');
      assert.deepEqual(records, whole.records, 'the same records, in order');
      assert.equal(new Set(refs).size, refs.length, 'no ref twice');
      assert.equal(refs.length, file.lines.filter(([line]) => line !== '').length, 'every record line is read');
    }),
    { numRuns: 100, seed: 20240611 },
  );
});

test('a large file splits into many ranges that read like the whole file', async () => {
  const dir = await tempDir();
  const lines = Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ i, pad: 'é😀'.repeat(i % 23) }));
  await put(dir, 'big.jsonl', `${lines.join('\n')}\n`);
  const source = sourceFor(dir, { path: 'big.jsonl' });
  const ranges = await split(source, 64 * 1024);
  assert.ok(ranges.length > 10, `${ranges.length} ranges`);
  const refs: string[] = [];
  for (const range of ranges) refs.push(...(await readRange(source, range, 997)).refs);
  assert.deepEqual(refs, lines.map((_, i) => `big.jsonl:${i + 1}`));
});

test('CSV, gzip JSON Lines, gzip CSV and an empty file are one range [{}]', async () => {
  const dir = await tempDir();
  const jsonl = '{"a":1}\n{"a":2}\n{"a":3}\n';
  await put(dir, 'people.csv', 'id,name\n1,Ada\n2,Grace\n3,Alan\n');
  await put(dir, 'people.csv.gz', 'id,name\n1,Ada\n2,Grace\n');
  await put(dir, 'events.jsonl.gz', jsonl);
  await put(dir, 'events.bin', jsonl);
  await put(dir, 'empty.jsonl', '');
  const cases: [string, object][] = [
    ['people.csv', { path: 'people.csv' }],
    ['people.csv.gz', { path: 'people.csv.gz' }],
    ['events.jsonl.gz', { path: 'events.jsonl.gz' }],
    ['gzip: true on another name', { path: 'events.bin', format: 'jsonl', gzip: true }],
    ['empty.jsonl', { path: 'empty.jsonl' }],
  ];
  for (const [what, options] of cases) {
    for (const targetBytes of [1, 8, 1 << 20]) {
      assert.deepEqual(await split(sourceFor(dir, options), targetBytes), [{}], `${what} at ${targetBytes}`);
    }
  }
  // The single range reads the whole input.
  const read = await readRange(sourceFor(dir, { path: 'events.jsonl.gz' }), {}, 2);
  assert.deepEqual(read.refs, ['events.jsonl.gz:1', 'events.jsonl.gz:2', 'events.jsonl.gz:3']);
  assert.deepEqual((await readRange(sourceFor(dir, { path: 'empty.jsonl' }), {}, 2)).records, []);
});

test('a task opened after the file was appended to, rewritten or touched fails with SLUICE_RESUME_MISMATCH', async () => {
  const dir = await tempDir();
  const content = '{"a":1}\n{"a":2}\n{"a":3}\n{"a":4}\n';
  const changes: [string, (path: string) => Promise<void>][] = [
    ['appended to', (path) => appendFile(path, '{"a":5}\n')],
    ['rewritten longer', (path) => writeFile(path, `${content}{"a":5}\n`)],
    ['rewritten shorter', (path) => writeFile(path, '{"a":1}\n{"a":2}\n')],
    ['rewritten empty', (path) => writeFile(path, '')],
    ['touched (same size, another mtime)', (path) => utimes(path, new Date(2001, 1, 1), new Date(2001, 1, 1))],
  ];
  for (const [what, change] of changes) {
    const name = `change-${changes.findIndex(([w]) => w === what)}.jsonl`;
    await put(dir, name, content);
    const source = sourceFor(dir, { path: name });
    const ranges = await split(source, 16);
    assert.equal(ranges.length, 2);
    await change(join(dir, name));
    for (const [i, range] of ranges.entries()) {
      await rejectsWithCode(readRange(source, range, 10), 'SLUICE_RESUME_MISMATCH', `${what}, range ${i}`);
    }
  }
});

test('an until that is not a number, not after from, or beyond the file size fails with SLUICE_RESUME_MISMATCH', async () => {
  const dir = await tempDir();
  const content = '{"a":1}\n{"a":2}\n{"a":3}\n{"a":4}\n'; // 32 bytes
  await put(dir, 'until.jsonl', content);
  const source = sourceFor(dir, { path: 'until.jsonl' });
  const [first, second] = await split(source, 16);
  assert.ok(first?.from && second?.from);
  assert.deepEqual([first.from.offset, first.until?.offset, second.from.offset, second.until?.offset], [0, 16, 16, 32]);
  const bad: [string, SourcePosition | undefined, SourcePosition][] = [
    ['a string offset', second.from, { offset: '32' }],
    ['no offset', second.from, {}],
    ['a fractional offset', second.from, { offset: 24.5 }],
    ['a NaN offset', second.from, { offset: Number.NaN }],
    ['an unsafe integer offset', second.from, { offset: 2 ** 60 }],
    ['equal to from', second.from, { offset: 16 }],
    ['before from', second.from, { offset: 8 }],
    ['zero, opened at the start', undefined, { offset: 0 }],
    ['negative', undefined, { offset: -1 }],
    ['one past the file size', second.from, { offset: 33 }],
    ['far past the file size', first.from, { offset: 1 << 30 }],
  ];
  const before = await openDescriptors();
  for (const [what, from, until] of bad) {
    await rejectsWithCode(readRange(source, { ...(from ? { from } : {}), until }, 10), 'SLUICE_RESUME_MISMATCH', what);
  }
  const leaked = before === undefined ? 0 : ((await openDescriptors()) ?? before) - before;
  assert.ok(leaked <= 0, `a refused until leaves no descriptor open (${leaked} left)`);
  // The bounds themselves are accepted: the file size, and from the start without a from.
  assert.deepEqual((await readRange(source, { from: second.from, until: { offset: 32 } }, 10)).refs, ['until.jsonl:3', 'until.jsonl:4']);
  assert.deepEqual((await readRange(source, { until: { offset: 16 } }, 10)).refs, ['until.jsonl:1', 'until.jsonl:2']);
});

test('progress().total of a range reader is the range end, and done reaches it', async () => {
  const dir = await tempDir();
  await put(dir, 'progress.jsonl', Array.from({ length: 40 }, (_, i) => `{"i":${i}}\n`).join(''));
  const source = sourceFor(dir, { path: 'progress.jsonl' });
  const ranges = await split(source, 50);
  assert.ok(ranges.length > 2);
  for (const range of ranges) {
    const reader = await source.open(range.from, { follow: false, ...(range.until ? { until: range.until } : {}) });
    try {
      assert.equal(reader.progress().total, range.until?.offset, 'before reading');
      for await (const _ of reader.batches(3)) assert.equal(reader.progress().total, range.until?.offset, 'while reading');
      assert.deepEqual(reader.progress(), { done: range.until?.offset, total: range.until?.offset }, 'after reading');
    } finally {
      await reader.close();
    }
  }
  // Without until, the total is the file's size.
  const whole = await source.open(undefined, { follow: false });
  assert.equal(whole.progress().total, ranges.at(-1)?.until?.offset);
  await whole.close();
});
