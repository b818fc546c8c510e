// The boundaries sinks write through. An object sink (files, S3) extends Sink: Sink.write() projects each record
// onto the fields the plan lets reach the sink, serializes the batch, seals it as an envelope object, and only
// then calls the connector's _write() with ciphertext, so no object sink can write plaintext at rest. A record
// sink (a database table, a stream) extends RecordSink: it hands records to a system whose readers need fields,
// so the planner caps its clearance below restricted (SLC107): restricted fields reach it tokenized, encrypted
// or not at all, and RecordSink.write() passes on only the projected fields the plan allows.
import type { Classification } from '../spec/classification.ts';
import { newRecord } from '../runtime/record.ts';
import type { DataRecord } from '../runtime/record.ts';
import { ioFailure, SluiceError } from '../errors.ts';
import type { KeySource } from '../crypto/envelope/envelope.ts';
import { sealPieces } from '../crypto/envelope/envelope.ts';
import { LinePacker } from './line-packer.ts';
import type { StoredObject } from '../store/state-store.ts';

/** The settings every sink gets from the plan. */
export interface SinkSettings {
  name: string;
  clearance: Classification;
  /** The fields the plan lets reach this sink, in order. Nothing else is written. */
  fields: readonly string[];
}

/** What a run tells its sinks when it opens them. */
export interface SinkRunInfo {
  pipeline: string;
  runId: string;
  /**
   * The cluster task writing (t000001…), when a worker writes one task of a run: batch numbers restart at 1 in
   * each task, so objects are named by task and batch, and a redelivered task replaces its own objects.
   */
  task?: string;
}

/** The keys a sink seals its objects with. */
export interface SinkEncryption {
  keys: KeySource;
  keyId: string;
}

/**
 * One batch, as the connector receives it: an envelope object holding the batch as JSON Lines. Batch numbers
 * start at 1 and are stable across resumes.
 */
export interface SinkBatch {
  batch: number;
  /** The sealed object (docs/formats/object.md), as the pieces of its bytes in order: write them one after another. */
  pieces: readonly Buffer[];
  /** The object's size in bytes. */
  bytes: number;
  /** How many records it holds. */
  records: number;
}

/** A batch of an object sink: its records as JSON Lines so far, projected and packed as they come. */
class StagedLines {
  readonly #packer = new LinePacker();
  readonly #full: Buffer[] = [];
  #finished: Buffer[] | undefined;
  records = 0;

  add(records: readonly DataRecord[], project: (record: DataRecord) => DataRecord): void {
    if (this.#finished) throw new SluiceError('SLUICE_SINK_WRITE_FAILED', 'records were staged for a batch that is being written');
    for (const record of records) this.#packer.add(JSON.stringify(project(record)), this.#full);
    this.records += records.length;
  }

  /** Every piece, the last partial one included; the same pieces each time (a retried write seals them again). */
  pieces(): readonly Buffer[] {
    if (!this.#finished) {
      const last = this.#packer.finish();
      this.#finished = last ? [...this.#full, last] : this.#full;
    }
    return this.#finished;
  }
}

/** A batch of a record sink: its records so far, projected, and where each came from. */
class StagedRecords {
  readonly records: DataRecord[] = [];
  readonly refs: string[] = [];

  /** `refs` parallel to `records`; without them a record is `batch:<n>#<i>`, numbered from the batch's first. */
  add(batch: number, records: readonly DataRecord[], refs: readonly string[] | undefined, project: (record: DataRecord) => DataRecord): void {
    const at = this.records.length;
    for (let i = 0; i < records.length; i++) {
      this.records.push(project(records[i]!));
      this.refs.push(refs?.length === records.length ? refs[i]! : `batch:${batch}#${at + i + 1}`);
    }
  }
}

/**
 * What a write of `batch` writes: what was staged for it, or else the records it was given (`stageGiven` stages
 * them); never both, and never nothing. A write with neither is a retry that outlived its run (whose sinks were
 * closed, dropping what was staged): writing an empty object would replace the batch a later run wrote.
 */
function stagedOrGiven<T>(sink: string, batch: number, staged: T | undefined, records: readonly DataRecord[], stageGiven: () => T): T {
  if (staged !== undefined && records.length > 0) throw new SluiceError('SLUICE_SINK_WRITE_FAILED', `sink '${sink}': batch ${batch} was staged, so it is written without records of its own`);
  if (staged === undefined && records.length === 0) throw new SluiceError('SLUICE_SINK_WRITE_FAILED', `sink '${sink}': batch ${batch} has no records staged or given, so there is nothing to write`);
  return staged ?? stageGiven();
}

/** The public surface the runtime uses, common to object and record sinks. */
export interface SinkInstance {
  readonly settings: SinkSettings;
  open(run: SinkRunInfo, encryption: SinkEncryption): Promise<void>;
  /**
   * Adds records to batch `batch` ahead of its write(): an object sink serializes them at once, so a batch's
   * records need not all stay in memory until it is written. `refs` as for write().
   */
  stage(batch: number, records: readonly DataRecord[], refs?: readonly string[]): void;
  /**
   * Writes one batch (idempotently: the same batch number again replaces it): the records staged for it, or else
   * `records`; says where an object went, if any. `refs` says where each record came from (the source's refs,
   * parallel to `records`). What was staged for the batch is kept until a write of it succeeds, so a retry
   * writes it again.
   */
  write(batch: number, records: readonly DataRecord[], refs?: readonly string[]): Promise<StoredObject | undefined>;
  close(): Promise<void>;
  discard(runId: string): Promise<boolean>;
  prune(before: Date, keepRunId: string): Promise<string[]>;
  describe(): string;
}

/** A function that keeps only the fields the plan lets reach a sink; returns the record itself when it has no other. */
function projector(fields: readonly string[]): (record: DataRecord) => DataRecord {
  const fieldSet = new Set(fields);
  return (record) => {
    let clean = true;
    for (const key in record) {
      if (!fieldSet.has(key)) {
        clean = false;
        break;
      }
    }
    if (clean) return record;
    const out: DataRecord = newRecord();
    for (const field of fields) if (Object.hasOwn(record, field)) out[field] = record[field];
    return out;
  };
}

/** Refuses a connector class that replaces a public method: the boundary holds only if they fill in _methods. */
function guardBoundary(target: { prototype: object; name: string }, base: { prototype: object; name: string }): void {
  for (const method of ['open', 'stage', 'write', 'close', 'prune', 'discard'] as const) {
    if ((target.prototype as Record<string, unknown>)[method] !== (base.prototype as Record<string, unknown>)[method]) {
      throw new Error(`${target.name} overrides ${base.name}.${method}(); connectors implement _${method}() instead`);
    }
  }
}

/**
 * What both kinds of sink share: the public methods the runtime calls, each wrapping the connector's protected
 * one. Connectors fill in the _methods and never replace the public ones (their constructors refuse it).
 */
abstract class SinkBoundary implements SinkInstance {
  readonly settings: SinkSettings;
  /** Keeps only the fields the plan lets reach this sink. */
  protected readonly project: (record: DataRecord) => DataRecord;
  #run: SinkRunInfo | undefined;

  constructor(settings: SinkSettings) {
    this.settings = settings;
    this.project = projector(settings.fields);
  }

  async open(run: SinkRunInfo, _encryption: SinkEncryption): Promise<void> {
    this.#run = run;
    try {
      await this._open(run);
    } catch (error) {
      throw ioFailure('SLUICE_SINK_WRITE_FAILED', `sink '${this.settings.name}' could not be opened at ${this.describe()}`, error);
    }
  }

  abstract stage(batch: number, records: readonly DataRecord[], refs?: readonly string[]): void;

  abstract write(batch: number, records: readonly DataRecord[], refs?: readonly string[]): Promise<StoredObject | undefined>;

  /** Drops what was staged and never written (a failed run's batch in progress). */
  protected abstract dropStaged(): void;

  /** The run the sink was opened for; refuses a write before open(). */
  protected openedRun(): SinkRunInfo {
    if (!this.#run) throw new SluiceError('SLUICE_SINK_WRITE_FAILED', `sink '${this.settings.name}' was written before it was opened`);
    return this.#run;
  }

  async close(): Promise<void> {
    this.dropStaged();
    await this._close();
  }

  /**
   * Removes the partial output of an abandoned run, so that readers of the sink never see its records next to
   * the run that replaced it. Sinks that cannot remove return false (record sinks: a replay is de-duplicated).
   */
  async discard(runId: string): Promise<boolean> {
    return this._discard(runId);
  }

  /**
   * Removes outputs of runs of `pipeline` that started before `before` (the spec's retention), never those of
   * `keepRunId`. Returns the ids of the runs whose outputs were removed; sinks that cannot prune return none.
   */
  async prune(before: Date, keepRunId: string): Promise<string[]> {
    return this._prune(before, keepRunId);
  }

  protected abstract _open(run: SinkRunInfo): Promise<void>;
  protected async _close(): Promise<void> {}
  protected async _prune(_before: Date, _keepRunId: string): Promise<string[]> {
    return [];
  }
  protected async _discard(_runId: string): Promise<boolean> {
    return false;
  }

  /** Where the sink's output is, for the summary ("out/customers/run-…", "postgresql … table public.customers"). */
  abstract describe(): string;
}

/** An object sink: every batch is sealed as one envelope object before the connector sees it. */
export abstract class Sink extends SinkBoundary {
  #encryption: SinkEncryption | undefined;
  /** Batches staged and not yet written: their records as JSON Lines, in pieces of one payload chunk. */
  readonly #staged = new Map<number, StagedLines>();

  constructor(settings: SinkSettings) {
    super(settings);
    guardBoundary(new.target, Sink);
  }

  override async open(run: SinkRunInfo, encryption: SinkEncryption): Promise<void> {
    this.#encryption = encryption;
    await super.open(run, encryption);
  }

  stage(batch: number, records: readonly DataRecord[]): void {
    this.openedRun();
    if (records.length === 0) return;
    let staged = this.#staged.get(batch);
    if (!staged) this.#staged.set(batch, (staged = new StagedLines()));
    staged.add(records, this.project);
  }

  protected dropStaged(): void {
    this.#staged.clear();
  }

  /**
   * Writes one batch and says where the object went and which key version sealed it. Writing the same batch
   * number again must replace it (idempotent), so that a run resumed after a crash between the write and the
   * checkpoint leaves each record exactly once.
   */
  async write(batch: number, records: readonly DataRecord[]): Promise<StoredObject> {
    const run = this.openedRun();
    const encryption = this.#encryption;
    if (!encryption) throw new SluiceError('SLUICE_SINK_WRITE_FAILED', `sink '${this.settings.name}' was written before it was opened`);
    const staged = stagedOrGiven(this.settings.name, batch, this.#staged.get(batch), records, () => {
      const given = new StagedLines();
      given.add(records, this.project);
      return given;
    });
    // The context binds each object to where it belongs; sluice cat refuses one that sits elsewhere (moved or
    // copied into another run, batch or pipeline folder). Its keys are in sorted order, so it is already the
    // canonical JSON the object header holds (one JSON.stringify instead of a sort per object).
    const context = {
      batch: String(batch),
      classification: this.settings.clearance,
      dataset: this.settings.name,
      format: 'jsonl',
      pipeline: run.pipeline,
      run: run.runId,
      ...(run.task !== undefined ? { task: run.task } : {}),
    };
    const { pieces, bytes, keyVersion } = await sealPieces(staged.pieces(), context, encryption.keys, encryption.keyId);
    let location: string;
    try {
      location = await this._write({ batch, pieces, bytes, records: staged.records });
    } catch (error) {
      throw ioFailure('SLUICE_SINK_WRITE_FAILED', `sink '${this.settings.name}' could not write batch ${batch} to ${this.describe()}`, error);
    }
    this.#staged.delete(batch);
    return { location, runId: run.runId, keyId: encryption.keyId, keyVersion };
  }

  /** Stores the sealed object; returns its location as a URI (`file:/abs/path`). */
  protected abstract _write(batch: SinkBatch): Promise<string>;
}

/** One batch, as a record sink's connector receives it: only the fields the plan allows, in plaintext. */
export interface RecordBatch {
  /** The batch number: starts at 1, stable across resumes of a run. */
  batch: number;
  run: SinkRunInfo;
  records: readonly DataRecord[];
  /**
   * Where each record came from, parallel to `records` ("nats:orders#1042", "customers.jsonl:17"). A stream
   * source's batches differ from one attempt to the next (redeliveries, a crash), so a sink that de-duplicates
   * replays keys on (run id, ref), not on the batch position; refs are `batch:<n>#<i>` when none were given.
   */
  refs: readonly string[];
}

/**
 * A record sink: a table or a stream another system reads field by field. The planner refuses a restricted
 * clearance for it (SLC107), so what reaches _write() is at most confidential in plaintext. Writing the same
 * batch again must not duplicate it (upsert by key, message ids for de-duplication).
 */
export abstract class RecordSink extends SinkBoundary {
  constructor(settings: SinkSettings) {
    if (settings.clearance === 'restricted') {
      // The planner reports this first (SLC107); this keeps a hand-made plan from getting past it.
      throw new SluiceError('SLUICE_PLAN_REJECTED', `sink '${settings.name}' stores records field by field, so its clearance may be at most confidential`);
    }
    super(settings);
    guardBoundary(new.target, RecordSink);
  }

  /** Batches staged and not yet written: their projected records and refs. */
  readonly #staged = new Map<number, StagedRecords>();

  stage(batch: number, records: readonly DataRecord[], refs?: readonly string[]): void {
    this.openedRun();
    if (records.length === 0) return;
    let staged = this.#staged.get(batch);
    if (!staged) this.#staged.set(batch, (staged = new StagedRecords()));
    staged.add(batch, records, refs, this.project);
  }

  protected dropStaged(): void {
    this.#staged.clear();
  }

  async write(batch: number, records: readonly DataRecord[], refs?: readonly string[]): Promise<undefined> {
    const run = this.openedRun();
    const staged = stagedOrGiven(this.settings.name, batch, this.#staged.get(batch), records, () => {
      const given = new StagedRecords();
      given.add(batch, records, refs, this.project);
      return given;
    });
    try {
      await this._write({ batch, run, records: staged.records, refs: staged.refs });
    } catch (error) {
      throw ioFailure('SLUICE_SINK_WRITE_FAILED', `sink '${this.settings.name}' could not write batch ${batch} to ${this.describe()}`, error);
    }
    this.#staged.delete(batch);
    return undefined;
  }

  /** Stores the batch, idempotently, and returns once it is durable in the target system. */
  protected abstract _write(batch: RecordBatch): Promise<void>;
}
