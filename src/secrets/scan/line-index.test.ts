// Offsets to lines and columns: known cases (CRLF, a lone CR, astral characters, the end of the text) and, for
// any text and offset, agreement with a plain reference count and a round trip through offsetAt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { lineStarts, lineText, offsetAt, positionAt } from './line-index.ts';

test('line index: known positions', () => {
  const text = 'ab\ncd\r\nef\rgh\n😀x';
  const starts = lineStarts(text);
  assert.deepEqual(starts, [0, 3, 7, 13]);
  const at = (offset: number) => positionAt(starts, offset);
  assert.deepEqual(at(0), { line: 1, column: 1 });
  assert.deepEqual(at(2), { line: 1, column: 3 }, 'the LF itself is the last column of its line');
  assert.deepEqual(at(3), { line: 2, column: 1 });
  assert.deepEqual(at(5), { line: 2, column: 3 }, 'the CR of a CRLF belongs to the line it ends');
  assert.deepEqual(at(10), { line: 3, column: 4 }, 'a lone CR ends no line (SARIF newlineSequences default)');
  assert.deepEqual(at(15), { line: 4, column: 3 }, 'columns count UTF-16 code units: an emoji is two');
  assert.deepEqual(at(text.length), { line: 4, column: 4 }, 'the end of the text is a position too');
  assert.deepEqual([1, 2, 3, 4].map((line) => lineText(text, starts, line)), ['ab', 'cd', 'ef\rgh', '😀x']);
});

test('line index: empty text and a text ending in a line break', () => {
  assert.deepEqual(positionAt(lineStarts(''), 0), { line: 1, column: 1 });
  const starts = lineStarts('a\n');
  assert.deepEqual(positionAt(starts, 2), { line: 2, column: 1 });
  assert.equal(lineText('a\n', starts, 2), '');
});

/** Texts rich in line breaks and multi-unit characters. */
const texts = fc.array(fc.oneof(fc.constantFrom('\n', '\r\n', '\r', 'a', 'é', '😀', '\t', ' '), fc.string({ maxLength: 8 })), { maxLength: 40 }).map((parts) => parts.join(''));

test('line index: for any text and offset, the line is one more than the LFs before it and the column counts from the last one', () => {
  fc.assert(
    fc.property(
      texts.chain((text) => fc.tuple(fc.constant(text), fc.nat({ max: text.length }))),
      ([text, offset]) => {
        const starts = lineStarts(text);
        const { line, column } = positionAt(starts, offset);
        const before = text.slice(0, offset);
        assert.equal(line, before.split('\n').length);
        assert.equal(column, offset - (before.lastIndexOf('\n') + 1) + 1);
        assert.equal(offsetAt(starts, { line, column }), offset, 'offsetAt inverts positionAt');
        assert.ok(column - 1 <= lineText(text, starts, line).length + 1, 'the column lies on its line (or at its end)');
      },
    ),
    { numRuns: 2000 },
  );
});

test('line index: positions grow with offsets', () => {
  fc.assert(
    fc.property(texts, (text) => {
      const starts = lineStarts(text);
      let previous = { line: 1, column: 0 };
      for (let offset = 0; offset <= text.length; offset++) {
        const p = positionAt(starts, offset);
        assert.ok(p.line > previous.line || (p.line === previous.line && p.column === previous.column + 1), `${offset}: ${JSON.stringify(p)}`);
        if (p.line > previous.line) assert.equal(p.column, 1);
        previous = p;
      }
    }),
    { numRuns: 500 },
  );
});
