// Splits a byte stream into UTF-8-checked lines with 1-based numbers and byte offsets, a chunk at a time.
import { isUtf8 } from 'node:buffer';

/** One line, without its `\n` and without a `\r` right before it. */
export interface Line {
  kind: 'line';
  text: string;
  /** 1-based line number. */
  line: number;
  /** Byte offset of the line's first byte. */
  start: number;
  /** Byte offset just after the line's `\n` (or after its last byte at the end of the input). */
  end: number;
  /** Whether a `\r` was stripped: a CSV field that spans lines needs it back. */
  cr: boolean;
}

/** A line that cannot be read as text: longer than the limit, or not UTF-8. */
export interface LineIssue {
  kind: 'issue';
  line: number;
  start: number;
  end: number;
  problem: 'too-long' | 'not-utf8';
  /** What is wrong and how to fix it, without the file name (the caller adds `file:line`). */
  reason: string;
  /** The start of the line (at most 1 KiB) when it is valid UTF-8. */
  raw?: string;
}

export type LineItem = Line | LineIssue;

export interface LineReaderOptions {
  /** Longest line accepted, in bytes, not counting `\r\n`. */
  maxLineBytes: number;
  /** Skip empty lines (they still count in line numbers). CSV turns this off: a quoted field may hold one. */
  skipEmpty?: boolean;
  /** Byte offset of the first byte the stream yields (a plain file resumed with `start`). */
  offset?: number;
  /** Drop bytes before this offset without splitting them (a gzip file resumed from the start). */
  skipTo?: number;
  /** Lines before the first one read, so numbering continues on resume. */
  line?: number;
  /**
   * Report an over-long line as soon as it passes the limit, then stop, rather than at its end. For callers
   * that fail on it anyway: a gzip bomb without newlines is not inflated to its end just to find that out.
   */
  stopAtTooLong?: boolean;
}

/** How much of a bad line is kept for quarantine. */
export const RAW_PREVIEW_BYTES = 1024;
// Kept of an over-long line: the preview plus room to finish a character cut at the preview's end.
const HEAD_BYTES = RAW_PREVIEW_BYTES + 3;

/**
 * Reads lines from `chunks`. Yields one array per chunk so that a 100 MB file costs thousands of awaits,
 * not millions. Lines spanning chunks are joined; an over-long line is discarded as it streams past, so
 * memory stays bounded by `maxLineBytes` however large the (decompressed) input is.
 */
export async function* readLines(
  chunks: AsyncIterable<Uint8Array>,
  options: LineReaderOptions,
): AsyncGenerator<LineItem[], void, undefined> {
  const max = options.maxLineBytes;
  const skipEmpty = options.skipEmpty ?? true;
  let pos = options.offset ?? 0; // offset of the next byte to arrive
  let skip = Math.max(0, (options.skipTo ?? pos) - pos);
  let lineNo = options.line ?? 0;
  let lineStart = pos + skip; // offset where the pending line began
  let pending: Buffer[] = [];
  let pendingLen = 0;
  let overlongHead: Buffer | undefined; // set while discarding the rest of an over-long line
  let overlongLen = 0;

  const emit = (buf: Buffer, s: number, e: number, end: number, checked: boolean, out: LineItem[]): void => {
    lineNo++;
    const start = lineStart;
    lineStart = end;
    let cr = false;
    if (e > s && buf[e - 1] === 13) {
      e--;
      cr = true;
    }
    if (e === s && skipEmpty) return;
    if (e - s > max) {
      out.push(tooLong(buf.subarray(s, Math.min(e, s + HEAD_BYTES)), lineNo, start, end, max));
      return;
    }
    if (!checked && !isUtf8(buf.subarray(s, e))) {
      out.push(notUtf8(buf.subarray(s, e), lineNo, start, end));
      return;
    }
    let text = buf.toString('utf8', s, e);
    // A UTF-8 byte order mark (as spreadsheet exports write) is not part of the first line's text.
    if (start === 0 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    out.push({ kind: 'line', text, line: lineNo, start, end, cr });
  };

  const absorb = (part: Buffer): void => {
    if (part.length === 0) return;
    if (overlongHead !== undefined) {
      // Keep filling the preview so it does not depend on where the chunks happened to break.
      overlongLen += part.length;
      if (overlongHead.length < HEAD_BYTES) {
        overlongHead = Buffer.concat([overlongHead, part], Math.min(HEAD_BYTES, overlongHead.length + part.length));
      }
      return;
    }
    pending.push(part);
    pendingLen += part.length;
    // +1: the line may still end in a `\r` that does not count.
    if (pendingLen > max + 1) {
      overlongHead = Buffer.concat(pending, Math.min(pendingLen, HEAD_BYTES)); // truncates: copies only the head
      overlongLen = pendingLen;
      pending = [];
      pendingLen = 0;
    }
  };

  const finishPending = (end: number, out: LineItem[]): void => {
    if (overlongHead !== undefined) {
      lineNo++;
      let head = overlongHead;
      if (overlongLen === head.length && head[head.length - 1] === 13) head = head.subarray(0, -1);
      out.push(tooLong(head, lineNo, lineStart, end, max));
      lineStart = end;
      overlongHead = undefined;
    } else {
      const buf = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingLen);
      emit(buf, 0, buf.length, end, false, out);
    }
    pending = [];
    pendingLen = 0;
  };

  const stopNow = (): boolean => options.stopAtTooLong === true && overlongHead !== undefined;

  for await (const raw of chunks) {
    let chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    if (skip > 0) {
      if (chunk.length <= skip) {
        skip -= chunk.length;
        pos += chunk.length;
        continue;
      }
      chunk = chunk.subarray(skip);
      pos += skip;
      skip = 0;
    }
    const out: LineItem[] = [];
    let from = 0;
    if (pendingLen > 0 || overlongHead !== undefined) {
      const nl = chunk.indexOf(10);
      if (nl === -1) {
        absorb(chunk);
        pos += chunk.length;
        if (stopNow()) {
          yield [tooLong(overlongHead as Buffer, lineNo + 1, lineStart, pos, max)];
          return;
        }
        continue;
      }
      absorb(chunk.subarray(0, nl));
      finishPending(pos + nl + 1, out);
      from = nl + 1;
    }
    const last = chunk.lastIndexOf(10);
    if (last >= from) {
      // One UTF-8 check for all the complete lines of the chunk; only a failure checks line by line.
      const checked = isUtf8(chunk.subarray(from, last + 1));
      while (from <= last) {
        const nl = chunk.indexOf(10, from);
        emit(chunk, from, nl, pos + nl + 1, checked, out);
        from = nl + 1;
      }
    }
    if (from < chunk.length) absorb(chunk.subarray(from));
    pos += chunk.length;
    if (stopNow()) {
      yield [...out, tooLong(overlongHead as Buffer, lineNo + 1, lineStart, pos, max)];
      return;
    }
    if (out.length > 0) yield out;
  }
  // A last line without a trailing newline still counts.
  if (pendingLen > 0 || overlongHead !== undefined) {
    const out: LineItem[] = [];
    finishPending(pos, out);
    if (out.length > 0) yield out;
  }
}

function tooLong(head: Buffer, line: number, start: number, end: number, max: number): LineIssue {
  const raw = previewBytes(head);
  return {
    kind: 'issue',
    line,
    start,
    end,
    problem: 'too-long',
    reason:
      `the line is longer than maxLineBytes (${max} bytes); ` +
      'raise maxLineBytes in the source options (at most 268435456) if such lines are expected',
    ...(raw === undefined ? {} : { raw }),
  };
}

function notUtf8(bytes: Buffer, line: number, start: number, end: number): LineIssue {
  const at = firstInvalidUtf8(bytes);
  const hex = (bytes[at] ?? 0).toString(16).toUpperCase().padStart(2, '0');
  return {
    kind: 'issue',
    line,
    start,
    end,
    problem: 'not-utf8',
    reason:
      `byte 0x${hex} at byte column ${at + 1} is not valid UTF-8; ` +
      'convert the file to UTF-8 (it may be in Latin-1 or Windows-1252)',
  };
}

/**
 * The index of the first byte that starts an ill-formed sequence, or -1 when all is well formed.
 * Unicode 15 §3.9, Table 3-7 (well-formed UTF-8 byte sequences); only runs on lines that failed isUtf8.
 */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i] as number;
    if (c < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0; // no overlong 3-byte forms
      if (c === 0xed) hi = 0x9f; // no UTF-16 surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90; // no overlong 4-byte forms
      if (c === 0xf4) hi = 0x8f; // nothing above U+10FFFF
    } else return i;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return -1;
}

/** The first RAW_PREVIEW_BYTES of `bytes`, cut on a character boundary, or undefined when not UTF-8. */
export function previewBytes(bytes: Buffer): string | undefined {
  let cut = Math.min(bytes.length, RAW_PREVIEW_BYTES);
  // Back off over continuation bytes (10xxxxxx) so a character is not split in two.
  if (cut < bytes.length) while (cut > 0 && ((bytes[cut] as number) & 0xc0) === 0x80) cut--;
  const head = bytes.subarray(0, cut);
  return isUtf8(head) ? head.toString('utf8') : undefined;
}

/** `text` cut to at most RAW_PREVIEW_BYTES of UTF-8. */
export function previewText(text: string): string {
  // Each UTF-16 unit takes at most 3 bytes, so short strings need no encoding to check.
  if (text.length * 3 <= RAW_PREVIEW_BYTES) return text;
  return previewBytes(Buffer.from(text, 'utf8')) ?? '';
}
