// The `postgresql` source: rows of a table (or of a SELECT) in (cursor, key) order, read in keyset batches, so a
// new run continues after the last row the previous successful run read, and a following run polls for more.
import type pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { postgresInsecureOptOuts } from '../postgres/connection-options.ts';
import { SluiceError } from '../../errors.ts';
import { withRetry } from '../../runtime/retry.ts';
import type { RetrySettings } from '../../runtime/retry.ts';
import type { CreateContext } from '../../spec/component.ts';
import { defineSource } from '../../spec/component.ts';
import { durationSchema, parseDuration } from '../../spec/duration.ts';
import type { OpenOptions, Source, SourceBatch, SourcePosition, SourceRange, SourceReader } from '../source.ts';
import { checkPostgresConnection, endpointLabel, postgresConnectionShape } from '../postgres/connection-options.ts';
import { columnNameSchema, parseRelationName, relationLabel, relationNameSchema } from '../postgres/identifiers.ts';
import { keysetPosition, keysetStatements, positionValues, splitStatements } from '../postgres/keyset-query.ts';
import type { KeysetShape } from '../postgres/keyset-query.ts';
import { forgetRefusedPassword, openPool, withConnection } from '../postgres/pool.ts';
import { isTransientPostgresError, postgresFailure } from '../postgres/postgres-errors.ts';
import { resolveSourceShape } from '../postgres/source-shape.ts';
import type { SourceTarget } from '../postgres/source-shape.ts';
import { BIGINT_MODES, converterFor, NUMERIC_MODES, RAW_TEXT_TYPES, UnrepresentableValue } from '../postgres/type-mapping.ts';
import type { Converter, TypeModes } from '../postgres/type-mapping.ts';
import { newRecord } from '../../runtime/record.ts';

/** Retries of one batch query: a dropped connection is reopened and the same query (same position) runs again. */
const QUERY_RETRY: RetrySettings = { attempts: 5, initialDelayMs: 200, maxDelayMs: 5000 };

const postgresSourceSpec = z
  .strictObject({
    ...postgresConnectionShape,
    table: relationNameSchema.optional().describe('The table or view to read: name or schema.name. Names are exact (quoted): Orders is not orders.'),
    columns: z.array(columnNameSchema).min(1).optional().describe('With table: the columns to read (by default all). They must include the cursor and key columns.'),
    query: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Instead of table: one SELECT whose rows are read. Sluice runs it as a subquery, SELECT * FROM (<query>) AS sluice_source WHERE (<cursor>, <key>...) > ($1, ...) ' +
          'ORDER BY <cursor>, <key>... LIMIT $n, so write no placeholders, ORDER BY or LIMIT of your own; it runs in a read-only session.',
      ),
    cursor: columnNameSchema.describe(
      'The column rows are read in order of: an ever-growing value such as an id or updated_at. Rows whose cursor is NULL are not read. ' +
        'With table (a table or materialized view), reading stops before rows written by a transaction newer than one still running, which could yet commit a lower value; they are read once it ends. A view, a foreign table or a query cannot be fenced so: a late commit below the position is missed.',
    ),
    key: z
      .array(columnNameSchema)
      .optional()
      .describe(
        'Columns that with the cursor identify each row, to break ties on the cursor value (many rows with one updated_at). ' +
          'With table, by default the primary key. With query, required: [] says the cursor alone is unique.',
      ),
    incremental: z.boolean().default(true).describe('Whether a new run starts after the last row the last successful run read (true), or reads everything again (false).'),
    bigint: z.enum(BIGINT_MODES).default('number').describe('int8 values as JSON numbers (a value beyond 2^53 - 1 then fails the read rather than lose digits) or as decimal text.'),
    numeric: z.enum(NUMERIC_MODES).default('string').describe('numeric (decimal) values as exact decimal text, or as the nearest JSON number.'),
    pollInterval: durationSchema.default('1s').describe('When following (run --follow), how long to wait before looking for new rows once all are read.'),
  })
  .superRefine((options, context) => {
    const issue = (path: string, message: string) => context.addIssue({ code: 'custom', path: [path], message });
    checkPostgresConnection(options, issue);
    if ((options.table === undefined) === (options.query === undefined)) issue('table', 'give either table or query');
    if (options.columns !== undefined) {
      if (options.table === undefined) issue('columns', 'columns apply to table; a query chooses its own columns');
      const missing = [options.cursor, ...(options.key ?? [])].filter((column) => !options.columns?.includes(column));
      if (missing.length > 0) issue('columns', `columns must include the cursor and key columns (${missing.join(', ')})`);
      if (new Set(options.columns).size !== options.columns.length) issue('columns', 'each column once');
    }
    if (options.query !== undefined) {
      if (options.key === undefined) issue('key', 'with query, name the key columns that with the cursor identify a row, or write key: [] when the cursor alone is unique');
      // Sluice binds $1... itself; a placeholder of the query's own would take Sluice's values.
      if (/\$[0-9]/.test(options.query)) issue('query', 'the query cannot hold $1-style placeholders: Sluice adds the position condition itself');
    }
    const order = [options.cursor, ...(options.key ?? [])];
    if (new Set(order).size !== order.length) issue('key', 'the key columns must differ from each other and from the cursor');
  });

type PostgresSourceOptions = z.output<typeof postgresSourceSpec>;

export const postgresSource = defineSource({
  name: 'postgresql',
  summary: 'Reads rows of a PostgreSQL table or query in cursor order, in keyset batches; incremental across runs, polling when following.',
  spec: postgresSourceSpec,
  insecureOptOuts: postgresInsecureOptOuts,
  examples: [
    { host: 'db.internal', database: 'shop', user: 'sluice_reader', password: 'vault://secret/shop-db#password', tls: { ca: 'certs/db-ca.pem' }, table: 'public.orders', cursor: 'updated_at', key: ['id'] },
    { host: '127.0.0.1', database: 'test', user: 'postgres', insecureNoTls: true, query: 'SELECT id, email, created_at FROM customers WHERE active', cursor: 'created_at', key: ['id'], bigint: 'string' },
  ],
  create: (options, context) => new PostgresSource(options, context),
});

class PostgresSource implements Source {
  readonly description: string;
  readonly incremental: boolean;
  readonly follows = true;
  readonly #options: PostgresSourceOptions;
  readonly #context: CreateContext;
  readonly #target: SourceTarget;
  readonly #label: string;
  /** Which server, database and table or query positions belong to. */
  readonly #fingerprint: string;
  readonly #where: string;

  constructor(options: PostgresSourceOptions, context: CreateContext) {
    this.#options = options;
    this.#context = context;
    this.#where = endpointLabel(options);
    if (options.table !== undefined) {
      const table = parseRelationName(options.table);
      this.#target = { table, ...(options.columns ? { columns: options.columns } : {}), ...(options.key ? { key: options.key } : {}) };
      this.#label = relationLabel(table);
    } else {
      this.#target = { query: options.query ?? '', key: options.key ?? [] };
      this.#label = 'query';
    }
    this.description = `postgresql ${this.#where} ${options.table !== undefined ? `table ${this.#label}` : 'query'}`;
    this.incremental = options.incremental;
    const what = options.table !== undefined ? `table\0${this.#label}` : `query\0${options.query ?? ''}`;
    this.#fingerprint = createHash('sha256').update(`${this.#where}\0${what}`, 'utf8').digest('base64url').slice(0, 22);
  }

  /**
   * Key ranges of about `targetBytes` (rows × the average row size of a sample), after `from`, found in one ordered
   * pass that returns only each range's last row. A table's ranges end before its first row not yet settled, as a
   * run's reading does, so no range is read before a transaction still running could commit a row into it.
   */
  async split(targetBytes: number, from?: SourcePosition): Promise<SourceRange[]> {
    const pool = await openPool(this.#options, this.#context, { readOnly: true, max: 1 });
    try {
      return await withConnection(pool, async (client) => {
        const shape = await resolveSourceShape(client, this.#target, this.#options.cursor, this.#where);
        // One snapshot for the fence and the boundaries: a row committed between two statements could otherwise
        // move the last range past a transaction still running, whose rows would then be skipped for good.
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        try {
          return await this.#ranges(client, shape, targetBytes, from);
        } finally {
          await client.query('ROLLBACK').catch(() => undefined);
        }
      });
    } catch (error) {
      if (error instanceof SluiceError) throw error;
      throw this.#failure(`cannot split ${this.#label} at ${this.#where} into tasks`, error);
    } finally {
      await pool.end().catch(() => undefined);
    }
  }

  /** The ranges, read inside the split's snapshot. */
  async #ranges(client: pg.ClientBase, shape: KeysetShape, targetBytes: number, from: SourcePosition | undefined): Promise<SourceRange[]> {
    const after = from === undefined ? undefined : positionValues(from, shape.order, this.description, this.#fingerprint);
    const values = after ?? [];
    const plain = splitStatements(shape, { after: after !== undefined, fenced: false });
    const rowBytes = Number((await client.query<[number]>({ text: plain.sample, values, rowMode: 'array' })).rows[0]?.[0] ?? 0);
    const rowsPerRange = Math.max(1000, Math.floor(targetBytes / Math.max(rowBytes, 1)));
    const fence = shape.settledColumn ? (await client.query<string[]>({ text: plain.fence, values, rowMode: 'array', types: RAW_TEXT_TYPES })).rows[0] : undefined;
    const statements = fence ? splitStatements(shape, { after: after !== undefined, fenced: true }) : plain;
    const ends = (await client.query<string[]>({ text: statements.boundaries, values: [...values, rowsPerRange, ...(fence ?? [])], rowMode: 'array', types: RAW_TEXT_TYPES })).rows;
    const ranges: SourceRange[] = [];
    let previous = after;
    for (const end of ends) {
      ranges.push({ ...(previous ? { from: keysetPosition(shape.order, previous, this.#fingerprint) } : {}), until: keysetPosition(shape.order, end.map(String), this.#fingerprint) });
      previous = end.map(String);
    }
    return ranges;
  }

  async open(from: SourcePosition | undefined, options?: OpenOptions): Promise<SourceReader> {
    const pool = await openPool(this.#options, this.#context, { readOnly: true, max: 1 });
    try {
      const resolved = await withConnection(pool, (client) => resolveSourceShape(client, this.#target, this.#options.cursor, this.#where)).catch((error: unknown) => {
        throw this.#failure(`cannot open ${this.#label} at ${this.#where}`, error);
      });
      const until = options?.until === undefined ? undefined : positionValues(options.until, resolved.order, this.description, this.#fingerprint);
      // A task's range ends at a row that was settled when the run was split: no fence to watch inside it.
      const shape = until === undefined ? resolved : { ...resolved, settledColumn: false };
      const after = from === undefined ? undefined : positionValues(from, shape.order, this.description, this.#fingerprint);
      const settings: ReadSettings = {
        label: this.#label,
        fingerprint: this.#fingerprint,
        pollMs: parseDuration(this.#options.pollInterval) ?? 1000,
        modes: { bigint: this.#options.bigint, numeric: this.#options.numeric },
        failure: (what, error) => this.#failure(what, error),
      };
      return new PostgresReader(settings, pool, shape, after, options, until);
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
  }

  /** A failure as SLUICE_SOURCE_FAILED; a refused password is forgotten and then worth one more try. */
  #failure(what: string, error: unknown): SluiceError {
    const refused = forgetRefusedPassword(this.#options, this.#context, error);
    return postgresFailure('SLUICE_SOURCE_FAILED', what, error, refused || isTransientPostgresError(error));
  }
}

/** What a reader takes from its source. */
interface ReadSettings {
  /** The table (schema.name) or `query`, for refs and messages. */
  label: string;
  /** Which server, database and table or query positions belong to. */
  fingerprint: string;
  pollMs: number;
  modes: TypeModes;
  failure(what: string, error: unknown): SluiceError;
}

class PostgresReader implements SourceReader {
  readonly #settings: ReadSettings;
  readonly #pool: pg.Pool;
  readonly #shape: KeysetShape;
  readonly #statements: { first: string; next: string };
  readonly #follow: boolean;
  readonly #signal: AbortSignal | undefined;
  /** The next keyset read, sent while the batch before it is processed. */
  #ahead: Promise<pg.QueryArrayResult<(string | null)[]>> | undefined;
  #closing = false;
  /** A task's last row: reading ends there. */
  readonly #until: string[] | undefined;
  #after: string[] | undefined;
  #read = 0;
  #decode: { names: string[]; converters: Converter[]; order: number[]; settled: number } | undefined;

  constructor(settings: ReadSettings, pool: pg.Pool, shape: KeysetShape, after: string[] | undefined, options: OpenOptions | undefined, until?: string[]) {
    this.#settings = settings;
    this.#pool = pool;
    this.#shape = shape;
    this.#until = until;
    this.#statements = keysetStatements(shape, { bounded: until !== undefined });
    this.#after = after;
    this.#follow = options?.follow ?? false;
    this.#signal = options?.signal;
  }

  async *batches(batchSize: number): AsyncGenerator<SourceBatch, void, undefined> {
    for (;;) {
      if (this.#signal?.aborted) return;
      const result = await (this.#ahead ?? this.#fetch(batchSize));
      this.#ahead = undefined;
      const { batch, fenced } = this.#batch(result);
      const full = result.rows.length === batchSize && !fenced;
      // The next keyset read goes out before this batch is handed on: the server runs it and sends the rows on
      // another core while this one processes the batch. Its position is known already (#batch moved it), so at
      // most one batch more is in memory. A failure surfaces when the read is awaited, after this batch. Not when
      // following: there batches wait on new rows, not on the server, and a stop (SIGTERM) should find no read
      // in flight.
      if (full && !this.#follow && !this.#signal?.aborted && !this.#closing) {
        this.#ahead = this.#fetch(batchSize);
        this.#ahead.catch(() => undefined);
      }
      if (batch) yield batch;
      if (!full) {
        // All rows there are now have been read, or the rest waits for a transaction still running to end.
        if (!this.#follow || !(await this.#pause())) return;
      }
    }
  }

  progress(): { done: number; total?: number } {
    return { done: this.#read };
  }

  async close(): Promise<void> {
    // A read-ahead still running holds the pool's connection, which end() waits for: it is not retried once
    // closing, so this waits at most for the one query already sent.
    this.#closing = true;
    await this.#ahead?.catch(() => undefined);
    this.#ahead = undefined;
    await this.#pool.end();
  }

  /** One keyset query, retried on a new connection after a transient failure (its position makes it repeatable). */
  async #fetch(batchSize: number): Promise<pg.QueryArrayResult<(string | null)[]>> {
    const after = this.#after;
    const bound = this.#until ?? [];
    const config = after === undefined ? { text: this.#statements.first, values: [...bound, batchSize] } : { text: this.#statements.next, values: [...bound, ...after, batchSize] };
    return withRetry(async () => {
      if (this.#closing) throw new SluiceError('SLUICE_SOURCE_FAILED', `${this.#settings.label}: the reader was closed`);
      try {
        return await this.#pool.query<(string | null)[]>({ ...config, rowMode: 'array', types: RAW_TEXT_TYPES });
      } catch (error) {
        throw this.#settings.failure(`cannot read ${this.#settings.label} after ${this.#read} rows`, error);
      }
    }, QUERY_RETRY);
  }

  /** Waits pollInterval before looking again; false when the run is stopping. */
  async #pause(): Promise<boolean> {
    try {
      await sleep(this.#settings.pollMs, undefined, this.#signal ? { signal: this.#signal } : undefined);
      return true;
    } catch {
      return false;
    }
  }

  /** The rows as a batch, up to the first one not yet settled (fenced then); undefined when none is. */
  #batch(result: pg.QueryArrayResult<(string | null)[]>): { batch: SourceBatch | undefined; fenced: boolean } {
    const decode = (this.#decode ??= this.#decoder(result.fields));
    const { names, converters, order, settled } = decode;
    const records: unknown[] = [];
    const refs: string[] = [];
    let last: (string | null)[] = [];
    let fenced = false;
    for (const row of result.rows) {
      if (settled >= 0 && row[settled] !== 't') {
        fenced = true;
        break;
      }
      const record = newRecord();
      for (let i = 0; i < names.length; i++) {
        const text = row[i];
        record[names[i] as string] = text === null || text === undefined ? null : this.#convert(converters[i] as Converter, text, names[i] as string);
      }
      records.push(record);
      refs.push(`${this.#settings.label}(${order.map((index) => `${names[index]}=${row[index]}`).join(', ')})`);
      last = row;
    }
    if (records.length === 0) return { batch: undefined, fenced };
    this.#read += records.length;
    // The cursor and key are never NULL here (the statements read only rows where they are not).
    const after = order.map((index) => String(last[index]));
    this.#after = after;
    return { batch: { records, refs, malformed: [], end: keysetPosition(this.#shape.order, after, this.#settings.fingerprint) }, fenced };
  }

  #convert(converter: Converter, text: string, column: string): unknown {
    try {
      return converter(text);
    } catch (error) {
      if (!(error instanceof UnrepresentableValue)) throw error;
      // The value is not quoted: it may be personal data, and this message is logged.
      throw new SluiceError('SLUICE_INPUT_MALFORMED', `${this.#settings.label}: a row's column '${column}' holds an int8 beyond 2^53 - 1, which a JSON number cannot hold exactly; ${error.fix}`);
    }
  }

  #decoder(all: readonly pg.FieldDef[]): { names: string[]; converters: Converter[]; order: number[]; settled: number } {
    // The settled flag is the last column of a fenced read; it is not part of the record.
    const settled = this.#shape.settledColumn ? all.length - 1 : -1;
    const fields = settled >= 0 ? all.slice(0, settled) : all;
    const names = fields.map((field) => field.name);
    const modes = this.#settings.modes;
    const order = this.#shape.order.map((column) => names.indexOf(column));
    if (order.some((index) => index < 0)) throw new SluiceError('SLUICE_SOURCE_FAILED', `${this.#settings.label}: the rows no longer have the cursor and key columns (${this.#shape.order.join(', ')}); was the table altered?`);
    return { names, converters: fields.map((field) => converterFor(field.dataTypeID, modes)), order, settled };
  }
}
