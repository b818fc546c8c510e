// Line and column of a string offset, counted the way SARIF 2.1.0 counts them by default: lines are 1-based and
// end at LF or CRLF (run.newlineSequences defaults to ["\r\n", "\n"], so a lone CR ends no line); columns are
// 1-based UTF-16 code units (run.columnKind "utf16CodeUnits"), which is what JavaScript string offsets are.

/** A 1-based line and column. */
export interface TextPosition {
  line: number;
  column: number;
}

/** The offset each line starts at, in order: `starts[0]` is 0, and a line starts after every LF. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let lf = text.indexOf('\n'); lf >= 0; lf = text.indexOf('\n', lf + 1)) starts.push(lf + 1);
  return starts;
}

/** The index into `starts` of the line holding `offset` (a binary search for the last start at or before it). */
function lineIndexOf(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The line and column of `offset` (0 to the text's length; the text's length is the position after its last
 * character, as an exclusive end is).
 */
export function positionAt(starts: readonly number[], offset: number): TextPosition {
  const index = lineIndexOf(starts, offset);
  return { line: index + 1, column: offset - starts[index]! + 1 };
}

/** The offset of a 1-based line and column: the inverse of `positionAt`. */
export function offsetAt(starts: readonly number[], position: TextPosition): number {
  return starts[position.line - 1]! + position.column - 1;
}

/** The text of the 1-based line `line`, without its line end (LF, or CRLF). */
export function lineText(text: string, starts: readonly number[], line: number): string {
  const start = starts[line - 1]!;
  let end = line < starts.length ? starts[line]! - 1 : text.length;
  if (end > start && text.charCodeAt(end - 1) === 13 && line < starts.length) end--;
  return text.slice(start, end);
}
