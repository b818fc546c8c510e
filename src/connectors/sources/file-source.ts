// The `file` source: JSON Lines or CSV from a local file, optionally gzip-compressed, resumable by byte offset.
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { ReadStream } from 'node:fs';
import { basename, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import type { Gunzip } from 'node:zlib';
import { z } from 'zod';
import { SluiceError, isRetryable } from '../../errors.ts';
import { defineSource } from '../../spec/component.ts';
import type { MalformedRecord, OpenOptions, Source, SourceBatch, SourcePosition, SourceRange, SourceReader } from '../source.ts';
import { CsvParser } from './csv-parser.ts';
import { previewText, readLines } from './line-reader.ts';
import { parseJsonRecord } from './json-record.ts';

const MiB = 1024 * 1024;
const FORMATS = ['jsonl', 'csv'] as const;
type Format = (typeof FORMATS)[number];

/** The format and compression a file name implies: `.jsonl`, `.ndjson` or `.csv`, each optionally `.gz`. */
export function inferFormat(path: string): { format?: Format; gzip: boolean } {
  const gzip = /\.gz$/i.test(path);
  const ext = /\.(jsonl|ndjson|csv)(\.gz)?$/i.exec(path)?.[1]?.toLowerCase();
  if (ext === undefined) return { gzip };
  return { format: ext === 'csv' ? 'csv' : 'jsonl', gzip };
}

export const fileSourceSpec = z
  .strictObject({
    path: z.string().min(1).describe('The file to read; a relative path resolves against the pipeline spec\'s folder.'),
    format: z
      .enum(FORMATS)
      .optional()
      .describe('jsonl (one JSON object per line) or csv. Inferred by default from .jsonl, .ndjson or .csv (+ .gz).'),
    gzip: z.boolean().optional().describe('Whether the file is gzip-compressed. By default, whether its name ends in .gz.'),
    maxLineBytes: z
      .number()
      .int()
      .min(1)
      .max(256 * MiB)
      .default(MiB)
      .describe('The longest line (or CSV record over several lines) accepted, in bytes. Bounds memory, gzip bombs too.'),
    csv: z
      .strictObject({
        delimiter: z
          .string()
          .length(1)
          .refine((d) => !/["\r\n]/.test(d), 'the delimiter cannot be a quote or a line break')
          .default(',')
          .describe('The character between fields, e.g. "," or ";" or a tab.'),
      })
      .optional()
      .describe('CSV options. The first row is the header and names the fields; empty unquoted cells are null.'),
    onMalformed: z
      .enum(['fail', 'quarantine'])
      .default('fail')
      .describe('What a record that cannot be parsed does: fail the run, or go to quarantine while reading goes on.'),
  })
  .superRefine((options, ctx) => {
    const format = options.format ?? inferFormat(options.path).format;
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (format === undefined) issue('format', `cannot tell the format of '${options.path}'; set format: jsonl or csv`);
    else if (format !== 'csv' && options.csv !== undefined) issue('csv', 'csv options apply only to format: csv');
  });

export type FileSourceOptions = z.output<typeof fileSourceSpec>;

export const fileSource = defineSource({
  name: 'file',
  kind: 'source',
  summary: 'Reads records from a local JSON Lines or CSV file, optionally gzip-compressed.',
  spec: fileSourceSpec,
  examples: [
    { path: 'data/customers.csv', csv: { delimiter: ';' } },
    { path: 'exports/events.jsonl.gz', maxLineBytes: 4 * MiB, onMalformed: 'quarantine' },
  ],
  create: (options, context) => new FileSource(options, context.baseDir),
});

/** Where reading starts: the byte offset (uncompressed) and the number of lines before it. */
type Start = { offset: number; line: number };

/** What the reader needs, resolved once from the options. */
interface Plan {
  path: string;
  name: string;
  format: Format;
  gzip: boolean;
  maxLineBytes: number;
  delimiter: string;
  quarantine: boolean;
}

class FileSource implements Source {
  readonly description: string;
  /** CSV cells are all text: the contract converts numbers, booleans and dates. */
  readonly textual: boolean;
  readonly #plan: Plan;

  constructor(options: FileSourceOptions, baseDir: string) {
    const inferred = inferFormat(options.path);
    const format = options.format ?? inferred.format;
    if (format === undefined) {
      const message = `cannot tell the format of '${options.path}'; set format: jsonl or format: csv`;
      throw new SluiceError('SLUICE_SPEC_INVALID', message);
    }
    const path = resolve(baseDir, options.path);
    this.description = `file ${options.path}`;
    this.textual = format === 'csv';
    this.#plan = {
      path,
      name: basename(path),
      format,
      gzip: options.gzip ?? inferred.gzip,
      maxLineBytes: options.maxLineBytes,
      delimiter: options.csv?.delimiter ?? ',',
      quarantine: options.onMalformed === 'quarantine',
    };
  }

  /**
   * Plain JSON Lines split at line ends near every `targetBytes`, so each range holds whole lines and knows its
   * first line's number (refs stay `file:line`). CSV is one range (a quoted field may hold a newline, so a byte
   * boundary is not a record boundary without parsing), and so is gzip (a stream cannot be entered mid-way).
   */
  async split(targetBytes: number): Promise<SourceRange[]> {
    const plan = this.#plan;
    if (plan.format !== 'jsonl' || plan.gzip) return [{}];
    return splitLines(plan.path, targetBytes);
  }

  async open(from: SourcePosition | undefined, options?: OpenOptions): Promise<SourceReader> {
    const plan = this.#plan;
    const handle = await openFile(plan.path);
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw unreadable(plan.path, 'it is not a regular file', 'point path at a file');
      const start = from === undefined ? { offset: 0, line: 0 } : await checkResume(from, stat.size, stat.mtimeMs, plan, handle);
      // Checked before the second descriptor is opened: a refused `until` must not leave it open.
      const until = options?.until === undefined ? undefined : untilOffset(options.until, start.offset, stat.size, plan.path);
      const header = plan.format === 'csv' && start.offset > 0 ? await readCsvHeader(plan) : undefined;
      // A second descriptor reads the bytes before each batch end (the stream owns and closes the first).
      const tails = plan.gzip ? undefined : await openFile(plan.path);
      return new FileReader(plan, handle, { ...start, size: stat.size, mtimeMs: stat.mtimeMs, until }, header, tails);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }
}

class FileReader implements SourceReader {
  readonly #plan: Plan;
  readonly #file: ReadStream;
  readonly #gunzip: Gunzip | undefined;
  readonly #start: Start;
  readonly #fingerprint: { size: number; mtimeMs: number };
  readonly #fileStart: number;
  readonly #csv: CsvParser | undefined;
  readonly #tails: FileHandle | undefined;
  readonly #until: number | undefined;

  constructor(plan: Plan, handle: FileHandle, start: Start & { size: number; mtimeMs: number; until: number | undefined }, header?: readonly string[], tails?: FileHandle) {
    this.#plan = plan;
    this.#tails = tails;
    this.#start = { offset: start.offset, line: start.line };
    this.#fingerprint = { size: start.size, mtimeMs: start.mtimeMs };
    // A plain file resumes by seeking; a gzip stream cannot seek, so it is decompressed from the start.
    this.#fileStart = plan.gzip ? 0 : start.offset;
    // A task's range ends at a line end: reading stops there (end is inclusive), so the last line is whole.
    const end = start.until !== undefined ? { end: start.until - 1 } : {};
    this.#file = handle.createReadStream({ start: this.#fileStart, highWaterMark: 256 * 1024, ...end });
    this.#until = start.until;
    this.#gunzip = plan.gzip ? this.#file.pipe(createGunzip()) : undefined;
    // pipe() does not forward errors; the consumer reads the gunzip side, so it must hear of them.
    this.#file.on('error', (error) => this.#gunzip?.destroy(error));
    this.#csv = plan.format === 'csv' ? newCsvParser(plan, header) : undefined;
  }

  async *batches(batchSize: number): AsyncGenerator<SourceBatch, void, undefined> {
    const { name, quarantine } = this.#plan;
    const csv = this.#csv;
    let records: unknown[] = [];
    let refs: string[] = [];
    let malformed: MalformedRecord[] = [];
    // Where the last record taken ends; plain numbers, as this runs once per record.
    let endOffset = this.#start.offset;
    let endLine = this.#start.line;
    const batch = (): SourceBatch => {
      const out = { records, refs, malformed, end: { offset: endOffset, line: endLine, ...this.#fingerprint } };
      records = [];
      refs = [];
      malformed = [];
      return out;
    };
    const bad = (line: number, reason: string, raw: string | undefined): void => {
      const ref = `${name}:${line}`;
      if (!quarantine) throw malformedError(ref, reason);
      malformed.push({ ref, reason, ...(raw === undefined ? {} : { raw }) });
    };
    const lines = readLines(this.#gunzip ?? this.#file, {
      maxLineBytes: this.#plan.maxLineBytes,
      skipEmpty: csv === undefined,
      offset: this.#fileStart,
      skipTo: this.#start.offset,
      line: this.#start.line,
      stopAtTooLong: !quarantine,
    });
    let last: { end: number; line: number } | undefined;
    try {
      for await (const items of lines) {
        for (const item of items) {
          if (item.kind === 'issue') {
            // An unreadable header leaves nothing to name the fields by, so it fails whatever onMalformed says.
            if (csv !== undefined && csv.header === undefined) throw malformedError(`${name}:${item.line}`, item.reason, false);
            csv?.reset();
            bad(item.line, item.reason, item.raw);
          } else if (csv === undefined) {
            const value = parseJsonRecord(item.text);
            if (typeof value === 'string') bad(item.line, value, previewText(item.text));
            else {
              records.push(value);
              refs.push(`${name}:${item.line}`);
            }
          } else {
            const out = csv.push(item);
            if (out === undefined) continue;
            if (out.kind === 'malformed') bad(out.line, out.reason, out.raw);
            else {
              records.push(out.record);
              refs.push(`${name}:${out.line}`);
            }
          }
          endOffset = item.end;
          endLine = item.line;
          if (records.length + malformed.length >= batchSize) yield await this.#sealed(batch());
        }
        const tail = items[items.length - 1];
        if (tail !== undefined) last = tail;
      }
      // A quoted CSV field still open at the end of the input is malformed, through the last line.
      const open = csv?.finish();
      if (open?.kind === 'malformed') {
        bad(open.line, open.reason, open.raw);
        endOffset = last?.end ?? endOffset;
        endLine = last?.line ?? endLine;
      }
      if (records.length + malformed.length > 0) yield await this.#sealed(batch());
    } catch (error) {
      throw readError(error, this.#plan);
    } finally {
      this.#destroy();
    }
  }

  /** Adds the digest of the bytes before the batch end, so a resume can tell an edit after it from one before. */
  async #sealed(batch: SourceBatch): Promise<SourceBatch> {
    if (!this.#tails) return batch;
    const tail = await tailDigest(this.#tails, Number(batch.end.offset));
    return { ...batch, end: { ...batch.end, tail } };
  }

  progress(): { done: number; total?: number } {
    return { done: this.#fileStart + this.#file.bytesRead, total: this.#until ?? this.#fingerprint.size };
  }

  async close(): Promise<void> {
    this.#destroy();
    if (!this.#file.closed) await new Promise<void>((done) => this.#file.once('close', () => done()));
  }

  #destroy(): void {
    this.#gunzip?.destroy();
    this.#file.destroy();
    void this.#tails?.close().catch(() => undefined);
  }
}

function newCsvParser(plan: Plan, header?: readonly string[]): CsvParser {
  const { delimiter, maxLineBytes: maxRecordBytes, name } = plan;
  return new CsvParser({ delimiter, maxRecordBytes, name, ...(header ? { header } : {}) });
}

/** The header row, read from the start of the file when resuming a CSV file past it. */
async function readCsvHeader(plan: Plan): Promise<readonly string[]> {
  const handle = await openFile(plan.path);
  const file = handle.createReadStream({ highWaterMark: 64 * 1024 });
  const input = plan.gzip ? file.pipe(createGunzip()) : file;
  file.on('error', (error) => input.destroy(error));
  const parser = newCsvParser(plan);
  try {
    for await (const items of readLines(input, { maxLineBytes: plan.maxLineBytes, skipEmpty: false })) {
      for (const item of items) {
        if (item.kind === 'issue') throw malformedError(`${plan.name}:${item.line}`, item.reason, false);
        parser.push(item);
        if (parser.header) return parser.header;
      }
    }
    throw new SluiceError('SLUICE_RESUME_MISMATCH', `${plan.path} has no CSV header any more; rerun with --fresh`);
  } catch (error) {
    throw readError(error, plan);
  } finally {
    input.destroy();
    file.destroy();
  }
}

/** The byte offset a task stops at, checked against the range it was opened with. */
function untilOffset(until: SourcePosition, from: number, size: number, path: string): number {
  const offset = until.offset;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset <= from || offset > size) {
    throw new SluiceError('SLUICE_RESUME_MISMATCH', `the task's end position for ${path} is not one this source's split wrote (or the file shrank); start the run again`);
  }
  return offset;
}

/** Bytes read per step while splitting. */
const SPLIT_READ_BYTES = 1024 * 1024;

/**
 * Ranges of whole lines of about `targetBytes` each. One pass counts newlines (the line number each range starts
 * at) and ends each range at the first line end at or past its target. Positions carry the file's size and
 * mtime, so a task opened after the file changed fails instead of reading other lines.
 */
async function splitLines(path: string, targetBytes: number): Promise<SourceRange[]> {
  const handle = await openFile(path);
  try {
    const { size, mtimeMs } = await handle.stat();
    if (size === 0) return [{}];
    const fingerprint = { size, mtimeMs };
    const ranges: SourceRange[] = [];
    const buffer = Buffer.allocUnsafe(SPLIT_READ_BYTES);
    let start = { offset: 0, line: 0 };
    let lines = 0;
    let target = targetBytes;
    for (let at = 0; at < size; ) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(SPLIT_READ_BYTES, size - at), at);
      if (bytesRead === 0) break;
      for (let i = buffer.indexOf(10, 0); i !== -1 && i < bytesRead; i = buffer.indexOf(10, i + 1)) {
        lines++;
        const end = at + i + 1;
        if (end >= target && end < size) {
          ranges.push({ from: { ...start, ...fingerprint }, until: { offset: end } });
          start = { offset: end, line: lines };
          target = end + targetBytes;
        }
      }
      at += bytesRead;
    }
    ranges.push({ from: { ...start, ...fingerprint }, until: { offset: size } });
    return ranges;
  } finally {
    await handle.close();
  }
}

/** How many bytes before a batch end are digested: enough to tell the committed part of a file is unchanged. */
const TAIL_BYTES = 4096;

/** sha256 of up to TAIL_BYTES just before `offset`. */
async function tailDigest(handle: FileHandle, offset: number): Promise<string> {
  const length = Math.min(TAIL_BYTES, offset);
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, offset - length);
  return createHash('sha256').update(buffer.subarray(0, bytesRead)).digest('hex');
}

/**
 * Checks a saved position against the file as it is now. An unchanged file (size and mtime) resumes. A plain
 * file that changed resumes too when the bytes just before the position are the same: the edit came after
 * what was committed (the usual case: fixing the line that failed the run). Anything else is refused.
 */
async function checkResume(from: SourcePosition, size: number, mtimeMs: number, plan: Plan, handle: FileHandle): Promise<Start> {
  const { offset, line } = from;
  const count = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  if (!count(offset) || !count(line)) {
    const message = `the saved position for ${plan.path} is not one this source wrote; rerun with --fresh to start over`;
    throw new SluiceError('SLUICE_RESUME_MISMATCH', message);
  }
  if (from.size === size && from.mtimeMs === mtimeMs && (plan.gzip || offset <= size)) return { offset, line };
  const editedAfter = !plan.gzip && typeof from.tail === 'string' && offset <= size && (await tailDigest(handle, offset)) === from.tail;
  if (editedAfter) return { offset, line };
  throw new SluiceError(
    'SLUICE_RESUME_MISMATCH',
    `${plan.path} changed ${plan.gzip ? '' : 'before the position the interrupted run had committed '}since it was interrupted, so the run ` +
      'cannot resume where it stopped; rerun with --fresh to read it from the start',
  );
}

async function openFile(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const [why, fix] =
      code === 'ENOENT'
        ? ['it does not exist', "check path in the source options (relative paths start at the spec's folder)"]
        : code === 'EACCES' || code === 'EPERM'
          ? ['permission is denied', 'let the user running sluice read it']
          : code === 'EISDIR'
            ? ['it is a directory', 'point path at a file']
            : [`the system refused (${typeof code === 'string' ? code : 'unknown error'})`, 'check that it can be read'];
    throw unreadable(path, why, fix, error);
  }
}

function unreadable(path: string, why: string, fix: string, cause?: unknown): SluiceError {
  const retryable = isRetryable(cause);
  return new SluiceError('SLUICE_INPUT_UNREADABLE', `cannot read ${path}: ${why}; ${fix}`, { cause, retryable });
}

function malformedError(ref: string, reason: string, canQuarantine = true): SluiceError {
  const fix = canQuarantine ? '. Fix the line, or set onMalformed: quarantine to set such records aside' : '';
  return new SluiceError('SLUICE_INPUT_MALFORMED', `${ref}: ${reason}${fix}`);
}

/** A stream failure as a Sluice error: a corrupt gzip file, or an I/O error while reading. */
function readError(error: unknown, plan: Plan): unknown {
  if (error instanceof SluiceError) return error;
  const raw = (error as { code?: unknown } | null)?.code;
  const code = typeof raw === 'string' ? raw : '';
  if (code.startsWith('Z_')) {
    const fix = 'recompress it, or set gzip: false if it is not compressed';
    return unreadable(plan.path, 'it is not a valid gzip file (corrupt or truncated)', fix, error);
  }
  return unreadable(plan.path, `reading failed (${code || 'unknown error'})`, 'check the disk and try again', error);
}

