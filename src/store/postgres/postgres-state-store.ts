// The cluster state store: PostgreSQL, one schema per Sluice deployment, versioned with a schema_version table.
// Mirrors SqliteStateStore method by method; store.suite.ts holds both to one contract.
import { SluiceError } from '../../errors.ts';
import type { Checkpoint, NewTask, RunHold, RunRecord, RunStatus, RunTotals, StateStore, StoredObject, TaskCommit, TaskProgress, TaskRecord, WorkerRecord } from '../state-store.ts';
import type { SourcePosition } from '../../connectors/source.ts';
import { emptyTotals } from '../state-store.ts';
import { quoteIdentifier } from '../../connectors/postgres/identifiers.ts';
import { postgresFailure, sqlState } from '../../connectors/postgres/postgres-errors.ts';
import type { KeyVersionRecord } from '../../crypto/keyring/key-store.ts';
import type { SubjectKeyRecord } from '../../crypto/subjects/subject-key-store.ts';
import type { SecretRecord } from '../../secrets/store/secret-record-store.ts';
import type { RecordedAuditEvent } from '../../audit/audit-event.ts';
import type { AuditChainTuple, AuditCheckpointRow, AuditNode, AuditQuery, AuditRow } from '../../audit/audit-store.ts';
import { PostgresSession, sqlLimit, tablesIn } from './postgres-session.ts';
import type { PostgresStoreTarget, Queries } from './postgres-session.ts';
import { checkSchemaVersion, migrateSchema } from './postgres-migrate.ts';
import { readTotals, toRun, toTask, toWorker } from '../store-rows.ts';
import type { RunRow, TaskRow, WorkerRow } from '../store-rows.ts';
import { PostgresAccessTables } from './postgres-access-tables.ts';
import { PostgresAuditTables } from './postgres-audit-tables.ts';
import { PostgresKeyTables } from './postgres-key-tables.ts';
import { PostgresSecretTables } from './postgres-secret-tables.ts';

/** A pool (the caller's, left open on close) or a connection string, and the schema that holds the store. */
export type PostgresStateStoreOptions = PostgresStoreTarget & {
  schema: string;
  /** Create and migrate the schema (default). False only checks its version: a worker's role has no DDL rights. */
  migrate?: boolean;
};

const RUN_COLUMNS = 'id, pipeline, spec_hash, status, started_at, finished_at, pid, attempts, totals, error, host, held_until';
const TASK_COLUMNS = 'run_id, id, from_position, until_position, status, attempts, worker, leased_until, totals, committed_at, error, end_position, spec_path';
const WORKER_COLUMNS = 'id, host, pid, concurrency, in_flight, state, started_at, last_seen_at';

/** A violation of the one-running-run index means another process holds the pipeline. */
function runLockedOr(error: unknown, what: string): unknown {
  const cause = error instanceof SluiceError ? error.cause : error;
  if (sqlState(cause) === '23505' && (cause as { constraint?: unknown }).constraint === 'one_running_run_per_pipeline') {
    return new SluiceError('SLUICE_RUN_LOCKED', `another process is running ${what}; wait for it to finish`, { cause });
  }
  return error;
}

/** The last entry per key, as SQLite's INSERT OR REPLACE row by row leaves them (one upsert cannot touch a row twice). */
function lastPer<T>(items: readonly T[], key: (item: T) => string): T[] {
  return [...new Map(items.map((item) => [key(item), item])).values()];
}

export class PostgresStateStore implements StateStore {
  readonly #session: PostgresSession;
  readonly #schema: string;
  readonly #quotedSchema: string;
  readonly #t: Record<'runs' | 'checkpoints' | 'objects' | 'tasks' | 'workers', string>;
  readonly #keys: PostgresKeyTables;
  readonly #secrets: PostgresSecretTables;
  readonly #audit: PostgresAuditTables;
  readonly access: PostgresAccessTables;

  /**
   * A store on a schema that is already migrated; use open(), which migrates it first. TLS comes from the
   * connection string (sslmode) for now: the connectors' verify-full policy is not applied here yet.
   */
  constructor(options: PostgresStateStoreOptions) {
    let quoted: string;
    try {
      quoted = quoteIdentifier(options.schema);
    } catch (error) {
      throw new SluiceError('SLUICE_STATE_STORE', `the state store's schema '${options.schema}' cannot be a PostgreSQL name: ${(error as Error).message}`, { cause: error });
    }
    this.#session = new PostgresSession(options);
    this.#schema = options.schema;
    this.#quotedSchema = quoted;
    this.#t = tablesIn(quoted, ['runs', 'checkpoints', 'objects', 'tasks', 'workers']);
    this.#keys = new PostgresKeyTables(this.#session, quoted);
    this.#secrets = new PostgresSecretTables(this.#session, quoted);
    this.#audit = new PostgresAuditTables(this.#session, quoted);
    this.access = new PostgresAccessTables(this.#session, quoted);
  }

  /**
   * Opens the store in `schema`, creating the schema if it is missing and migrating it (once, however many
   * processes open it together). Refuses (SLUICE_STATE_STORE) a schema newer than this Sluice knows.
   */
  static async open(options: PostgresStateStoreOptions): Promise<PostgresStateStore> {
    const store = new PostgresStateStore(options);
    try {
      if (options.migrate === false) await checkSchemaVersion(store.#session, store.#schema, store.#quotedSchema);
      else await migrateSchema(store.#session, store.#schema, store.#quotedSchema);
    } catch (error) {
      await store.close().catch(() => undefined);
      // A refusal (a newer schema) stands as it is; a server or driver failure says what it stopped.
      const cause = error instanceof SluiceError ? (error.cause ?? error) : error;
      throw postgresFailure('SLUICE_STATE_STORE', `cannot open the state store in PostgreSQL schema ${options.schema}`, cause);
    }
    return store;
  }

  /** The schema the store lives in. */
  get schema(): string {
    return this.#schema;
  }

  async createRun(run: { id: string; pipeline: string; specHash: string; startedAt: string; pid: number; hold?: RunHold }): Promise<void> {
    try {
      await this.#session.run(
        `INSERT INTO ${this.#t.runs} (id, pipeline, spec_hash, status, started_at, pid, totals, host, held_until) VALUES ($1, $2, $3, 'running', $4, $5, $6, $7, $8)`,
        [run.id, run.pipeline, run.specHash, run.startedAt, run.pid, JSON.stringify(emptyTotals()), run.hold?.host ?? null, run.hold?.heldUntil ?? null],
      );
    } catch (error) {
      throw runLockedOr(error, run.pipeline);
    }
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const row = await this.#session.row<RunRow>(`SELECT ${RUN_COLUMNS} FROM ${this.#t.runs} WHERE id = $1`, [id]);
    return row ? toRun(row) : undefined;
  }

  async findUnfinished(pipeline: string): Promise<RunRecord | undefined> {
    const row = await this.#session.row<RunRow>(
      `SELECT ${RUN_COLUMNS} FROM ${this.#t.runs} WHERE pipeline = $1 AND status IN ('running','failed') ORDER BY started_at DESC, seq DESC LIMIT 1`,
      [pipeline],
    );
    return row ? toRun(row) : undefined;
  }

  async resumeRun(id: string, pid: number, expected: { status: RunStatus; pid: number }, hold?: RunHold): Promise<boolean> {
    try {
      const changed = await this.#session.run(
        `UPDATE ${this.#t.runs} SET status = 'running', pid = $1, attempts = attempts + 1, error = NULL, host = $5, held_until = $6 WHERE id = $2 AND status = $3 AND pid = $4`,
        [pid, id, expected.status, expected.pid, hold?.host ?? null, hold?.heldUntil ?? null],
      );
      return changed === 1;
    } catch (error) {
      throw runLockedOr(error, id);
    }
  }

  async renewRun(id: string, pid: number, hold: RunHold): Promise<boolean> {
    return (await this.#session.run(`UPDATE ${this.#t.runs} SET held_until = $1 WHERE id = $2 AND status = 'running' AND pid = $3 AND host = $4`, [hold.heldUntil, id, pid, hold.host])) === 1;
  }

  async commitCheckpoint(checkpoint: Checkpoint): Promise<void> {
    const totals = JSON.stringify(checkpoint.totals);
    await this.#session.transaction(async (tx) => {
      // The run's row lock orders the run's commits: the batch number read next sees the one committed before.
      await tx.run(`SELECT 1 FROM ${this.#t.runs} WHERE id = $1 FOR UPDATE`, [checkpoint.runId]);
      const last = await tx.row<{ batch: number | null }>(`SELECT MAX(batch) AS batch FROM ${this.#t.checkpoints} WHERE run_id = $1`, [checkpoint.runId]);
      const expected = (last?.batch ?? 0) + 1;
      if (checkpoint.batch !== expected) {
        throw new SluiceError('SLUICE_STATE_STORE', `checkpoint for batch ${checkpoint.batch} of run ${checkpoint.runId} is out of order (expected ${expected})`);
      }
      await tx.run(`INSERT INTO ${this.#t.checkpoints} (run_id, batch, position, totals, committed_at) VALUES ($1, $2, $3, $4, $5)`, [
        checkpoint.runId,
        checkpoint.batch,
        JSON.stringify(checkpoint.position),
        totals,
        new Date().toISOString(),
      ]);
      await this.#recordObjects(tx, checkpoint.objects ?? []);
      await tx.run(`UPDATE ${this.#t.runs} SET totals = $1 WHERE id = $2`, [totals, checkpoint.runId]);
    });
  }

  async lastCheckpoint(runId: string): Promise<Checkpoint | undefined> {
    const row = await this.#session.row<{ run_id: string; batch: number; position: string; totals: string }>(
      `SELECT run_id, batch, position, totals FROM ${this.#t.checkpoints} WHERE run_id = $1 ORDER BY batch DESC LIMIT 1`,
      [runId],
    );
    if (!row) return undefined;
    return { runId: row.run_id, batch: row.batch, position: JSON.parse(row.position) as Checkpoint['position'], totals: readTotals(row.totals) };
  }

  async lastSucceededPosition(pipeline: string): Promise<SourcePosition | undefined> {
    const row = await this.#session.row<{ position: string }>(
      `SELECT c.position FROM ${this.#t.runs} r JOIN ${this.#t.checkpoints} c ON c.run_id = r.id
       WHERE r.pipeline = $1 AND r.status = 'succeeded' ORDER BY r.started_at DESC, r.seq DESC, c.batch DESC LIMIT 1`,
      [pipeline],
    );
    return row ? (JSON.parse(row.position) as SourcePosition) : undefined;
  }

  async finishRun(id: string, outcome: { status: Exclude<RunStatus, 'running'>; finishedAt: string; totals: RunTotals; error?: string }): Promise<void> {
    await this.#session.run(`UPDATE ${this.#t.runs} SET status = $1, finished_at = $2, totals = $3, error = $4 WHERE id = $5`, [
      outcome.status,
      outcome.finishedAt,
      JSON.stringify(outcome.totals),
      outcome.error ?? null,
      id,
    ]);
  }

  async listRuns(options: { pipeline?: string; limit?: number } = {}): Promise<RunRecord[]> {
    // Newest first; runs that started at the same time, last created first (seq stands for SQLite's rowid).
    const rows = await this.#session.rows<RunRow>(
      `SELECT ${RUN_COLUMNS} FROM ${this.#t.runs} WHERE ($1::text IS NULL OR pipeline = $1) ORDER BY started_at DESC, seq DESC LIMIT $2`,
      [options.pipeline || null, sqlLimit(options.limit ?? 20)],
    );
    return rows.map(toRun);
  }

  async listObjects(filter: { keyId?: string; keyVersion?: number; runId?: string } = {}): Promise<StoredObject[]> {
    const rows = await this.#session.rows<{ location: string; run_id: string; key_id: string; key_version: number }>(
      `SELECT location, run_id, key_id, key_version FROM ${this.#t.objects}
       WHERE ($1::text IS NULL OR key_id = $1) AND ($2::integer IS NULL OR key_version = $2) AND ($3::text IS NULL OR run_id = $3) ORDER BY location`,
      [filter.keyId ?? null, filter.keyVersion ?? null, filter.runId ?? null],
    );
    return rows.map((r) => ({ location: r.location, runId: r.run_id, keyId: r.key_id, keyVersion: r.key_version }));
  }

  async updateObjectKey(location: string, keyVersion: number): Promise<void> {
    await this.#session.run(`UPDATE ${this.#t.objects} SET key_version = $1 WHERE location = $2`, [keyVersion, location]);
  }

  async forgetObjects(which: { runId: string } | { locations: readonly string[] }): Promise<void> {
    if ('runId' in which) {
      await this.#session.run(`DELETE FROM ${this.#t.objects} WHERE run_id = $1`, [which.runId]);
      return;
    }
    await this.#session.run(`DELETE FROM ${this.#t.objects} WHERE location = ANY($1::text[])`, [which.locations]);
  }

  async createTasks(runId: string, tasks: readonly NewTask[]): Promise<void> {
    if (tasks.length === 0) return;
    // One statement, so one transaction. DO NOTHING keeps the first of two entries with one id, as SQLite's
    // INSERT OR IGNORE row by row does.
    await this.#session.run(
      `INSERT INTO ${this.#t.tasks} (run_id, id, from_position, until_position, spec_path) SELECT $1::text, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[])
       ON CONFLICT (run_id, id) DO NOTHING`,
      [
        runId,
        tasks.map((t) => t.id),
        tasks.map((t) => (t.from ? JSON.stringify(t.from) : null)),
        tasks.map((t) => (t.until ? JSON.stringify(t.until) : null)),
        tasks.map((t) => t.specPath ?? null),
      ],
    );
  }

  async renewLease(runId: string, taskId: string, attempt: number, leasedUntil: string): Promise<boolean> {
    return (await this.#session.run(`UPDATE ${this.#t.tasks} SET leased_until = $4 WHERE run_id = $1 AND id = $2 AND status = 'pending' AND attempts = $3`, [runId, taskId, attempt, leasedUntil])) === 1;
  }

  async leaseTask(runId: string, taskId: string, worker: string, leasedUntil: string, now: string): Promise<{ task: TaskRecord; leased: boolean } | undefined> {
    // The lease is the one UPDATE (a concurrent commit or failure waits for it or makes it match nothing). When it
    // matches nothing the task is read afresh, in a statement of its own: a data-modifying CTE's outer SELECT
    // would see the snapshot from before a commit the UPDATE waited for, and call a committed task pending.
    const taken = await this.#session.row<TaskRow>(
      `UPDATE ${this.#t.tasks} SET worker = $3, leased_until = $4, attempts = attempts + 1
        WHERE run_id = $1 AND id = $2 AND status = 'pending' AND (leased_until IS NULL OR leased_until COLLATE "C" <= $5 COLLATE "C") RETURNING ${TASK_COLUMNS}`,
      [runId, taskId, worker, leasedUntil, now],
    );
    if (taken) return { task: toTask(taken), leased: true };
    const row = await this.#session.row<TaskRow>(`SELECT ${TASK_COLUMNS} FROM ${this.#t.tasks} WHERE run_id = $1 AND id = $2`, [runId, taskId]);
    return row ? { task: toTask(row), leased: false } : undefined;
  }

  async commitTask(commit: TaskCommit): Promise<boolean> {
    return this.#session.transaction(async (tx) => {
      // A second commit of the task waits for the first's row lock, then finds it no longer pending (READ
      // COMMITTED re-checks the WHERE on the updated row): exactly one commit changes it.
      const committed = await tx.run(
        `UPDATE ${this.#t.tasks} AS t SET status = 'committed', totals = $3, committed_at = $4, worker = $5, end_position = $6
          WHERE t.run_id = $1 AND t.id = $2 AND t.status = 'pending' AND t.attempts = $7
            AND EXISTS (SELECT 1 FROM ${this.#t.runs} AS r WHERE r.id = t.run_id AND r.status = 'running')`,
        [commit.runId, commit.taskId, JSON.stringify(commit.totals), commit.committedAt, commit.worker, commit.end !== undefined ? JSON.stringify(commit.end) : null, commit.attempt],
      );
      // Committed already (a redelivery) or dead: nothing is written, objects included.
      if (committed !== 1) return false;
      await this.#recordObjects(tx, commit.objects ?? []);
      return true;
    });
  }

  async failTask(runId: string, taskId: string, error: string): Promise<void> {
    await this.#session.run(`UPDATE ${this.#t.tasks} SET status = 'dead', error = $3 WHERE run_id = $1 AND id = $2 AND status = 'pending'`, [runId, taskId, error]);
  }

  async retryDeadTasks(runId: string): Promise<number> {
    const rows = await this.#session.rows<{ id: string }>(`UPDATE ${this.#t.tasks} SET status = 'pending', error = NULL, attempts = 0 WHERE run_id = $1 AND status = 'dead' RETURNING id`, [runId]);
    return rows.length;
  }

  async taskProgress(runId: string): Promise<TaskProgress> {
    const row = await this.#session.row<{ pending: number; committed: number; dead: number; records_in: string }>(
      `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending, count(*) FILTER (WHERE status = 'committed')::int AS committed,
              count(*) FILTER (WHERE status = 'dead')::int AS dead,
              COALESCE(SUM((totals::json ->> 'recordsIn')::bigint) FILTER (WHERE status = 'committed'), 0)::text AS records_in
         FROM ${this.#t.tasks} WHERE run_id = $1`,
      [runId],
    );
    return { pending: row?.pending ?? 0, committed: row?.committed ?? 0, dead: row?.dead ?? 0, recordsIn: Number(row?.records_in ?? 0) };
  }

  async listTasks(runId: string): Promise<TaskRecord[]> {
    const rows = await this.#session.rows<TaskRow>(`SELECT ${TASK_COLUMNS} FROM ${this.#t.tasks} WHERE run_id = $1 ORDER BY length(id), id`, [runId]);
    return rows.map(toTask);
  }

  async recordWorker(worker: WorkerRecord): Promise<void> {
    await this.#session.run(
      `INSERT INTO ${this.#t.workers} (${WORKER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (id) DO UPDATE SET host = EXCLUDED.host, pid = EXCLUDED.pid, concurrency = EXCLUDED.concurrency, in_flight = EXCLUDED.in_flight,
         state = EXCLUDED.state, started_at = EXCLUDED.started_at, last_seen_at = EXCLUDED.last_seen_at`,
      [worker.id, worker.host, worker.pid, worker.concurrency, worker.inFlight, worker.state, worker.startedAt, worker.lastSeenAt],
    );
  }

  async listWorkers(): Promise<WorkerRecord[]> {
    return (await this.#session.rows<WorkerRow>(`SELECT ${WORKER_COLUMNS} FROM ${this.#t.workers} ORDER BY id`)).map(toWorker);
  }

  /** Records objects written at rest in the transaction `tx`; writing a location again replaces its entry. */
  async #recordObjects(tx: Queries, objects: readonly StoredObject[]): Promise<void> {
    const last = lastPer(objects, (o) => o.location);
    if (last.length === 0) return;
    await tx.run(
      `INSERT INTO ${this.#t.objects} (location, run_id, key_id, key_version) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[])
       ON CONFLICT (location) DO UPDATE SET run_id = EXCLUDED.run_id, key_id = EXCLUDED.key_id, key_version = EXCLUDED.key_version`,
      [last.map((o) => o.location), last.map((o) => o.runId), last.map((o) => o.keyId), last.map((o) => o.keyVersion)],
    );
  }

  getSubjectKeys(keyId: string, refs: readonly Buffer[]): Promise<SubjectKeyRecord[]> {
    return this.#keys.getSubjectKeys(keyId, refs);
  }

  putSubjectKeys(keyId: string, records: readonly { ref: Buffer; keyVersion: number; wrapped: Buffer }[]): Promise<Buffer[]> {
    return this.#keys.putSubjectKeys(keyId, records);
  }

  eraseSubjectKeys(keyId: string, refs: readonly Buffer[], keyVersion: number, erasedAt: string): Promise<number> {
    return this.#keys.eraseSubjectKeys(keyId, refs, keyVersion, erasedAt);
  }

  countSubjectKeys(keyId: string, keyVersion: number): Promise<number> {
    return this.#keys.countSubjectKeys(keyId, keyVersion);
  }

  getRefKey(keyId: string): Promise<{ keyVersion: number; wrapped: Buffer } | undefined> {
    return this.#keys.getRefKey(keyId);
  }

  putRefKey(keyId: string, keyVersion: number, wrapped: Buffer): Promise<boolean> {
    return this.#keys.putRefKey(keyId, keyVersion, wrapped);
  }

  listSubjectKeysNotUnder(keyId: string, version: number, limit: number): Promise<SubjectKeyRecord[]> {
    return this.#keys.listSubjectKeysNotUnder(keyId, version, limit);
  }

  rewrapSubjectKey(keyId: string, ref: Buffer, keyVersion: number, wrapped: Buffer): Promise<void> {
    return this.#keys.rewrapSubjectKey(keyId, ref, keyVersion, wrapped);
  }

  rewrapRefKey(keyId: string, keyVersion: number, wrapped: Buffer): Promise<void> {
    return this.#keys.rewrapRefKey(keyId, keyVersion, wrapped);
  }

  addKeyVersion(record: Omit<KeyVersionRecord, 'state'>): Promise<void> {
    return this.#keys.addKeyVersion(record);
  }

  listKeyVersions(keyId?: string): Promise<KeyVersionRecord[]> {
    return this.#keys.listKeyVersions(keyId);
  }

  destroyKeyVersion(keyId: string, version: number): Promise<void> {
    return this.#keys.destroyKeyVersion(keyId, version);
  }

  putSecret(record: SecretRecord, expected: number | undefined): Promise<boolean> {
    return this.#secrets.putSecret(record, expected);
  }

  getSecret(name: string): Promise<SecretRecord | undefined> {
    return this.#secrets.getSecret(name);
  }

  listSecrets(): Promise<SecretRecord[]> {
    return this.#secrets.listSecrets();
  }

  deleteSecret(name: string): Promise<boolean> {
    return this.#secrets.deleteSecret(name);
  }

  markSecretRead(name: string, at: string): Promise<void> {
    return this.#secrets.markSecretRead(name, at);
  }

  countSecrets(keyId: string, keyVersion: number): Promise<number> {
    return this.#secrets.countSecrets(keyId, keyVersion);
  }

  resealSecret(name: string, version: number, keyVersion: number, sealed: Buffer): Promise<boolean> {
    return this.#secrets.resealSecret(name, version, keyVersion, sealed);
  }

  auditHead(): Promise<{ size: number; chain: Buffer }> {
    return this.#audit.auditHead();
  }

  appendAuditRows(expectedSize: number, rows: readonly AuditRow[], nodes: readonly AuditNode[]): Promise<boolean> {
    return this.#audit.appendAuditRows(expectedSize, rows, nodes);
  }

  readAuditRows(fromSeq: number, limit: number): Promise<AuditRow[]> {
    return this.#audit.readAuditRows(fromSeq, limit);
  }

  readAuditChain(fromSeq: number, limit: number): Promise<AuditChainTuple[]> {
    return this.#audit.readAuditChain(fromSeq, limit);
  }

  getAuditNode(level: number, index: number): Promise<Buffer | undefined> {
    return this.#audit.getAuditNode(level, index);
  }

  putAuditCheckpoint(checkpoint: AuditCheckpointRow): Promise<void> {
    return this.#audit.putAuditCheckpoint(checkpoint);
  }

  listAuditCheckpoints(): Promise<AuditCheckpointRow[]> {
    return this.#audit.listAuditCheckpoints();
  }

  latestAuditCheckpoint(): Promise<AuditCheckpointRow | undefined> {
    return this.#audit.latestAuditCheckpoint();
  }

  queryAuditEvents(query: AuditQuery): Promise<RecordedAuditEvent[]> {
    return this.#audit.queryAuditEvents(query);
  }

  /** Ends the pool if the store opened it from a connection string; a pool passed in is the caller's to end. */
  async close(): Promise<void> {
    await this.#session.end();
  }
}
