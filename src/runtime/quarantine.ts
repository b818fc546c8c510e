// The quarantine: records that failed parsing, the contract or a step, each with its reason, one encrypted
// object per batch, so nothing is dropped silently. It holds raw input (restricted), so it lives in the state
// directory (mode 0700), is sealed like any sink object, and is never a sink a plan can route to.
import { mkdir, readdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { expiredRunIds } from './run-id.ts';
import { ioFailure } from '../errors.ts';
import { redactions } from '../secrets/redaction.ts';
import { sealEnvelope } from '../crypto/envelope/envelope.ts';
import type { StoredObject } from '../store/state-store.ts';
import { pathToFileURL } from 'node:url';
import type { SinkEncryption } from '../connectors/sink.ts';
import { writeFileAtomic, removeStaleTemps } from '../connectors/sinks/atomic-write.ts';

/** One quarantined record: where it came from, why, and the record as it arrived (when it could be parsed). */
export interface QuarantineEntry {
  ref: string;
  reason: string;
  record?: unknown;
  raw?: string;
}

export class Quarantine {
  readonly dir: string;
  readonly #pipeline: string;
  readonly #runId: string;
  readonly #encryption: SinkEncryption;
  readonly #task: string | undefined;

  /** `task`: the cluster task writing, whose batches are named by task and batch (as sink objects are). */
  constructor(stateDir: string, pipeline: string, runId: string, encryption: SinkEncryption, task?: string) {
    this.dir = join(stateDir, 'quarantine', pipeline, runId);
    this.#pipeline = pipeline;
    this.#runId = runId;
    this.#encryption = encryption;
    this.#task = task;
  }

  /** Removes quarantine folders of runs that started before `before`, except this run's. */
  async prune(before: Date): Promise<string[]> {
    const parent = dirname(this.dir);
    const expired = expiredRunIds(await readdir(parent).catch(() => []), before, basename(this.dir));
    for (const runId of expired) await rm(join(parent, runId), { recursive: true, force: true });
    return expired;
  }

  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 }).catch((error: unknown) => {
      throw ioFailure('SLUICE_IO_FAILED', `the quarantine folder ${this.dir} could not be created`, error);
    });
    await removeStaleTemps(this.dir, this.#task !== undefined ? `batch-${this.#task}-` : '');
  }

  /** Writes the batch's entries; like sinks, writing a batch again replaces it. */
  async write(batch: number, entries: readonly QuarantineEntry[]): Promise<StoredObject | undefined> {
    if (entries.length === 0) return undefined;
    let text = '';
    for (const entry of entries) text += JSON.stringify(entry) + '\n';
    // Reasons quote errors, and errors may quote what a remote echoed back: no registered secret goes to rest.
    text = redactions.scrub(text);
    const task = this.#task;
    const path = join(this.dir, `batch-${task !== undefined ? `${task}-` : ''}${String(batch).padStart(6, '0')}.jsonl.sluice`);
    const context = {
      pipeline: this.#pipeline,
      run: this.#runId,
      dataset: 'quarantine',
      classification: 'restricted',
      batch: String(batch),
      format: 'jsonl',
      ...(task !== undefined ? { task } : {}),
    };
    const { object, keyVersion } = await sealEnvelope(Buffer.from(text, 'utf8'), context, this.#encryption.keys, this.#encryption.keyId);
    await writeFileAtomic(path, object).catch((error: unknown) => {
      throw ioFailure('SLUICE_IO_FAILED', `the quarantine could not write ${path}`, error);
    });
    return { location: pathToFileURL(path).href, runId: this.#runId, keyId: this.#encryption.keyId, keyVersion };
  }
}
