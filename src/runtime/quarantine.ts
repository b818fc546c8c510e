// The quarantine: records that failed parsing, the contract or a step, each with its reason, one object per
// batch, so nothing is dropped silently. It holds raw input, so it lives in the state directory (mode 0700)
// and is never a sink a plan can route to.
import { mkdir, readdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { expiredRunIds } from './run-id.ts';
import { ioFailure } from '../errors.ts';
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

  constructor(stateDir: string, pipeline: string, runId: string) {
    this.dir = join(stateDir, 'quarantine', pipeline, runId);
  }

  /** Removes quarantine folders of runs that started before `before`, except this run's. */
  async prune(before: Date): Promise<number> {
    const parent = dirname(this.dir);
    const expired = expiredRunIds(await readdir(parent).catch(() => []), before, basename(this.dir));
    for (const runId of expired) await rm(join(parent, runId), { recursive: true, force: true });
    return expired.length;
  }

  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 }).catch((error: unknown) => {
      throw ioFailure('SLUICE_IO_FAILED', `the quarantine folder ${this.dir} could not be created`, error);
    });
    await removeStaleTemps(this.dir);
  }

  /** Writes the batch's entries; like sinks, writing a batch again replaces it. */
  async write(batch: number, entries: readonly QuarantineEntry[]): Promise<void> {
    if (entries.length === 0) return;
    let text = '';
    for (const entry of entries) text += JSON.stringify(entry) + '\n';
    const path = join(this.dir, `batch-${String(batch).padStart(6, '0')}.jsonl`);
    await writeFileAtomic(path, text).catch((error: unknown) => {
      throw ioFailure('SLUICE_IO_FAILED', `the quarantine could not write ${path}`, error);
    });
  }
}
