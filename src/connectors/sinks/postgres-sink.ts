// The `postgresql` sink: a record sink that writes each batch into a table in one transaction, together with the
// batch's row in the ledger (batch-ledger.ts), so that a batch written again after a crash is there exactly once.
import type pg from 'pg';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { postgresInsecureOptOuts } from '../postgres/connection-options.ts';
import { SluiceError } from '../../errors.ts';
import type { CreateContext } from '../../spec/component.ts';
import { defineSink } from '../../spec/component.ts';
import { fieldNameSchema } from '../../spec/contract.ts';
import { RecordSink } from '../sink.ts';
import type { RecordBatch, SinkRunInfo, SinkSettings } from '../sink.ts';
import type { DataRecord } from '../../runtime/record.ts';
import { ensureLedger, ledgerRunKey, ledgerStatements } from '../postgres/batch-ledger.ts';
import type { LedgerStatements } from '../postgres/batch-ledger.ts';
import { describeRelation, hasUniqueKeyExactly, TABLE_KINDS } from '../postgres/catalog.ts';
import { checkPostgresConnection, endpointLabel, postgresConnectionShape } from '../postgres/connection-options.ts';
import { columnNameSchema, parseRelationName, quoteRelation, relationLabel, relationNameSchema } from '../postgres/identifiers.ts';
import type { RelationName } from '../postgres/identifiers.ts';
import { forgetRefusedPassword, openPool, withConnection } from '../postgres/pool.ts';
import { isTransientPostgresError, postgresFailure } from '../postgres/postgres-errors.ts';
import { COLUMN_TYPES, createTableStatement, insertStatement } from '../postgres/write-statements.ts';
import type { ColumnType } from '../postgres/write-statements.ts';

const postgresSinkSpec = z
  .strictObject({
    ...postgresConnectionShape,
    table: relationNameSchema.describe('The table to write: name or schema.name. Names are exact (quoted): Customers is not customers.'),
    key: z
      .array(columnNameSchema)
      .min(1)
      .optional()
      .describe(
        'Columns that identify a row (a primary key or unique index on exactly them): a record whose key is already there replaces that row (INSERT ... ON CONFLICT DO UPDATE). ' +
          'Without key every record is inserted; the batch ledger still keeps a batch from being written twice.',
      ),
    createTable: z.boolean().default(false).describe('Create the table when it does not exist: a column per field that reaches the sink, of the type columnTypes gives (text by default), with key as primary key.'),
    columnTypes: z
      .record(fieldNameSchema, z.enum(Object.keys(COLUMN_TYPES) as [ColumnType, ...ColumnType[]]))
      .optional()
      .describe(`With createTable: column types by field, among ${Object.keys(COLUMN_TYPES).join(', ')} (as PostgreSQL ${Object.values(COLUMN_TYPES).join(', ')}).`),
  })
  .superRefine((options, context) => {
    const issue = (path: string, message: string) => context.addIssue({ code: 'custom', path: [path], message });
    checkPostgresConnection(options, issue);
    if (options.columnTypes !== undefined && !options.createTable) issue('columnTypes', 'columnTypes apply only with createTable: true');
    if (options.key !== undefined && new Set(options.key).size !== options.key.length) issue('key', 'each key column once');
  })
  .describe(
    'Writes records into a PostgreSQL table, one transaction per batch with a row in the sluice_sink_batches ledger (in the same schema), so a replayed batch is written once.',
  );

type PostgresSinkOptions = z.output<typeof postgresSinkSpec>;

/** What the sink writes with, settled when it opens. */
interface Prepared {
  pool: pg.Pool;
  insert: string;
  ledger: LedgerStatements;
}

export class PostgresSink extends RecordSink {
  readonly #options: PostgresSinkOptions;
  readonly #context: CreateContext;
  readonly #relation: RelationName;
  readonly #where: string;
  #prepared: Prepared | undefined;
  #run: SinkRunInfo | undefined;

  constructor(options: PostgresSinkOptions, settings: SinkSettings, context: CreateContext) {
    super(settings);
    this.#options = options;
    this.#context = context;
    this.#relation = parseRelationName(options.table);
    this.#where = endpointLabel(options);
  }

  protected async _open(run: SinkRunInfo): Promise<void> {
    this.#run = run;
    const pool = await openPool(this.#options, this.#context, { readOnly: false, max: 1 });
    try {
      this.#prepared = await withConnection(pool, (client) => this.#prepare(client, pool));
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw this.#failure(`sink '${this.settings.name}' could not be opened at ${this.describe()}`, error);
    }
  }

  /** Creates what is asked, checks the table against the fields and key, and makes sure the ledger exists. */
  async #prepare(client: pg.PoolClient, pool: pg.Pool): Promise<Prepared> {
    const { fields, name } = this.settings;
    const key = this.#options.key;
    const label = relationLabel(this.#relation);
    const refuse = (message: string) => new SluiceError('SLUICE_SINK_WRITE_FAILED', `sink '${name}': ${message}`);
    const missingKeys = key?.filter((column) => !fields.includes(column)) ?? [];
    if (missingKeys.length > 0) throw refuse(`the key column ${missingKeys.join(', ')} is not among the fields that reach the sink (${fields.join(', ')}); an upsert needs the key's values`);
    const untyped = Object.keys(this.#options.columnTypes ?? {}).filter((field) => !fields.includes(field));
    if (untyped.length > 0) throw refuse(`columnTypes names ${untyped.join(', ')}, which does not reach the sink (its fields are ${fields.join(', ')})`);
    if (this.#options.createTable) await client.query(createTableStatement(quoteRelation(this.#relation), fields, key, this.#options.columnTypes ?? {}));
    const relation = await describeRelation(client, this.#relation);
    if (!relation) throw refuse(`table ${label} does not exist at ${this.#where}; create it, or set createTable: true`);
    if (!TABLE_KINDS.has(relation.kind)) throw refuse(`${label} at ${this.#where} is not a table`);
    const columns = new Map(relation.columns.map((column) => [column.name, column]));
    const missing = fields.filter((field) => !columns.has(field));
    if (missing.length > 0) throw refuse(`table ${label} has no column for field ${missing.join(', ')}; add the column (ALTER TABLE), or list only the other fields in the sink's fields`);
    const generated = fields.filter((field) => columns.get(field)?.generated === true);
    if (generated.length > 0) throw refuse(`column ${generated.join(', ')} of ${label} is generated and cannot be written; leave it out of the sink's fields`);
    if (key !== undefined && !hasUniqueKeyExactly(relation, key)) throw refuse(`table ${label} has no primary key or unique index on exactly (${key.join(', ')}), which the upsert needs; add one, or change key`);
    const ledger = ledgerStatements(relation.schema);
    await ensureLedger(client, ledger);
    const table = quoteRelation({ schema: relation.schema, name: relation.name });
    return { pool, insert: insertStatement(table, fields, key), ledger };
  }

  /**
   * One transaction: the batch's ledger row, then its records. A batch already in the ledger with the same records
   * (written before a crash lost its checkpoint) is skipped without a key; one with other records (a stream's
   * redelivery in another order) is written. With a key every batch is upserted, which changes nothing for the
   * same records.
   */
  protected async _write(batch: RecordBatch): Promise<void> {
    const prepared = this.#prepared;
    const run = this.#run;
    if (!prepared || !run) throw new SluiceError('SLUICE_SINK_WRITE_FAILED', `sink '${this.settings.name}' was written before it was opened`);
    const rows = this.#options.key === undefined ? batch.records : lastPerKey(batch.records, this.#options.key);
    try {
      await withConnection(prepared.pool, async (client) => {
        await client.query('BEGIN');
        try {
          const digest = createHash('sha256').update(batch.refs.join('\n'), 'utf8').digest('base64url');
          const marked = await client.query(prepared.ledger.mark, [run.pipeline, this.settings.name, ledgerRunKey(run), batch.batch, batch.records.length, digest]);
          if (marked.rowCount === 0 && this.#options.key === undefined) {
            await client.query('ROLLBACK');
            return;
          }
          await client.query(prepared.insert, [JSON.stringify(rows)]);
          await client.query('COMMIT');
        } catch (error) {
          // A broken connection cannot roll back, but the server rolls back a transaction whose session ends.
          await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      });
    } catch (error) {
      throw this.#failure(`sink '${this.settings.name}' could not write batch ${batch.batch} to ${this.describe()}`, error);
    }
  }

  /** Forgets ledger rows of runs past the retention; the table's rows are the user's data and are kept. */
  protected override async _prune(before: Date, keepRunId: string): Promise<string[]> {
    const prepared = this.#prepared;
    const run = this.#run;
    if (!prepared || !run) return [];
    await prepared.pool.query(prepared.ledger.prune, [run.pipeline, this.settings.name, keepRunId, before.toISOString()]);
    return [];
  }

  protected override async _close(): Promise<void> {
    await this.#prepared?.pool.end();
    this.#prepared = undefined;
  }

  describe(): string {
    return `postgresql ${this.#where} table ${relationLabel(this.#relation)}`;
  }

  #failure(what: string, error: unknown): SluiceError {
    const refused = forgetRefusedPassword(this.#options, this.#context, error);
    return postgresFailure('SLUICE_SINK_WRITE_FAILED', what, error, refused || isTransientPostgresError(error));
  }
}

/**
 * The last record for each key, in batch order: one INSERT ... ON CONFLICT cannot touch a row twice, and the later
 * record is the newer. Keys compare as their JSON text.
 */
function lastPerKey(records: readonly DataRecord[], key: readonly string[]): DataRecord[] {
  const byKey = new Map<string, DataRecord>();
  for (const record of records) {
    const id = JSON.stringify(key.map((column) => record[column] ?? null));
    byKey.delete(id);
    byKey.set(id, record);
  }
  return [...byKey.values()];
}

export const postgresSink = defineSink({
  name: 'postgresql',
  summary: 'Writes records into a PostgreSQL table, inserting or upserting on a key, one transaction per batch with a ledger row so a replayed batch is written once.',
  holds: 'records',
  spec: postgresSinkSpec,
  insecureOptOuts: postgresInsecureOptOuts,
  examples: [
    { host: 'warehouse.internal', database: 'analytics', user: 'sluice_writer', password: 'vault://secret/warehouse#password', tls: { ca: 'certs/warehouse-ca.pem' }, table: 'crm.customers', key: ['customer_id'] },
    { host: '127.0.0.1', database: 'test', user: 'postgres', insecureNoTls: true, table: 'customers_masked', createTable: true, key: ['id'], columnTypes: { id: 'integer', signed_up: 'timestamp' } },
  ],
  create: (options, settings, context) => new PostgresSink(options, settings, context),
  target: (options) => `postgresql://${endpointLabel(options)}/${options.table}`,
});
