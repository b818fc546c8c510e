// Tests of the file source: spec, resume from any batch end (plain and gzip), each bad input, quarantine.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, utimes, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { isSluiceError } from '../../errors.ts';
import type { ErrorCode } from '../../errors.ts';
import type { SourceBatch, SourcePosition } from '../source.ts';
import { fileSource } from './file-source.ts';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-file-source-'));
  dirs.push(dir);
  return dir;
}

/** Writes `name` in `dir`, gzip-compressed when the name ends in .gz. */
async function put(dir: string, name: string, content: string | Buffer): Promise<void> {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  await writeFile(join(dir, name), name.endsWith('.gz') ? gzipSync(bytes) : bytes);
}

async function readAll(dir: string, options: object, from?: SourcePosition, batchSize = 2): Promise<SourceBatch[]> {
  const source = fileSource.create(fileSource.spec.parse(options), { baseDir: dir, pipeline: 'test' });
  const reader = await source.open(from);
  const batches: SourceBatch[] = [];
  try {
    for await (const batch of reader.batches(batchSize)) batches.push(batch);
    const { done, total } = reader.progress();
    assert.equal(done, total, 'the whole file was read');
  } finally {
    await reader.close();
  }
  return batches;
}

const rejectsWith = (code: ErrorCode, pattern?: RegExp) => (error: unknown) => {
  assert.ok(isSluiceError(error, code), `expected ${code}, got ${String(error)}`);
  if (pattern) assert.match(error.message, pattern);
  return true;
};

test('the spec examples are valid options', () => {
  for (const example of fileSource.examples) assert.ok(fileSource.spec.safeParse(example).success, JSON.stringify(example));
});

test('the spec rejects unknown keys, an unknown format, csv options on JSON Lines and out-of-range limits', () => {
  const invalid: [object, string][] = [
    [{ path: 'a.csv', colour: 'red' }, ''],
    [{ path: 'data.txt' }, 'format'],
    [{ path: 'a.jsonl', csv: { delimiter: ';' } }, 'csv'],
    [{ path: 'a.csv', csv: { delimiter: '"' } }, 'csv.delimiter'],
    [{ path: 'a.csv', maxLineBytes: 0 }, 'maxLineBytes'],
    [{ path: 'a.csv', maxLineBytes: 512 * 1024 * 1024 }, 'maxLineBytes'],
  ];
  for (const [options, path] of invalid) {
    const result = fileSource.spec.safeParse(options);
    assert.ok(!result.success, JSON.stringify(options));
    assert.equal(result.error.issues[0]?.path.join('.'), path, JSON.stringify(options));
  }
  assert.ok(fileSource.spec.safeParse({ path: 'data.txt', format: 'jsonl' }).success);
});

test('JSON Lines: records with refs, positions with the fingerprint, empty lines skipped', async () => {
  const dir = await tempDir();
  await put(dir, 'people.ndjson', '{"a":1}\n\n{"a":2}\n{"a":3}');
  const batches = await readAll(dir, { path: 'people.ndjson' });
  assert.deepEqual(
    batches.map((b) => [b.records.map((r) => ({ ...(r as object) })), b.refs, b.end.offset, b.end.line]),
    [
      [[{ a: 1 }, { a: 2 }], ['people.ndjson:1', 'people.ndjson:3'], 17, 3],
      [[{ a: 3 }], ['people.ndjson:4'], 24, 4],
    ],
  );
  assert.equal(batches[0]?.end.size, 24);
  assert.equal(typeof batches[0]?.end.mtimeMs, 'number');
});

test('a \\r\\n CSV file reads like a \\n one', async () => {
  const dir = await tempDir();
  await put(dir, 'crlf.csv', 'id,name\r\n1,Ada\r\n2,"Grace\r\nHopper"\r\n');
  const [batch] = await readAll(dir, { path: 'crlf.csv' });
  assert.deepEqual(
    batch?.records.map((r) => ({ ...(r as object) })),
    [
      { id: '1', name: 'Ada' },
      { id: '2', name: 'Grace\r\nHopper' },
    ],
  );
  assert.deepEqual(batch?.refs, ['crlf.csv:2', 'crlf.csv:3']);
});

test('a __proto__ key in a JSON line stays an inert own property', async () => {
  const dir = await tempDir();
  await put(dir, 'proto.jsonl', '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"a":1}\n');
  const [batch] = await readAll(dir, { path: 'proto.jsonl' });
  const record = batch?.records[0] as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(record), null);
  assert.ok(Object.hasOwn(record, '__proto__'));
  assert.deepEqual(Object.keys(record), ['__proto__', 'constructor', 'a']);
  assert.equal(({} as { polluted?: unknown }).polluted, undefined);
});

const jsonlLine = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .dictionary(fc.string({ maxLength: 4 }), fc.oneof(fc.string({ maxLength: 6 }), fc.integer()))
      .map((o) => JSON.stringify(o)),
  },
  { weight: 1, arbitrary: fc.constantFrom('', '\r', 'not json', '[1]', '"é"') },
);
const csvLine = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.nat(99), fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r\n', 'ü'), maxLength: 6 }))
      .map(([id, note]) => `${id},"${note.replace(/"/g, '""')}"`),
  },
  { weight: 1, arbitrary: fc.constantFrom('', 'too,many,fields', 'alone') },
);

test('property: resuming from the end of batch k yields exactly the remaining batches, plain and gzip', async () => {
  const dir = await tempDir();
  const input = fc.record({
    format: fc.constantFrom('jsonl', 'csv'),
    jsonl: fc.array(jsonlLine, { maxLength: 14 }),
    csv: fc.array(csvLine, { maxLength: 14 }),
    eol: fc.constantFrom('\n', '\r\n'),
    batchSize: fc.integer({ min: 1, max: 4 }),
  });
  let run = 0;
  await fc.assert(
    fc.asyncProperty(input, async ({ format, jsonl, csv, eol, batchSize }) => {
      const lines = format === 'csv' ? ['id,note', ...csv] : jsonl;
      const text = lines.join(eol);
      for (const gz of ['', '.gz']) {
        const name = `resume-${run++}.${format}${gz}`;
        await put(dir, name, text);
        const options = { path: name, onMalformed: 'quarantine' };
        const all = await readAll(dir, options, undefined, batchSize);
        for (let k = 0; k < all.length; k++) {
          const rest = await readAll(dir, options, all[k]?.end, batchSize);
          assert.deepEqual(rest, all.slice(k + 1), `${name} from batch ${k}`);
        }
      }
    }),
    { seed: 1235, numRuns: 40 },
  );
});

const badInputs: { name: string; file: string; content: string | Buffer; options?: object; pattern: RegExp }[] = [
  {
    name: 'over-long line',
    file: 'long.jsonl',
    content: `{"a":1}\n{"a":"${'x'.repeat(64)}"}\n{"a":3}\n`,
    options: { maxLineBytes: 32 },
    pattern: /long\.jsonl:2: .*maxLineBytes \(32 bytes\)/,
  },
  {
    name: 'invalid UTF-8',
    file: 'latin1.jsonl',
    content: Buffer.concat([Buffer.from('{"a":1}\n{"a":"caf'), Buffer.from([0xe9]), Buffer.from('"}\n{"a":3}\n')]),
    pattern: /latin1\.jsonl:2: byte 0xE9 at byte column 10/,
  },
  { name: 'bad JSON', file: 'bad.jsonl', content: '{"a":1}\nsecret-value\n{"a":3}\n', pattern: /bad\.jsonl:2: not valid JSON/ },
  {
    name: 'non-object JSON',
    file: 'array.jsonl',
    content: '{"a":1}\n[1,2]\n{"a":3}\n',
    pattern: /array\.jsonl:2: the line holds an array, not a JSON object/,
  },
  {
    name: 'wrong CSV column count',
    file: 'cols.csv',
    content: 'a\n1\n2,2\n3\n',
    pattern: /cols\.csv:3: the record on line 3 has 2 fields, expected 1/,
  },
];

for (const bad of badInputs) {
  test(`${bad.name}: fails with SLUICE_INPUT_MALFORMED naming file:line, or is quarantined while reading goes on`, async () => {
    const dir = await tempDir();
    await put(dir, bad.file, bad.content);
    await assert.rejects(readAll(dir, { path: bad.file, ...bad.options }), rejectsWith('SLUICE_INPUT_MALFORMED', bad.pattern));
    // The message says how to fix, and never quotes the data (it may be personal).
    const hint = (error: Error) => /onMalformed: quarantine/.test(error.message) && !error.message.includes('secret');
    await assert.rejects(readAll(dir, { path: bad.file, ...bad.options }), hint);
    const batches = await readAll(dir, { path: bad.file, onMalformed: 'quarantine', ...bad.options }, undefined, 10);
    const [batch] = batches;
    assert.equal(batches.length, 1);
    assert.equal(batch?.records.length, 2);
    assert.equal(batch?.malformed.length, 1);
    const [m] = batch?.malformed ?? [];
    assert.equal(m?.ref, `${bad.file}:${bad.file.endsWith('.csv') ? 3 : 2}`);
    assert.ok(m && m.reason.length > 0);
    if (bad.name === 'invalid UTF-8') assert.equal(m?.raw, undefined);
    else assert.ok(m?.raw !== undefined && Buffer.byteLength(m.raw) <= 1024);
  });
}

test('an over-long line keeps only its first KiB as raw', async () => {
  const dir = await tempDir();
  await put(dir, 'huge.jsonl', `${'y'.repeat(5000)}\n{"a":1}\n`);
  const [batch] = await readAll(dir, { path: 'huge.jsonl', maxLineBytes: 2048, onMalformed: 'quarantine' });
  assert.equal(batch?.malformed[0]?.raw, 'y'.repeat(1024));
  assert.equal(batch?.records.length, 1);
});

test('a missing file, a directory or a corrupt gzip file is SLUICE_INPUT_UNREADABLE naming the path', async () => {
  const dir = await tempDir();
  await put(dir, 'broken.jsonl', '');
  await writeFile(join(dir, 'corrupt.jsonl.gz'), 'this is not gzip data');
  const missing = /missing\.jsonl: it does not exist; check path/;
  await assert.rejects(readAll(dir, { path: 'missing.jsonl' }), rejectsWith('SLUICE_INPUT_UNREADABLE', missing));
  await assert.rejects(readAll(dir, { path: '.', format: 'jsonl' }), rejectsWith('SLUICE_INPUT_UNREADABLE', /not a regular file/));
  await assert.rejects(readAll(dir, { path: 'corrupt.jsonl.gz' }), rejectsWith('SLUICE_INPUT_UNREADABLE', /not a valid gzip file/));
});

test('a CSV header with a repeated name fails whatever onMalformed says', async () => {
  const dir = await tempDir();
  await put(dir, 'dup.csv', 'id,id\n1,2\n');
  const options = { path: 'dup.csv', onMalformed: 'quarantine' };
  await assert.rejects(readAll(dir, options), rejectsWith('SLUICE_INPUT_MALFORMED', /dup\.csv:1: .*column 2 repeats/));
});

test('a file changed after the resume position resumes; changed before it, SLUICE_RESUME_MISMATCH says --fresh', async () => {
  const dir = await tempDir();
  await put(dir, 'grow.jsonl', '{"a":1}\n{"a":2}\n{"a":3}\n');
  const [first] = await readAll(dir, { path: 'grow.jsonl' }, undefined, 1);
  assert.ok(first);
  await appendFile(join(dir, 'grow.jsonl'), '{"a":4}\n');
  const rest = await readAll(dir, { path: 'grow.jsonl' }, first.end);
  assert.deepEqual(rest.flatMap((b) => b.records), [{ a: 2 }, { a: 3 }, { a: 4 }].map((r) => Object.assign(Object.create(null) as object, r)));
  await put(dir, 'grow.jsonl', '{"a":9}\n{"a":2}\n{"a":3}\n');
  const changed = /changed before the position .*--fresh/;
  await assert.rejects(readAll(dir, { path: 'grow.jsonl' }, first.end), rejectsWith('SLUICE_RESUME_MISMATCH', changed));
  await put(dir, 'grow.jsonl.gz', '{"a":1}\n{"a":2}\n');
  const [gz] = await readAll(dir, { path: 'grow.jsonl.gz' }, undefined, 1);
  assert.ok(gz);
  await utimes(join(dir, 'grow.jsonl.gz'), new Date(2001, 1, 1), new Date(2001, 1, 1));
  await assert.rejects(readAll(dir, { path: 'grow.jsonl.gz' }, gz.end), rejectsWith('SLUICE_RESUME_MISMATCH'), 'a changed gzip file cannot be checked, so it is refused');
  await assert.rejects(readAll(dir, { path: 'grow.jsonl' }, { offset: 'x', line: 1 }), rejectsWith('SLUICE_RESUME_MISMATCH'));
});

test('closing a reader part way through releases the file', async () => {
  const dir = await tempDir();
  await put(dir, 'many.jsonl', '{"a":1}\n'.repeat(100_000));
  const reader = await fileSource.create(fileSource.spec.parse({ path: 'many.jsonl' }), { baseDir: dir, pipeline: 'test' }).open(undefined);
  for await (const batch of reader.batches(10)) {
    assert.equal(batch.records.length, 10);
    break;
  }
  assert.ok(reader.progress().done < 800_000, 'reads lazily, not the whole file');
  await reader.close();
});

test('resuming a large file mid-way, plain and gzip, crosses many chunks and matches a full read', async () => {
  const dir = await tempDir();
  const text = Array.from({ length: 30_000 }, (_, i) => JSON.stringify({ i, pad: 'é'.repeat(i % 17) })).join('\n');
  for (const name of ['big.jsonl', 'big.jsonl.gz']) {
    await put(dir, name, text);
    const all = await readAll(dir, { path: name }, undefined, 997);
    assert.equal(all.reduce((n, b) => n + b.records.length, 0), 30_000);
    for (const k of [0, 13, all.length - 2]) {
      assert.deepEqual(await readAll(dir, { path: name }, all[k]?.end, 997), all.slice(k + 1), `${name} from batch ${k}`);
    }
  }
});

test('a CSV quoted field left open at the end is malformed through the last line', async () => {
  const dir = await tempDir();
  await put(dir, 'open.csv', 'a,b\n1,2\n3,"open\nmore');
  const never = /open\.csv:3: a quoted field opened on line 3 is never closed/;
  await assert.rejects(readAll(dir, { path: 'open.csv' }), rejectsWith('SLUICE_INPUT_MALFORMED', never));
  const [batch] = await readAll(dir, { path: 'open.csv', onMalformed: 'quarantine' }, undefined, 10);
  const reason = 'a quoted field opened on line 3 is never closed; add the closing quote';
  assert.deepEqual(batch?.malformed, [{ ref: 'open.csv:3', reason, raw: '3,"open\nmore' }]);
  assert.deepEqual([batch?.end.offset, batch?.end.line], [20, 4]);
});

test('a gzip bomb without newlines fails on maxLineBytes (line-reader.test.ts shows it stops early)', async () => {
  const dir = await tempDir();
  await put(dir, 'bomb.jsonl.gz', Buffer.alloc(16 * 1024 * 1024, 0x20));
  const options = fileSource.spec.parse({ path: 'bomb.jsonl.gz', maxLineBytes: 1024 });
  const source = fileSource.create(options, { baseDir: dir, pipeline: 'test' });
  const reader = await source.open(undefined);
  await assert.rejects(
    (async () => {
      for await (const _ of reader.batches(10)) assert.fail('no batch expected');
    })(),
    rejectsWith('SLUICE_INPUT_MALFORMED', /bomb\.jsonl\.gz:1: the line is longer than maxLineBytes \(1024 bytes\)/),
  );
  await reader.close();
});
