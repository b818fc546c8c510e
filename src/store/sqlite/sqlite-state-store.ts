// The embedded state store: SQLite through better-sqlite3, WAL mode, schema versioned with user_version.
import type Database from 'better-sqlite3';
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SluiceError } from '../../errors.ts';
import type { Checkpoint, NewTask, RunHold, RunRecord, RunStatus, RunTotals, StateStore, StoredObject, TaskCommit, TaskProgress, TaskRecord, WorkerRecord } from '../state-store.ts';
import type { SourcePosition } from '../../connectors/source.ts';
import { emptyTotals } from '../state-store.ts';
import { SQLITE_MIGRATIONS } from './migrations.ts';
import { SqliteAccessTables } from './sqlite-access-tables.ts';
import { cacheStatements } from './statement-cache.ts';
import { isBusy, openDatabase, stateBusyError, useWriteAheadLog } from './open-database.ts';
import type { OpenTimings } from './open-database.ts';
import { readTotals, toCheckpoint, toKeyVersion, toRun, toSecret, toTask, toWorker } from '../store-rows.ts';
import type { CheckpointRow, KeyRow, RunRow, SecretRow, TaskRow, WorkerRow } from '../store-rows.ts';
import type { KeyVersionRecord } from '../../crypto/keyring/key-store.ts';
import type { SubjectKeyRecord } from '../../crypto/subjects/subject-key-store.ts';
import type { SecretRecord } from '../../secrets/store/secret-record-store.ts';
import type { RecordedAuditEvent } from '../../audit/audit-event.ts';
import type { AuditChainTuple, AuditCheckpointRow, AuditNode, AuditQuery, AuditRow } from '../../audit/audit-store.ts';

/**
 * Brings the schema up to date in one IMMEDIATE transaction, reading the version again inside it: two processes
 * opening a new store at once migrate it once, not twice. A store that is up to date is only read, so opening it
 * does not wait for a running pipeline's writes.
 */
function migrate(db: Database.Database, file: string): void {
  const checkVersion = (): number => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > SQLITE_MIGRATIONS.length) {
      throw new SluiceError('SLUICE_STATE_STORE', `the state store ${file} has schema version ${current}, newer than this Sluice knows (${SQLITE_MIGRATIONS.length}); upgrade Sluice`);
    }
    return current;
  };
  if (checkVersion() === SQLITE_MIGRATIONS.length) return;
  db.transaction(() => {
    const current = checkVersion();
    for (let version = current; version < SQLITE_MIGRATIONS.length; version++) db.exec(SQLITE_MIGRATIONS[version] ?? '');
    if (current < SQLITE_MIGRATIONS.length) db.pragma(`user_version = ${SQLITE_MIGRATIONS.length}`);
  }).immediate();
}

/** A unique-index violation on running runs means another process holds the pipeline. */
function lockedOr(error: unknown, what: string): unknown {
  if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
    return new SluiceError('SLUICE_RUN_LOCKED', `another process is running ${what}; wait for it to finish`, { cause: error });
  }
  return error;
}

/** The page size of a new state store file (see the constructor). */
export const PAGE_BYTES = 16_384;

export class SqliteStateStore implements StateStore {
  readonly #db: Database.Database;
  readonly access: SqliteAccessTables;

  /**
   * Runs `fn` in a write transaction that takes the write lock at BEGIN. A deferred transaction that reads first
   * and another process commits in between cannot become a writer, and SQLite fails it at once, without waiting.
   */
  #write<T>(fn: () => T): T {
    const result = this.#db.transaction(fn).immediate();
    this.#retryWalFlush();
    return result;
  }

  /** After a write transaction: a flush that was held back is tried again, without waiting (see #flushWal). */
  #retryWalFlush(): void {
    if (!this.#walFlushPending) return;
    try {
      this.#flushWal(false);
    } catch {
      // The write itself committed; the flush stays pending for the next one and for close.
    }
  }

  /** An erasure or destruction whose WAL flush another process's read held back (see #flushWal). */
  #walFlushPending = false;

  /**
   * Opens (creating if needed) the store at `file`; ':memory:' for tests. `timings` are for tests of waiting on
   * another process's lock.
   */
  constructor(file: string, timings?: OpenTimings) {
    try {
      if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      this.#db = openDatabase(
        file,
        (db) => {
          // Before anything is written: SQLite fixes the page size when it creates the file (an existing file keeps
          // its own; in WAL mode only a rebuild changes it). Speed: reading the whole audit log, as verification
          // does, is a system call and a copy per page; with 16 KiB pages instead of SQLite's 4 KiB default it read
          // a row in 0.91 µs instead of 1.24, and verified 326,000 events/s instead of 294,000 (200,000 events).
          db.pragma(`page_size = ${PAGE_BYTES}`);
          // The store holds wrapped keys and run history: private to its owner. SQLite gives the -wal and -shm
          // files the database file's mode, so this covers them too.
          if (file !== ':memory:') {
            chmodSync(file, 0o600);
            useWriteAheadLog(db);
          }
          // FULL: a committed checkpoint survives power loss, not only a process crash.
          db.pragma('synchronous = FULL');
          db.pragma('foreign_keys = ON');
          // Deleted or overwritten content (destroyed and erased keys) is zeroed in the file, not left in free pages.
          db.pragma('secure_delete = ON');
          migrate(db, file);
        },
        timings,
      );
      cacheStatements(this.#db);
      this.access = new SqliteAccessTables(this.#db);
    } catch (error) {
      if (error instanceof SluiceError) throw error;
      if (isBusy(error)) throw stateBusyError(file, error);
      throw new SluiceError('SLUICE_STATE_STORE', `cannot open the state store ${file}: ${(error as Error).message}`, { cause: error });
    }
  }

  async createRun(run: { id: string; pipeline: string; specHash: string; startedAt: string; pid: number; hold?: RunHold }): Promise<void> {
    try {
      this.#db
        .prepare('INSERT INTO runs (id, pipeline, spec_hash, status, started_at, pid, totals, host, held_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(run.id, run.pipeline, run.specHash, 'running', run.startedAt, run.pid, JSON.stringify(emptyTotals()), run.hold?.host ?? null, run.hold?.heldUntil ?? null);
    } catch (error) {
      throw lockedOr(error, run.pipeline);
    }
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const row = this.#db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
    return row ? toRun(row) : undefined;
  }

  async findUnfinished(pipeline: string): Promise<RunRecord | undefined> {
    const row = this.#db
      .prepare("SELECT * FROM runs WHERE pipeline = ? AND status IN ('running','failed') ORDER BY started_at DESC, rowid DESC LIMIT 1")
      .get(pipeline) as RunRow | undefined;
    return row ? toRun(row) : undefined;
  }

  async resumeRun(id: string, pid: number, expected: { status: RunStatus; pid: number }, hold?: RunHold): Promise<boolean> {
    try {
      const result = this.#db
        .prepare("UPDATE runs SET status = 'running', pid = ?, attempts = attempts + 1, error = NULL, host = ?, held_until = ? WHERE id = ? AND status = ? AND pid = ?")
        .run(pid, hold?.host ?? null, hold?.heldUntil ?? null, id, expected.status, expected.pid);
      return result.changes === 1;
    } catch (error) {
      throw lockedOr(error, id);
    }
  }

  async renewRun(id: string, pid: number, hold: RunHold): Promise<boolean> {
    return this.#db.prepare("UPDATE runs SET held_until = ? WHERE id = ? AND status = 'running' AND pid = ? AND host = ?").run(hold.heldUntil, id, pid, hold.host).changes === 1;
  }

  async commitCheckpoint(checkpoint: Checkpoint): Promise<void> {
    const totals = JSON.stringify(checkpoint.totals);
    this.#write(() => {
      const last = this.#db.prepare('SELECT MAX(batch) AS batch FROM checkpoints WHERE run_id = ?').get(checkpoint.runId) as { batch: number | null };
      const expected = (last.batch ?? 0) + 1;
      if (checkpoint.batch !== expected) {
        throw new SluiceError('SLUICE_STATE_STORE', `checkpoint for batch ${checkpoint.batch} of run ${checkpoint.runId} is out of order (expected ${expected})`);
      }
      this.#db
        .prepare('INSERT INTO checkpoints (run_id, batch, position, totals, committed_at) VALUES (?, ?, ?, ?, ?)')
        .run(checkpoint.runId, checkpoint.batch, JSON.stringify(checkpoint.position), totals, new Date().toISOString());
      this.#recordObjects(checkpoint.objects ?? []);
      this.#db.prepare('UPDATE runs SET totals = ? WHERE id = ?').run(totals, checkpoint.runId);
    });
  }

  async lastCheckpoint(runId: string): Promise<Checkpoint | undefined> {
    const row = this.#db.prepare('SELECT * FROM checkpoints WHERE run_id = ? ORDER BY batch DESC LIMIT 1').get(runId) as
      | { run_id: string; batch: number; position: string; totals: string }
      | undefined;
    if (!row) return undefined;
    return { runId: row.run_id, batch: row.batch, position: JSON.parse(row.position) as Checkpoint['position'], totals: readTotals(row.totals) };
  }

  async lastSucceededPosition(pipeline: string): Promise<SourcePosition | undefined> {
    const row = this.#db
      .prepare(
        `SELECT c.position FROM runs r JOIN checkpoints c ON c.run_id = r.id
         WHERE r.pipeline = ? AND r.status = 'succeeded' ORDER BY r.started_at DESC, r.rowid DESC, c.batch DESC LIMIT 1`,
      )
      .get(pipeline) as { position: string } | undefined;
    return row ? (JSON.parse(row.position) as SourcePosition) : undefined;
  }

  async finishRun(id: string, outcome: { status: Exclude<RunStatus, 'running'>; finishedAt: string; totals: RunTotals; error?: string }): Promise<void> {
    this.#db
      .prepare('UPDATE runs SET status = ?, finished_at = ?, totals = ?, error = ? WHERE id = ?')
      .run(outcome.status, outcome.finishedAt, JSON.stringify(outcome.totals), outcome.error ?? null, id);
  }

  async listRuns(options: { pipeline?: string; limit?: number } = {}): Promise<RunRecord[]> {
    const limit = options.limit ?? 20;
    const rows = (options.pipeline
      ? this.#db.prepare('SELECT * FROM runs WHERE pipeline = ? ORDER BY started_at DESC, rowid DESC LIMIT ?').all(options.pipeline, limit)
      : this.#db.prepare('SELECT * FROM runs ORDER BY started_at DESC, rowid DESC LIMIT ?').all(limit)) as RunRow[];
    return rows.map(toRun);
  }

  async listObjects(filter: { keyId?: string; keyVersion?: number; runId?: string } = {}): Promise<StoredObject[]> {
    const rows = this.#db
      .prepare('SELECT * FROM objects WHERE (? IS NULL OR key_id = ?) AND (? IS NULL OR key_version = ?) AND (? IS NULL OR run_id = ?) ORDER BY location')
      .all(filter.keyId ?? null, filter.keyId ?? null, filter.keyVersion ?? null, filter.keyVersion ?? null, filter.runId ?? null, filter.runId ?? null) as { location: string; run_id: string; key_id: string; key_version: number }[];
    return rows.map((r) => ({ location: r.location, runId: r.run_id, keyId: r.key_id, keyVersion: r.key_version }));
  }

  async updateObjectKey(location: string, keyVersion: number): Promise<void> {
    this.#db.prepare('UPDATE objects SET key_version = ? WHERE location = ?').run(keyVersion, location);
  }

  async forgetObjects(which: { runId: string } | { locations: readonly string[] }): Promise<void> {
    if ('runId' in which) {
      this.#db.prepare('DELETE FROM objects WHERE run_id = ?').run(which.runId);
      return;
    }
    const remove = this.#db.prepare('DELETE FROM objects WHERE location = ?');
    this.#write(() => {
      for (const location of which.locations) remove.run(location);
    });
  }

  async createTasks(runId: string, tasks: readonly NewTask[]): Promise<void> {
    const insert = this.#db.prepare('INSERT OR IGNORE INTO tasks (run_id, id, from_position, until_position, spec_path) VALUES (?, ?, ?, ?, ?)');
    this.#write(() => {
      for (const task of tasks) insert.run(runId, task.id, task.from ? JSON.stringify(task.from) : null, task.until ? JSON.stringify(task.until) : null, task.specPath ?? null);
    });
  }

  async renewLease(runId: string, taskId: string, attempt: number, leasedUntil: string): Promise<boolean> {
    return this.#db.prepare("UPDATE tasks SET leased_until = ? WHERE run_id = ? AND id = ? AND status = 'pending' AND attempts = ?").run(leasedUntil, runId, taskId, attempt).changes === 1;
  }

  async leaseTask(runId: string, taskId: string, worker: string, leasedUntil: string, now: string): Promise<{ task: TaskRecord; leased: boolean } | undefined> {
    return this.#write(() => {
      const taken = this.#db
        .prepare("UPDATE tasks SET worker = ?, leased_until = ?, attempts = attempts + 1 WHERE run_id = ? AND id = ? AND status = 'pending' AND (leased_until IS NULL OR leased_until <= ?) RETURNING *")
        .get(worker, leasedUntil, runId, taskId, now) as TaskRow | undefined;
      if (taken) return { task: toTask(taken), leased: true };
      const row = this.#db.prepare('SELECT * FROM tasks WHERE run_id = ? AND id = ?').get(runId, taskId) as TaskRow | undefined;
      return row ? { task: toTask(row), leased: false } : undefined;
    });
  }

  async commitTask(commit: TaskCommit): Promise<boolean> {
    return this.#write(() => {
      const end = commit.end !== undefined ? JSON.stringify(commit.end) : null;
      const committed = this.#db
        .prepare(
          `UPDATE tasks SET status = 'committed', totals = ?, committed_at = ?, worker = ?, end_position = ?
            WHERE run_id = ? AND id = ? AND status = 'pending' AND attempts = ? AND EXISTS (SELECT 1 FROM runs WHERE runs.id = tasks.run_id AND runs.status = 'running')`,
        )
        .run(JSON.stringify(commit.totals), commit.committedAt, commit.worker, end, commit.runId, commit.taskId, commit.attempt);
      // Committed already (a redelivery) or dead: nothing is written, objects included.
      if (committed.changes !== 1) return false;
      this.#recordObjects(commit.objects ?? []);
      return true;
    });
  }

  async failTask(runId: string, taskId: string, error: string): Promise<void> {
    this.#db.prepare("UPDATE tasks SET status = 'dead', error = ? WHERE run_id = ? AND id = ? AND status = 'pending'").run(error, runId, taskId);
  }

  async retryDeadTasks(runId: string): Promise<number> {
    return this.#db.prepare("UPDATE tasks SET status = 'pending', error = NULL, attempts = 0 WHERE run_id = ? AND status = 'dead'").run(runId).changes;
  }

  async taskProgress(runId: string): Promise<TaskProgress> {
    const row = this.#db
      .prepare(
        `SELECT COALESCE(SUM(status = 'pending'), 0) AS pending, COALESCE(SUM(status = 'committed'), 0) AS committed, COALESCE(SUM(status = 'dead'), 0) AS dead,
                COALESCE(SUM(CASE WHEN status = 'committed' THEN json_extract(totals, '$.recordsIn') END), 0) AS recordsIn
           FROM tasks WHERE run_id = ?`,
      )
      .get(runId) as TaskProgress;
    return { pending: row.pending, committed: row.committed, dead: row.dead, recordsIn: row.recordsIn };
  }

  async listTasks(runId: string): Promise<TaskRecord[]> {
    return (this.#db.prepare('SELECT * FROM tasks WHERE run_id = ? ORDER BY length(id), id').all(runId) as TaskRow[]).map(toTask);
  }

  async recordWorker(worker: WorkerRecord): Promise<void> {
    this.#db
      .prepare(
        `INSERT INTO workers (id, host, pid, concurrency, in_flight, state, started_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, concurrency = excluded.concurrency, in_flight = excluded.in_flight,
           state = excluded.state, started_at = excluded.started_at, last_seen_at = excluded.last_seen_at`,
      )
      .run(worker.id, worker.host, worker.pid, worker.concurrency, worker.inFlight, worker.state, worker.startedAt, worker.lastSeenAt);
  }

  async listWorkers(): Promise<WorkerRecord[]> {
    return (this.#db.prepare('SELECT * FROM workers ORDER BY id').all() as WorkerRow[]).map(toWorker);
  }

  /** Records objects written at rest; writing a location again replaces its entry. Call inside a transaction. */
  #recordObjects(objects: readonly StoredObject[]): void {
    const recordObject = this.#db.prepare('INSERT OR REPLACE INTO objects (location, run_id, key_id, key_version) VALUES (?, ?, ?, ?)');
    for (const object of objects) recordObject.run(object.location, object.runId, object.keyId, object.keyVersion);
  }

  async getSubjectKeys(keyId: string, refs: readonly Buffer[]): Promise<SubjectKeyRecord[]> {
    const select = this.#db.prepare('SELECT subject_ref, key_version, wrapped, erased_at FROM subject_keys WHERE key_id = ? AND subject_ref = ?');
    const found: SubjectKeyRecord[] = [];
    for (const ref of refs) {
      const row = select.get(keyId, ref) as { subject_ref: Buffer; key_version: number; wrapped: Buffer | null; erased_at: string | null } | undefined;
      if (row) found.push({ ref: row.subject_ref, keyVersion: row.key_version, ...(row.wrapped ? { wrapped: row.wrapped } : {}), ...(row.erased_at ? { erasedAt: row.erased_at } : {}) });
    }
    return found;
  }

  async putSubjectKeys(keyId: string, records: readonly { ref: Buffer; keyVersion: number; wrapped: Buffer }[]): Promise<Buffer[]> {
    const insert = this.#db.prepare('INSERT OR IGNORE INTO subject_keys (key_id, subject_ref, key_version, wrapped) VALUES (?, ?, ?, ?)');
    const existing: Buffer[] = [];
    this.#write(() => {
      for (const r of records) if (insert.run(keyId, r.ref, r.keyVersion, r.wrapped).changes === 0) existing.push(r.ref);
    });
    return existing;
  }

  async eraseSubjectKeys(keyId: string, refs: readonly Buffer[], keyVersion: number, erasedAt: string): Promise<number> {
    // The wrapped key is overwritten, not only flagged: no copy of it stays in this store.
    const erase = this.#db.prepare('UPDATE subject_keys SET wrapped = NULL, erased_at = ? WHERE key_id = ? AND subject_ref = ? AND wrapped IS NOT NULL');
    const tombstone = this.#db.prepare('INSERT OR IGNORE INTO subject_keys (key_id, subject_ref, key_version, wrapped, erased_at) VALUES (?, ?, ?, NULL, ?)');
    let erased = 0;
    this.#write(() => {
      for (const ref of refs) {
        erased += erase.run(erasedAt, keyId, ref).changes;
        tombstone.run(keyId, ref, keyVersion, erasedAt);
      }
    });
    this.#flushWal();
    return erased;
  }

  async countSubjectKeys(keyId: string, keyVersion: number): Promise<number> {
    const keys = this.#db.prepare('SELECT COUNT(*) AS n FROM subject_keys WHERE key_id = ? AND key_version = ? AND wrapped IS NOT NULL').get(keyId, keyVersion) as { n: number };
    const ref = this.#db.prepare('SELECT COUNT(*) AS n FROM subject_ref_keys WHERE key_id = ? AND key_version = ?').get(keyId, keyVersion) as { n: number };
    return keys.n + ref.n;
  }

  async getRefKey(keyId: string): Promise<{ keyVersion: number; wrapped: Buffer } | undefined> {
    const row = this.#db.prepare('SELECT key_version, wrapped FROM subject_ref_keys WHERE key_id = ?').get(keyId) as { key_version: number; wrapped: Buffer } | undefined;
    return row ? { keyVersion: row.key_version, wrapped: row.wrapped } : undefined;
  }

  async putRefKey(keyId: string, keyVersion: number, wrapped: Buffer): Promise<boolean> {
    return this.#db.prepare('INSERT OR IGNORE INTO subject_ref_keys (key_id, key_version, wrapped) VALUES (?, ?, ?)').run(keyId, keyVersion, wrapped).changes === 1;
  }

  async listSubjectKeysNotUnder(keyId: string, version: number, limit: number): Promise<SubjectKeyRecord[]> {
    const rows = this.#db
      .prepare('SELECT subject_ref, key_version, wrapped FROM subject_keys WHERE key_id = ? AND key_version != ? AND wrapped IS NOT NULL LIMIT ?')
      .all(keyId, version, limit) as { subject_ref: Buffer; key_version: number; wrapped: Buffer }[];
    return rows.map((r) => ({ ref: r.subject_ref, keyVersion: r.key_version, wrapped: r.wrapped }));
  }

  async rewrapSubjectKey(keyId: string, ref: Buffer, keyVersion: number, wrapped: Buffer): Promise<void> {
    this.#db.prepare('UPDATE subject_keys SET key_version = ?, wrapped = ? WHERE key_id = ? AND subject_ref = ? AND wrapped IS NOT NULL').run(keyVersion, wrapped, keyId, ref);
  }

  async rewrapRefKey(keyId: string, keyVersion: number, wrapped: Buffer): Promise<void> {
    this.#db.prepare('UPDATE subject_ref_keys SET key_version = ?, wrapped = ? WHERE key_id = ?').run(keyVersion, wrapped, keyId);
  }

  async addKeyVersion(record: Omit<KeyVersionRecord, 'state'>): Promise<void> {
    this.#write(() => {
      this.#db.prepare("UPDATE key_versions SET state = 'active' WHERE key_id = ? AND state = 'primary'").run(record.keyId);
      this.#db
        .prepare("INSERT INTO key_versions (key_id, version, state, wrapped, provider, created_at, rotation_days) VALUES (?, ?, 'primary', ?, ?, ?, ?)")
        .run(record.keyId, record.version, record.wrapped, record.provider, record.createdAt, record.rotationDays ?? null);
    });
  }

  async listKeyVersions(keyId?: string): Promise<KeyVersionRecord[]> {
    const rows = (keyId === undefined
      ? this.#db.prepare('SELECT * FROM key_versions ORDER BY key_id, version').all()
      : this.#db.prepare('SELECT * FROM key_versions WHERE key_id = ? ORDER BY version').all(keyId)) as KeyRow[];
    return rows.map(toKeyVersion);
  }

  async destroyKeyVersion(keyId: string, version: number): Promise<void> {
    // The wrapped material is overwritten, not only flagged: no copy of it stays in this store.
    const result = this.#db.prepare("UPDATE key_versions SET state = 'destroyed', wrapped = x'' WHERE key_id = ? AND version = ?").run(keyId, version);
    if (result.changes !== 1) throw new SluiceError('SLUICE_KEY_UNKNOWN', `key '${keyId}' has no version ${version}`);
    this.#flushWal();
  }

  async putSecret(record: SecretRecord, expected: number | undefined): Promise<boolean> {
    const values = [record.version, record.keyId, record.keyVersion, record.sealed, record.createdAt, record.rotatedAt, record.lastReadAt ?? null, record.maxAgeDays ?? null];
    if (expected === undefined) {
      const sql = 'INSERT OR IGNORE INTO secrets (version, key_id, key_version, sealed, created_at, rotated_at, last_read_at, max_age_days, name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)';
      return this.#db.prepare(sql).run(...values, record.name).changes === 1;
    }
    const sql = 'UPDATE secrets SET version = ?, key_id = ?, key_version = ?, sealed = ?, created_at = ?, rotated_at = ?, last_read_at = ?, max_age_days = ? WHERE name = ? AND version = ?';
    const changed = this.#db.prepare(sql).run(...values, record.name, expected).changes === 1;
    // The old sealed value is overwritten in place (secure_delete); flush it out of the WAL as well.
    if (changed) this.#flushWal();
    return changed;
  }

  async getSecret(name: string): Promise<SecretRecord | undefined> {
    const row = this.#db.prepare('SELECT * FROM secrets WHERE name = ?').get(name) as SecretRow | undefined;
    return row ? toSecret(row) : undefined;
  }

  async listSecrets(): Promise<SecretRecord[]> {
    return (this.#db.prepare('SELECT * FROM secrets ORDER BY name').all() as SecretRow[]).map(toSecret);
  }

  async deleteSecret(name: string): Promise<boolean> {
    const deleted = this.#db.prepare('DELETE FROM secrets WHERE name = ?').run(name).changes === 1;
    if (deleted) this.#flushWal();
    return deleted;
  }

  async markSecretRead(name: string, at: string): Promise<void> {
    this.#db.prepare('UPDATE secrets SET last_read_at = ? WHERE name = ?').run(at, name);
  }

  async countSecrets(keyId: string, keyVersion: number): Promise<number> {
    return (this.#db.prepare('SELECT COUNT(*) AS n FROM secrets WHERE key_id = ? AND key_version = ?').get(keyId, keyVersion) as { n: number }).n;
  }

  async resealSecret(name: string, version: number, keyVersion: number, sealed: Buffer): Promise<boolean> {
    const changed = this.#db.prepare('UPDATE secrets SET key_version = ?, sealed = ? WHERE name = ? AND version = ?').run(keyVersion, sealed, name, version).changes === 1;
    if (changed) this.#flushWal();
    return changed;
  }

  async auditHead(): Promise<{ size: number; chain: Buffer }> {
    const row = this.#db.prepare('SELECT seq, hashes FROM audit_events ORDER BY seq DESC LIMIT 1').get() as { seq: number; hashes: Buffer } | undefined;
    return row ? { size: row.seq, chain: row.hashes.subarray(32) } : { size: 0, chain: Buffer.alloc(32) };
  }

  async appendAuditRows(expectedSize: number, rows: readonly AuditRow[], nodes: readonly AuditNode[]): Promise<boolean> {
    const insert = this.#db.prepare('INSERT INTO audit_events (seq, time, action, principal, resource, outcome, event, hashes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    const insertNode = this.#db.prepare('INSERT OR REPLACE INTO audit_nodes (level, idx, hash) VALUES (?, ?, ?)');
    const head = this.#db.prepare('SELECT COALESCE(MAX(seq), 0) AS size FROM audit_events');
    // IMMEDIATE: the write lock is taken before the head is read, so two processes cannot both append at it.
    return this.#write(() => {
      if ((head.get() as { size: number }).size !== expectedSize) return false;
      for (const r of rows) insert.run(r.seq, r.time, r.action, r.principal, r.resource, r.outcome, r.event, Buffer.concat([r.leaf, r.chain]));
      for (const n of nodes) insertNode.run(n.level, n.index, n.hash);
      return true;
    });
  }

  async readAuditRows(fromSeq: number, limit: number): Promise<AuditRow[]> {
    const rows = this.#db.prepare('SELECT * FROM audit_events WHERE seq >= ? ORDER BY seq LIMIT ?').all(fromSeq, limit) as (Omit<AuditRow, 'leaf' | 'chain'> & { hashes: Buffer })[];
    return rows.map(({ hashes, ...row }) => ({ ...row, leaf: hashes.subarray(0, 32), chain: hashes.subarray(32) }));
  }

  async readAuditChain(fromSeq: number, limit: number): Promise<AuditChainTuple[]> {
    // hex() without lower(): the verifier decodes either case, and lower() cost a tenth of reading a row.
    return this.#db.prepare('SELECT seq, event, hex(hashes) FROM audit_events WHERE seq >= ? ORDER BY seq LIMIT ?').raw(true).all(fromSeq, limit) as AuditChainTuple[];
  }

  /** The last seq whose time is before `time`, by binary search over seq (times are nearly monotonic in seq). */
  #lastSeqBefore(time: string): number {
    const timeAt = this.#db.prepare('SELECT time FROM audit_events WHERE seq = ?').pluck();
    let low = 0;
    let high = (this.#db.prepare('SELECT COALESCE(MAX(seq), 0) FROM audit_events').pluck().get() as number) + 1;
    while (high - low > 1) {
      const mid = Math.floor((low + high) / 2);
      if ((timeAt.get(mid) as string | undefined ?? '') < time) low = mid;
      else high = mid;
    }
    // Clocks step back a little between processes: start a margin earlier; the time filter stays exact.
    return Math.max(0, low - 1000);
  }

  async getAuditNode(level: number, index: number): Promise<Buffer | undefined> {
    return (this.#db.prepare('SELECT hash FROM audit_nodes WHERE level = ? AND idx = ?').get(level, index) as { hash: Buffer } | undefined)?.hash;
  }

  async putAuditCheckpoint(checkpoint: AuditCheckpointRow): Promise<void> {
    this.#db.prepare('INSERT OR IGNORE INTO audit_checkpoints (tree_size, root, time, note) VALUES (?, ?, ?, ?)').run(checkpoint.treeSize, checkpoint.root, checkpoint.time, checkpoint.note);
  }

  async listAuditCheckpoints(): Promise<AuditCheckpointRow[]> {
    return (this.#db.prepare('SELECT tree_size, root, time, note FROM audit_checkpoints ORDER BY tree_size').all() as CheckpointRow[]).map(toCheckpoint);
  }

  async latestAuditCheckpoint(): Promise<AuditCheckpointRow | undefined> {
    const row = this.#db.prepare('SELECT tree_size, root, time, note FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1').get() as CheckpointRow | undefined;
    return row ? toCheckpoint(row) : undefined;
  }

  async queryAuditEvents(query: AuditQuery): Promise<RecordedAuditEvent[]> {
    const where: string[] = ['seq > ?'];
    const values: (string | number)[] = [query.afterSeq ?? 0];
    const filters: [keyof AuditQuery, string][] = [['action', 'action = ?'], ['principal', 'principal = ?'], ['resource', 'resource = ?'], ['outcome', 'outcome = ?'], ['from', 'time >= ?'], ['to', 'time <= ?']];
    // Time follows sequence (events are appended as they happen): a time bound becomes a sequence bound found by
    // binary search on the primary key, instead of an index every append would pay for.
    if (query.from !== undefined) values[0] = Math.max(values[0] as number, this.#lastSeqBefore(query.from));
    for (const [key, clause] of filters) {
      const value = query[key];
      if (value !== undefined) {
        where.push(clause);
        values.push(value);
      }
    }
    const rows = this.#db.prepare(`SELECT event FROM audit_events WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`).all(...values, query.limit ?? -1) as { event: string }[];
    return rows.map((r) => JSON.parse(r.event) as RecordedAuditEvent);
  }

  /**
   * Copies the WAL into the database and truncates it, so that an overwritten key is left neither in the log file
   * nor, as the page it replaced, in the database file. Another process's open read (a long audit verification,
   * say) holds the checkpoint back past the busy wait; SQLite then reports busy rather than failing, and the flush
   * stays pending: it is tried again, without waiting, after each later write transaction (#write: checkpoints,
   * audit appends, keys), and once more, waiting, at close. (A crash while pending leaves it to the next
   * checkpoint that goes through.)
   */
  #flushWal(wait = true): void {
    // Pending until a checkpoint is seen to go through, so that one that throws stays pending too.
    this.#walFlushPending = true;
    const waits = this.#db.pragma('busy_timeout', { simple: true }) as number;
    if (!wait) this.#db.pragma('busy_timeout = 0');
    try {
      const [result] = this.#db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      this.#walFlushPending = (result?.busy ?? 1) !== 0;
    } finally {
      if (!wait) this.#db.pragma(`busy_timeout = ${waits}`);
    }
  }

  async close(): Promise<void> {
    try {
      if (this.#walFlushPending && this.#db.open) this.#flushWal();
    } finally {
      this.#db.close();
    }
  }
}
