// Tests of the CSV parser: RFC 4180 round trips through the line reader, headers, and every malformed shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isSluiceError } from '../../errors.ts';
import { CsvParser } from './csv-parser.ts';
import type { CsvOutput, CsvRecord } from './csv-parser.ts';
import { readLines } from './line-reader.ts';

/** RFC 4180 §2.5–2.7: quote a field holding the delimiter, a quote or a line break, doubling its quotes. */
function quote(cell: string | null, delimiter: string): string {
  if (cell === null) return '';
  if (cell === '' || cell.includes(delimiter) || /["\r\n]/.test(cell)) return `"${cell.replace(/"/g, '""')}"`;
  return cell;
}

function serialize(rows: readonly (readonly (string | null)[])[], delimiter: string, eol: string): string {
  return rows.map((row) => row.map((cell) => quote(cell, delimiter)).join(delimiter)).join(eol) + eol;
}

/** Runs text through the line reader and the parser, as the file source does. */
async function parse(text: string, delimiter = ',', maxRecordBytes = 1 << 20): Promise<CsvOutput[]> {
  const parser = new CsvParser({ delimiter, maxRecordBytes, name: 'test.csv' });
  const out: CsvOutput[] = [];
  async function* once(): AsyncGenerator<Buffer> {
    yield Buffer.from(text, 'utf8');
  }
  for await (const items of readLines(once(), { maxLineBytes: 1 << 20, skipEmpty: false })) {
    for (const item of items) {
      assert.equal(item.kind, 'line');
      if (item.kind !== 'line') continue;
      const result = parser.push(item);
      if (result) out.push(result);
    }
  }
  const last = parser.finish();
  if (last) out.push(last);
  return out;
}

function record(names: readonly string[], cells: readonly (string | null)[]): CsvRecord {
  const r = Object.create(null) as CsvRecord;
  names.forEach((name, k) => (r[name] = cells[k] ?? null));
  return r;
}

const special = fc.constantFrom(',', ';', '\t', '"', '""', '\n', '\r', '\r\n', ' ', 'é', '😀', '中', '\u2028');
const cellText = fc.string({ unit: fc.oneof(special, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })), maxLength: 12 });

test('property: RFC 4180 rows of arbitrary strings parse back equal', async () => {
  const table = fc
    .record({
      names: fc.uniqueArray(
        cellText.filter((n) => n.trim() !== '' && !n.startsWith('\uFEFF')),
        { minLength: 1, maxLength: 5 },
      ),
      delimiter: fc.constantFrom(',', ';', '\t', '|'),
      eol: fc.constantFrom('\n', '\r\n'),
    })
    .chain(({ names, delimiter, eol }) =>
      fc.record({
        names: fc.constant(names),
        delimiter: fc.constant(delimiter),
        eol: fc.constant(eol),
        // A lone null cell would be an empty line, which CSV cannot tell from no record at all.
        rows: fc.array(
          fc.array(names.length === 1 ? cellText : fc.option(cellText), { minLength: names.length, maxLength: names.length }),
          { maxLength: 8 },
        ),
      }),
    );
  await fc.assert(
    fc.asyncProperty(table, async ({ names, delimiter, eol, rows }) => {
      const out = await parse(serialize([names, ...rows], delimiter, eol), delimiter);
      assert.deepEqual(
        out.map((o) => (o.kind === 'record' ? o.record : o)),
        rows.map((row) => record(names, row)),
      );
    }),
    { seed: 4180, numRuns: 400 },
  );
});

test('an empty unquoted cell is null, a quoted empty cell is the empty string', async () => {
  const [out] = await parse('a,b,c\n,"",x\n');
  assert.deepEqual(out, { kind: 'record', record: record(['a', 'b', 'c'], [null, '', 'x']), line: 2 });
});

test('a record spanning lines is named by its first line; blank lines between records are skipped', async () => {
  const out = await parse('id,note\n\n1,"two\n\nlines"\n2,x\n');
  assert.deepEqual(
    out.map((o) => [o.line, o.kind === 'record' ? o.record.note : o.reason]),
    [
      [3, 'two\n\nlines'],
      [6, 'x'],
    ],
  );
});

test('a quoted line break written as \\r\\n stays \\r\\n', async () => {
  const [out] = await parse('id,note\r\n1,"a\r\nb"\r\n');
  assert.equal(out?.kind === 'record' && out.record.note, 'a\r\nb');
});

test('the delimiter is configurable', async () => {
  const [out] = await parse('a;b\n"x;y";z\n', ';');
  assert.deepEqual(out, { kind: 'record', record: record(['a', 'b'], ['x;y', 'z']), line: 2 });
});

test('a column named __proto__ is an inert own property of a prototype-less record', async () => {
  const [out] = await parse('__proto__,polluted\n{},yes\n');
  assert.ok(out?.kind === 'record');
  assert.equal(Object.getPrototypeOf(out.record), null);
  assert.equal(out.record.__proto__, '{}');
  assert.equal(({} as { polluted?: unknown }).polluted, undefined);
});

test('a header with an empty or repeated name fails, naming every column at fault', async () => {
  for (const [text, pattern] of [
    ['a,,b\n1,2,3\n', /test\.csv:1: .*column 2 has no name/],
    ['a,b,a\n', /column 3 repeats the name 'a' of column 1/],
    ['x,x,\n', /column 2 repeats .*column 3 has no name/],
  ] as const) {
    await assert.rejects(parse(text), (error: unknown) => isSluiceError(error, 'SLUICE_INPUT_MALFORMED') && pattern.test(error.message));
  }
});

test('a record with the wrong number of fields is malformed, naming the line and both counts', async () => {
  const out = await parse('a,b\n1,2,3\n4\n5,6\n');
  assert.deepEqual(
    out.map((o) => (o.kind === 'malformed' ? [o.line, o.raw] : [o.line, 'ok'])),
    [
      [2, '1,2,3'],
      [3, '4'],
      [4, 'ok'],
    ],
  );
  assert.match(out[0]?.kind === 'malformed' ? out[0].reason : '', /line 2 has 3 fields, expected 2/);
});

test('text after a closing quote is malformed; the next record still parses', async () => {
  const out = await parse('a,b\n"x"y,1\n2,3\n');
  assert.equal(out[0]?.kind, 'malformed');
  assert.match(out[0]?.kind === 'malformed' ? out[0].reason : '', /after a closing quote on line 2, character 4/);
  assert.equal(out[1]?.kind, 'record');
});

test('a quoted field never closed is malformed at the end, and bounded by maxRecordBytes on the way', async () => {
  const [unclosed] = await parse('a,b\n1,"open\nmore\n');
  assert.ok(unclosed?.kind === 'malformed');
  assert.equal(unclosed.line, 2);
  assert.match(unclosed.reason, /opened on line 2 is never closed/);
  const out = await parse(`a,b\n1,"${'x'.repeat(50)}\n${'y'.repeat(50)}\n3,4\n`, ',', 64);
  assert.ok(out[0]?.kind === 'malformed');
  assert.match(out[0].reason, /still open after maxLineBytes \(64 bytes\)/);
  assert.equal(out[1]?.kind === 'record' && out[1].record.a, '3');
});

test('a delimiter must be one character other than a quote or line break', () => {
  for (const delimiter of ['', ',,', '"', '\n']) {
    assert.throws(() => new CsvParser({ delimiter, maxRecordBytes: 10, name: 'x' }), TypeError);
  }
});
