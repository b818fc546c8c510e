// The one boundary every sink writes through: Sink.write() projects each record onto the fields the plan lets
// reach the sink, serializes the batch, seals it as an envelope object, and only then calls the connector's
// _write() with ciphertext. A connector never sees a plaintext record, so none can write one at rest.
import type { Classification } from '../spec/classification.ts';
import type { DataRecord } from '../runtime/record.ts';
import { ioFailure, SluiceError } from '../errors.ts';
import type { KeySource } from '../crypto/envelope/envelope.ts';
import { sealPieces } from '../crypto/envelope/envelope.ts';
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

/** How much JSON text is gathered before it is encoded and sealed: one 64 KiB chunk's worth, give or take. */
const SERIALIZE_PIECE_CHARS = 64 * 1024;

/** The batch as JSON Lines in pieces of about SERIALIZE_PIECE_CHARS, each encoded on its own (no batch-sized buffer). */
function* jsonLines(records: readonly DataRecord[], project: (record: DataRecord) => DataRecord): Generator<Buffer> {
  let text = '';
  for (const record of records) {
    text += JSON.stringify(project(record)) + '\n';
    if (text.length >= SERIALIZE_PIECE_CHARS) {
      yield Buffer.from(text, 'utf8');
      text = '';
    }
  }
  if (text !== '') yield Buffer.from(text, 'utf8');
}

export abstract class Sink {
  readonly settings: SinkSettings;
  readonly #fieldSet: ReadonlySet<string>;
  #run: SinkRunInfo | undefined;
  #encryption: SinkEncryption | undefined;

  constructor(settings: SinkSettings) {
    // The boundary holds only if connectors fill in the protected methods and never replace the public ones.
    for (const method of ['open', 'write', 'close', 'prune', 'discard'] as const) {
      if (new.target.prototype[method] !== Sink.prototype[method]) {
        throw new Error(`${new.target.name} overrides Sink.${method}(); connectors implement _${method}() instead`);
      }
    }
    this.settings = settings;
    this.#fieldSet = new Set(settings.fields);
  }

  /** The record with only the fields the plan lets reach this sink; the record itself when it has no other. */
  #project(record: DataRecord): DataRecord {
    let clean = true;
    for (const key in record) {
      if (!this.#fieldSet.has(key)) {
        clean = false;
        break;
      }
    }
    if (clean) return record;
    const out = Object.create(null) as DataRecord;
    for (const field of this.settings.fields) if (Object.hasOwn(record, field)) out[field] = record[field];
    return out;
  }

  async open(run: SinkRunInfo, encryption: SinkEncryption): Promise<void> {
    this.#run = run;
    this.#encryption = encryption;
    try {
      await this._open(run);
    } catch (error) {
      throw ioFailure('SLUICE_SINK_WRITE_FAILED', `sink '${this.settings.name}' could not be opened at ${this.describe()}`, error);
    }
  }

  /**
   * Writes one batch. Writing the same batch number again must replace it (idempotent), so that a run resumed
   * after a crash between the write and the checkpoint leaves each record exactly once.
   */
  /** Writes one batch and says where the object went and which key version sealed it. */
  async write(batch: number, records: readonly DataRecord[]): Promise<StoredObject> {
    const run = this.#run;
    const encryption = this.#encryption;
    if (!run || !encryption) throw new SluiceError('SLUICE_SINK_WRITE_FAILED', `sink '${this.settings.name}' was written before it was opened`);
    // The context binds each object to where it belongs; sluice cat refuses one that sits elsewhere (moved or
    // copied into another run, batch or pipeline folder).
    const context = { pipeline: run.pipeline, run: run.runId, dataset: this.settings.name, classification: this.settings.clearance, batch: String(batch), format: 'jsonl' };
    const { pieces, bytes, keyVersion } = await sealPieces(jsonLines(records, (r) => this.#project(r)), context, encryption.keys, encryption.keyId);
    let location: string;
    try {
      location = await this._write({ batch, pieces, bytes, records: records.length });
    } catch (error) {
      throw ioFailure('SLUICE_SINK_WRITE_FAILED', `sink '${this.settings.name}' could not write batch ${batch} to ${this.describe()}`, error);
    }
    return { location, runId: run.runId, keyId: encryption.keyId, keyVersion };
  }

  async close(): Promise<void> {
    await this._close();
  }

  /**
   * Removes the partial output of an abandoned run, so that readers of the sink never see its records next to
   * the run that replaced it. Sinks that cannot remove return false.
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
  /** Stores the sealed object; returns its location as a URI (`file:/abs/path`). */
  protected abstract _write(batch: SinkBatch): Promise<string>;
  protected async _close(): Promise<void> {}
  protected async _prune(_before: Date, _keepRunId: string): Promise<string[]> {
    return [];
  }
  protected async _discard(_runId: string): Promise<boolean> {
    return false;
  }

  /** Where the sink's output is, for the summary ("out/customers/run-…"). */
  abstract describe(): string;
}
