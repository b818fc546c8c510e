// The state store contract: runs and their checkpoints. SQLite implements it embedded; PostgreSQL (cluster
// issue) implements the same interface, and both must pass store.suite.ts.
import type { SourcePosition } from '../connectors/source.ts';
import type { KeyStore } from '../crypto/keyring/key-store.ts';
import type { SubjectKeyStore } from '../crypto/subjects/subject-key-store.ts';
import type { SecretRecordStore } from '../secrets/store/secret-record-store.ts';
import type { AuditStore } from '../audit/audit-store.ts';
import type { AccessStore } from '../auth/access-store.ts';

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'abandoned';

/** Counts a run accumulates; committed with every checkpoint so a resumed run reports the whole run. */
export interface RunTotals {
  recordsIn: number;
  /** Records written, per sink name. */
  recordsOut: Record<string, number>;
  quarantined: number;
  /** Field values protected, by "<step effect>:<field>". */
  protectedFields: Record<string, number>;
  /** PII the scan step found, by type ("EMAIL": 12). Counts only: values are never kept. */
  piiFound: Record<string, number>;
  /** Undeclared fields dropped (contract.unknownFields: drop). */
  unknownFieldsDropped: number;
  batches: number;
  /** Milliseconds spent running, summed over attempts. */
  activeMs: number;
}

export function emptyTotals(): RunTotals {
  return { recordsIn: 0, recordsOut: {}, quarantined: 0, protectedFields: {}, piiFound: {}, unknownFieldsDropped: 0, batches: 0, activeMs: 0 };
}

/** Who holds a running run: the machine, and until when (renewed while the holder lives). */
export interface RunHold {
  host: string;
  heldUntil: string;
}

/** One run of a pipeline; a resumed run keeps its id and counts another attempt. */
export interface RunRecord {
  id: string;
  pipeline: string;
  /** Hash of the spec text: a run resumes only under the spec it started with. */
  specHash: string;
  status: RunStatus;
  startedAt: string;
  finishedAt?: string;
  /** The process that holds (or last held) the run. */
  pid: number;
  /** The machine that process runs on. */
  host?: string;
  /** Until when its holder vouches for it (renewed while it lives): what a process on another machine goes by. */
  heldUntil?: string;
  attempts: number;
  totals: RunTotals;
  /** The error that failed the run, already scrubbed of secrets. */
  error?: string;
}

/** An object a run wrote at rest and the key version sealing it: what rewrap and destroy work from. */
export interface StoredObject {
  /** Where it is, as a URI: `file:/abs/path`. Writing the same location again replaces the entry. */
  location: string;
  runId: string;
  keyId: string;
  keyVersion: number;
}

/** The last committed batch of a run: the source position after it, and the totals up to it. */
export interface Checkpoint {
  runId: string;
  batch: number;
  position: SourcePosition;
  totals: RunTotals;
  /** The objects the batch wrote, recorded in the same transaction as the checkpoint. */
  objects?: readonly StoredObject[];
}

/** Where a task stands: waiting (or being processed), committed once, or given up after its last delivery. */
export type TaskStatus = 'pending' | 'committed' | 'dead';

/**
 * A piece of a cluster run that one worker processes on its own: the source read from `from` up to `until`
 * (undefined: the start, the end). Its output is named after the run and the task, so a redelivered task
 * replaces what an earlier attempt wrote.
 */
export interface TaskRecord {
  runId: string;
  /** Stable and ordered within the run: t000001, t000002, … */
  id: string;
  from?: SourcePosition;
  until?: SourcePosition;
  /** The spec file the coordinator split the run from (as the workers see it). */
  specPath?: string;
  status: TaskStatus;
  /** Leases taken so far (deliveries that reached a worker). */
  attempts: number;
  /** The worker that holds or last held the lease. */
  worker?: string;
  /** When the current lease runs out (ISO 8601). */
  leasedUntil?: string;
  /** The task's counts, once committed; the run's summary is their sum. */
  totals?: RunTotals;
  committedAt?: string;
  /** Where its reading ended (the last batch's end), once committed; absent when it read nothing. */
  end?: SourcePosition;
  /** Why it is dead (scrubbed of secrets). */
  error?: string;
}

/** Counts of a run's tasks by status, and the records its committed tasks read. */
export interface TaskProgress {
  pending: number;
  committed: number;
  dead: number;
  recordsIn: number;
}

/** A task as the coordinator records it. */
export interface NewTask {
  id: string;
  from?: SourcePosition;
  until?: SourcePosition;
  specPath?: string;
}

/** What a worker commits for a task. */
export interface TaskCommit {
  runId: string;
  taskId: string;
  worker: string;
  /**
   * The attempt (the lease's count) this commit comes from: only the latest lease commits, so an attempt another
   * worker took over (it went silent past the ack wait) cannot commit over it. A run no longer running takes none.
   */
  attempt: number;
  totals: RunTotals;
  committedAt: string;
  /** The objects it wrote, recorded in the same transaction. */
  objects?: readonly StoredObject[];
  /** Where its reading ended (the last batch's end); absent when it read nothing. */
  end?: SourcePosition;
}

/** A worker process as its last heartbeat described it. */
export interface WorkerRecord {
  /** The worker's name (its certificate's identity, or host:pid). */
  id: string;
  host: string;
  pid: number;
  concurrency: number;
  /** Tasks it is processing now. */
  inFlight: number;
  state: 'ready' | 'draining' | 'stopped';
  startedAt: string;
  lastSeenAt: string;
}

/** Runs, checkpoints, the keyring's metadata, the built-in secret store, the audit log and access state. */
export interface StateStore extends KeyStore, SubjectKeyStore, SecretRecordStore, AuditStore {
  /** API keys, role bindings and just-in-time grants (the control plane). */
  readonly access: AccessStore;
  /** Creates a running run. Refused (SLUICE_RUN_LOCKED) while the pipeline has another running run. */
  createRun(run: { id: string; pipeline: string; specHash: string; startedAt: string; pid: number; hold?: RunHold }): Promise<void>;
  getRun(id: string): Promise<RunRecord | undefined>;
  /** The newest run of the pipeline that did not finish (running or failed), if any. */
  findUnfinished(pipeline: string): Promise<RunRecord | undefined>;
  /**
   * Takes over an unfinished run for another attempt by process `pid`, if it is still as `expected` (status and
   * holder pid). Returns false when another process changed it first: two processes never hold one run.
   */
  resumeRun(id: string, pid: number, expected: { status: RunStatus; pid: number }, hold?: RunHold): Promise<boolean>;
  /** Extends a running run's hold while `pid` on `hold.host` still holds it; false when it does not. */
  renewRun(id: string, pid: number, hold: RunHold): Promise<boolean>;
  /** Records a committed batch. Batches commit in order; committing a batch again is an error. */
  commitCheckpoint(checkpoint: Checkpoint): Promise<void>;
  lastCheckpoint(runId: string): Promise<Checkpoint | undefined>;
  /**
   * The position of the last checkpoint of the pipeline's newest successful run that committed one (runs that
   * read nothing new commit none): where an incremental source starts a new run.
   */
  lastSucceededPosition(pipeline: string): Promise<SourcePosition | undefined>;
  finishRun(id: string, outcome: { status: Exclude<RunStatus, 'running'>; finishedAt: string; totals: RunTotals; error?: string }): Promise<void>;
  /** Runs, newest first. */
  listRuns(options?: { pipeline?: string; limit?: number }): Promise<RunRecord[]>;
  /** Objects sealed under a key (and version), or written by a run, or every object; by location. */
  listObjects(filter?: { keyId?: string; keyVersion?: number; runId?: string }): Promise<StoredObject[]>;
  /** Records that an object is now sealed under another version (after rewrap). */
  updateObjectKey(location: string, keyVersion: number): Promise<void>;
  /** Forgets objects that were removed: every object of a run, or the given locations. */
  forgetObjects(which: { runId: string } | { locations: readonly string[] }): Promise<void>;
  /** Records a run's tasks; a task already recorded (the coordinator published again) is left as it is. */
  createTasks(runId: string, tasks: readonly NewTask[]): Promise<void>;
  /**
   * Takes the lease of a pending task for `worker` until `leasedUntil` and counts an attempt, unless another
   * attempt's lease runs past `now` (a duplicate delivery while its holder works). Returns the task as it now
   * stands and whether this call took the lease; undefined for a task the store does not know.
   */
  leaseTask(runId: string, taskId: string, worker: string, leasedUntil: string, now: string): Promise<{ task: TaskRecord; leased: boolean } | undefined>;
  /**
   * Commits a task once: its totals and the objects it wrote, in one transaction. Returns false, changing
   * nothing, when it was already committed (a redelivery after a commit whose ack was lost) or is dead.
   */
  commitTask(commit: TaskCommit): Promise<boolean>;
  /**
   * Extends the lease of `attempt` to `leasedUntil` while it still holds it (pending, not taken over); false when it
   * does not. A worker renews before each batch and stops when it has lost the lease.
   */
  renewLease(runId: string, taskId: string, attempt: number, leasedUntil: string): Promise<boolean>;
  /** Gives a task up with its (scrubbed) error, unless it was committed. */
  failTask(runId: string, taskId: string, error: string): Promise<void>;
  /** Makes a resumed run's dead tasks pending again, with their attempts reset; returns how many. */
  retryDeadTasks(runId: string): Promise<number>;
  /** How far a run's tasks are: counts by status and the records the committed ones read (one cheap query). */
  taskProgress(runId: string): Promise<TaskProgress>;
  /** The run's tasks in id order. */
  listTasks(runId: string): Promise<TaskRecord[]>;
  /** Records a worker's heartbeat (inserting it the first time). */
  recordWorker(worker: WorkerRecord): Promise<void>;
  /** Workers by id. */
  listWorkers(): Promise<WorkerRecord[]>;
  close(): Promise<void>;
}
