// The s3 source: plain JSON Lines objects under a prefix (other systems' exports), read in key order as
// streams, resumable at (object key, line). Sluice's own sealed objects are recognised and refused: a source is
// not given the keyring, so it cannot open them (see the note at SealedObjectRefused).
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { z } from 'zod';
import { SluiceError } from '../../errors.ts';
import { MAGIC } from '../../crypto/envelope/object-format.ts';
import { defineSource } from '../../spec/component.ts';
import type { CreateContext } from '../../spec/component.ts';
import { S3Connection } from '../s3/s3-connection.ts';
import { checkConnection, s3ConnectionShape } from '../s3/s3-options.ts';
import { s3InsecureOptOuts } from '../s3/s3-options.ts';
import { TAIL_BYTES, TailWindow, tailDigest } from '../s3/tail-window.ts';
import type { MalformedRecord, OpenOptions, Source, SourceBatch, SourcePosition, SourceReader } from '../source.ts';
import { previewText, readLines } from './line-reader.ts';
import { parseJsonRecord } from './json-record.ts';

const MiB = 1024 * 1024;

const s3SourceSpec = z
  .strictObject({
    ...s3ConnectionShape,
    prefix: z
      .string()
      .default('')
      .refine((prefix) => !prefix.startsWith('/'), 'write the prefix without a leading / (exports/, not /exports/)')
      // eslint-disable-next-line no-control-regex
      .refine((prefix) => !/[\u0000-\u001f\u007f]/.test(prefix), 'the prefix has a control character')
      .describe('Read the objects whose keys start with this, e.g. exports/2024- or crm/customers/; the whole bucket by default.'),
    suffix: z.string().min(1).optional().describe('Read only the keys that end with this, e.g. .jsonl or .jsonl.gz; others under the prefix are skipped.'),
    format: z.enum(['jsonl']).default('jsonl').describe('The object format: JSON Lines, one JSON object per line.'),
    gzip: z.boolean().optional().describe('Whether objects are gzip-compressed. By default, whether each key ends in .gz.'),
    maxLineBytes: z
      .number()
      .int()
      .min(1)
      .max(256 * MiB)
      .default(MiB)
      .describe('The longest line accepted, in bytes. Bounds memory, gzip bombs too.'),
    onMalformed: z
      .enum(['fail', 'quarantine'])
      .default('fail')
      .describe('What a line that cannot be parsed does: fail the run, or go to quarantine while reading goes on.'),
  })
  .superRefine((options, context) => checkConnection(options, (path, message) => context.addIssue({ code: 'custom', path: [path], message })))
  .describe('Reads JSON Lines objects under a prefix of an S3 bucket (or an S3-compatible server), in key order.');

type S3SourceOptions = z.output<typeof s3SourceSpec>;

export const s3Source = defineSource({
  name: 's3',
  summary: 'Reads plain JSON Lines objects (optionally gzip-compressed) under a prefix of an S3 bucket, in key order, resumable inside an object.',
  spec: s3SourceSpec,
  insecureOptOuts: s3InsecureOptOuts,
  examples: [
    { bucket: 'partner-exports', prefix: 'crm/customers/', suffix: '.jsonl.gz', region: 'eu-west-1' },
    { bucket: 'exports', endpoint: 'https://minio.internal:9000', accessKeyId: 'env://MINIO_ACCESS_KEY', secretAccessKey: 'env://MINIO_SECRET_KEY', onMalformed: 'quarantine' },
  ],
  create: (options, context) => new S3Source(options, context),
});

/**
 * Where reading stands: the object, the byte offset (uncompressed) after the last line taken, its line number,
 * the object's ETag, and for a plain object the digest of the bytes just before the offset (see #resume).
 */
interface Position {
  key: string;
  offset: number;
  line: number;
  etag: string;
  tail?: string;
}

class S3Source implements Source {
  readonly description: string;
  readonly #options: S3SourceOptions;
  readonly #context: CreateContext;

  constructor(options: S3SourceOptions, context: CreateContext) {
    this.#options = options;
    this.#context = context;
    this.description = `s3 s3://${options.bucket}/${options.prefix}`;
  }

  async open(from: SourcePosition | undefined, options?: OpenOptions): Promise<SourceReader> {
    const connection = await S3Connection.open(this.#options, this.#context, 'SLUICE_SOURCE_FAILED');
    try {
      await connection.checkBucket();
      const start = from === undefined ? undefined : savedPosition(from, this.#options.prefix, connection);
      return new S3Reader(this.#options, connection, start, options?.signal);
    } catch (error) {
      connection.close();
      throw error;
    }
  }
}

/** A saved position, checked: it must be one this source wrote, under this prefix. */
function savedPosition(from: SourcePosition, prefix: string, connection: S3Connection): Position {
  const { key, offset, line, etag, tail } = from;
  const count = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  if (typeof key !== 'string' || !key.startsWith(prefix) || !count(offset) || !count(line) || typeof etag !== 'string' || (tail !== undefined && typeof tail !== 'string')) {
    const message = `the saved position is not one this source wrote for ${connection.uri(prefix)}; rerun with --fresh to start over`;
    throw new SluiceError('SLUICE_RESUME_MISMATCH', message);
  }
  return { key, offset, line, etag, ...(tail !== undefined ? { tail } : {}) };
}

/** One object being read: its bytes from `offset` on, and the line count before them. */
interface OpenedObject {
  key: string;
  etag: string;
  gzip: boolean;
  body: Readable;
  /** Offset of the first byte `body` yields (a ranged GET of a plain object), and where lines are taken from. */
  offset: number;
  skipTo: number;
  line: number;
}

class S3Reader implements SourceReader {
  readonly #options: S3SourceOptions;
  readonly #connection: S3Connection;
  readonly #start: Position | undefined;
  readonly #signal: AbortSignal | undefined;
  #current: { body: Readable; input: Readable } | undefined;
  /** The last bytes of the plain object being read, for the digest a batch end carries. */
  readonly #window = new TailWindow();
  #bytesRead = 0;

  constructor(options: S3SourceOptions, connection: S3Connection, start: Position | undefined, signal: AbortSignal | undefined) {
    this.#options = options;
    this.#connection = connection;
    this.#start = start;
    this.#signal = signal;
  }

  async *batches(batchSize: number): AsyncGenerator<SourceBatch, void, undefined> {
    const quarantine = this.#options.onMalformed === 'quarantine';
    let records: unknown[] = [];
    let refs: string[] = [];
    let malformed: MalformedRecord[] = [];
    let end: Position | undefined = this.#start;
    // Where the last line taken ends, as plain values (this runs once per line); made a Position, with the
    // digest of the bytes before it, once per batch.
    let endObject: OpenedObject | undefined;
    let endOffset = 0;
    let endLine = 0;
    const settleEnd = (): void => {
      if (!endObject) return;
      const tail = endObject.gzip ? undefined : this.#window.digestBefore(endOffset);
      end = { key: endObject.key, offset: endOffset, line: endLine, etag: endObject.etag, ...(tail !== undefined ? { tail } : {}) };
      endObject = undefined;
    };
    const batch = (): SourceBatch => {
      settleEnd();
      const out = { records, refs, malformed, end: { ...(end as Position) } };
      records = [];
      refs = [];
      malformed = [];
      return out;
    };
    let where = this.#connection.uri(this.#options.prefix);
    try {
      for await (const object of this.#objects()) {
        const ref = (line: number) => `${this.#connection.uri(object.key)}:${line}`;
        where = this.#connection.uri(object.key);
        const bad = (line: number, reason: string, raw: string | undefined): void => {
          if (!quarantine) throw malformedError(ref(line), reason);
          malformed.push({ ref: ref(line), reason, ...(raw === undefined ? {} : { raw }) });
        };
        const input = this.#input(object);
        const lines = readLines(input, {
          maxLineBytes: this.#options.maxLineBytes,
          skipEmpty: true,
          offset: object.offset,
          skipTo: object.skipTo,
          line: object.line,
          stopAtTooLong: !quarantine,
        });
        for await (const items of lines) {
          for (const item of items) {
            if (item.kind === 'issue') bad(item.line, item.reason, item.raw);
            else {
              const value = parseJsonRecord(item.text);
              if (typeof value === 'string') bad(item.line, value, previewText(item.text));
              else {
                records.push(value);
                refs.push(ref(item.line));
              }
            }
            endObject = object;
            endOffset = item.end;
            endLine = item.line;
            if (records.length + malformed.length >= batchSize) yield batch();
          }
        }
        // The window is about to move on to the next object: digest the end now if a batch is still filling.
        settleEnd();
        this.#destroy();
        // On shutdown, stop between objects: what is gathered so far still goes out as a batch.
        if (this.#signal?.aborted) break;
      }
      if (records.length + malformed.length > 0) yield batch();
    } catch (error) {
      throw this.#readError(error, where);
    } finally {
      this.#destroy();
    }
  }

  /** The objects to read, in key order: the rest of the object the saved position is in, then the keys after it. */
  async *#objects(): AsyncGenerator<OpenedObject, void, undefined> {
    const start = this.#start;
    if (start !== undefined) {
      const resumed = await this.#resume(start);
      if (resumed) yield resumed;
    }
    const { prefix, suffix } = this.#options;
    for await (const page of this.#connection.list(prefix, start ? { startAfter: start.key } : {})) {
      for (const listed of page.objects) {
        const key = listed.Key;
        // Keys ending in / are the "folders" consoles create: empty, and not data.
        if (key === undefined || key.endsWith('/') || (suffix !== undefined && !key.endsWith(suffix))) continue;
        yield await this.#get(key, { offset: 0, line: 0 });
      }
    }
  }

  /** Reopens the object a saved position is in, if anything is left of it; refuses one that changed since. */
  async #resume(start: Position): Promise<OpenedObject | undefined> {
    const uri = this.#connection.uri(start.key);
    const changed = (why: string) => new SluiceError('SLUICE_RESUME_MISMATCH', `${uri}, where the interrupted run stopped, ${why}, so the run cannot resume there; rerun with --fresh to read from the start`);
    let head;
    try {
      head = await this.#connection.client.send(new this.#connection.sdk.HeadObjectCommand({ Bucket: this.#connection.bucket, Key: start.key }), this.#abort());
    } catch (error) {
      const name = (error as { name?: unknown }).name;
      if (name === 'NotFound' || name === 'NoSuchKey') throw changed('is gone');
      throw this.#connection.fail(error, `read ${uri}`);
    }
    const size = head.ContentLength ?? 0;
    let etag = start.etag;
    if (head.ETag !== start.etag) {
      // Replaced: fine if only what came after the position changed (the usual case: the line that failed the
      // run was fixed), which the digest of the bytes just before it tells. A compressed object cannot tell.
      if (this.#gzip(start.key) || start.tail === undefined || start.offset > size || (await this.#tailOf(start.key, start.offset, head.ETag)) !== start.tail) {
        throw changed(`was replaced by a version that differs before that position`);
      }
      etag = head.ETag ?? '';
    }
    // A plain object read to its end has nothing left; a compressed one is read again and skipped through.
    if (!this.#gzip(start.key) && start.offset >= size) return undefined;
    return this.#get(start.key, { ...start, etag });
  }

  /** The digest of up to TAIL_BYTES before `offset` in the current version of an object. */
  async #tailOf(key: string, offset: number, etag: string | undefined): Promise<string> {
    const from = offset - Math.min(TAIL_BYTES, offset);
    if (offset === 0) return tailDigest(Buffer.alloc(0));
    try {
      const input = { Bucket: this.#connection.bucket, Key: key, Range: `bytes=${from}-${offset - 1}`, ...(etag !== undefined ? { IfMatch: etag } : {}) };
      const out = await this.#connection.client.send(new this.#connection.sdk.GetObjectCommand(input), this.#abort());
      const body = out.Body as { transformToByteArray(): Promise<Uint8Array> } | undefined;
      return tailDigest(Buffer.from((await body?.transformToByteArray()) ?? new Uint8Array()));
    } catch (error) {
      throw this.#connection.fail(error, `read ${this.#connection.uri(key)}`);
    }
  }

  /** GETs an object from a position: a ranged GET for a plain object, the whole for a compressed one. */
  async #get(key: string, from: { offset: number; line: number; etag?: string }): Promise<OpenedObject> {
    const gzip = this.#gzip(key);
    // A plain object resumes by a ranged GET, from TAIL_BYTES early so the next batch end can be digested.
    const rangeStart = gzip ? 0 : Math.max(0, from.offset - TAIL_BYTES);
    const uri = this.#connection.uri(key);
    let out;
    try {
      const input = { Bucket: this.#connection.bucket, Key: key, ...(rangeStart > 0 ? { Range: `bytes=${rangeStart}-` } : {}), ...(from.etag !== undefined ? { IfMatch: from.etag } : {}) };
      out = await this.#connection.client.send(new this.#connection.sdk.GetObjectCommand(input), this.#abort());
    } catch (error) {
      if ((error as { name?: unknown }).name === 'PreconditionFailed') {
        throw new SluiceError('SLUICE_RESUME_MISMATCH', `${uri} changed while the run was resuming; rerun with --fresh to read from the start`);
      }
      throw this.#connection.fail(error, `read ${uri}`);
    }
    const body = out.Body as Readable | undefined;
    if (!body) throw new SluiceError('SLUICE_SOURCE_FAILED', `cannot read ${uri}: ${this.#connection.endpoint} answered without a body`);
    // Some servers ignore If-Match (s3rver does): the ETag is checked here as well.
    if (from.etag !== undefined && out.ETag !== from.etag) {
      body.destroy();
      throw new SluiceError('SLUICE_RESUME_MISMATCH', `${uri} changed while the run was resuming; rerun with --fresh to read from the start`);
    }
    return { key, etag: out.ETag ?? '', gzip, body, offset: rangeStart, skipTo: from.offset, line: from.line };
  }

  /** The object's bytes as lines are read from: counted for progress, checked not to be sealed, decompressed. */
  #input(object: OpenedObject): Readable {
    const counted = Readable.from(this.#counted(object), { objectMode: false });
    const input = object.gzip ? counted.pipe(createGunzip()) : counted;
    // pipe() does not forward errors; lines are read from the gunzip side, so it must hear of them.
    if (input !== counted) counted.on('error', (error) => input.destroy(error));
    this.#current = { body: object.body, input };
    this.#window.reset();
    return input;
  }

  async *#counted(object: OpenedObject): AsyncGenerator<Buffer, void, undefined> {
    let first = object.offset === 0;
    let position = object.offset;
    for await (const chunk of object.body as AsyncIterable<Buffer>) {
      if (first) {
        first = false;
        if (chunk.length >= MAGIC.length && chunk.subarray(0, MAGIC.length).equals(MAGIC)) throw sealedObjectRefused(this.#connection.uri(object.key));
      }
      this.#bytesRead += chunk.length;
      // Offsets of a plain object are its byte offsets; a compressed one's are of its decompressed text.
      if (!object.gzip) this.#window.push(position, chunk);
      position += chunk.length;
      yield chunk;
    }
  }

  #gzip(key: string): boolean {
    return this.#options.gzip ?? /\.gz$/i.test(key);
  }

  #abort(): { abortSignal?: AbortSignal } {
    return this.#signal ? { abortSignal: this.#signal } : {};
  }

  /** A failure while reading an object, as a Sluice error naming it. */
  #readError(error: unknown, where: string): unknown {
    if (error instanceof SluiceError) return error;
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && code.startsWith('Z_')) {
      return new SluiceError('SLUICE_INPUT_UNREADABLE', `cannot read ${where}: it is not a valid gzip object (corrupt or truncated); set gzip: false if it is not compressed`, { cause: error });
    }
    return this.#connection.fail(error, `read ${where}`);
  }

  progress(): { done: number; total?: number } {
    return { done: this.#bytesRead };
  }

  async close(): Promise<void> {
    this.#destroy();
    this.#connection.close();
  }

  #destroy(): void {
    this.#current?.input.destroy();
    this.#current?.body.destroy();
    this.#current = undefined;
  }
}

/**
 * Sluice's own sealed objects (`*.jsonl.sluice`) need the keyring to open, and a source is not given it: neither
 * CreateContext nor OpenOptions carries keys. Until they do, such objects are refused rather than read as text.
 */
function sealedObjectRefused(uri: string): SluiceError {
  return new SluiceError(
    'SLUICE_INPUT_UNREADABLE',
    `${uri} is a sealed Sluice object; the s3 source reads plain JSON Lines objects only (use \`sluice cat\` to open sealed ones). Set suffix (e.g. .jsonl) to skip such objects`,
  );
}

function malformedError(ref: string, reason: string): SluiceError {
  return new SluiceError('SLUICE_INPUT_MALFORMED', `${ref}: ${reason}. Fix the object, or set onMalformed: quarantine to set such records aside`);
}

