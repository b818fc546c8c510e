// The file sink: one JSON Lines object per batch, written atomically under the sink's directory.
import { z } from 'zod';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { expiredRunIds } from '../../runtime/run-id.ts';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defineSink } from '../../spec/component.ts';
import { Sink } from '../sink.ts';
import type { SinkBatch, SinkRunInfo, SinkSettings } from '../sink.ts';
import { mkdirInside, objectPath } from './safe-path.ts';
import { removeStaleTemps, writeStreamAtomic } from './atomic-write.ts';
import { SluiceError } from '../../errors.ts';

const fileSinkSpec = z
  .strictObject({
    dir: z.string().min(1).describe('The directory objects are written under; relative to the spec file.'),
    format: z.enum(['jsonl']).default('jsonl').describe('The object format: JSON Lines, one record per line.'),
  })
  .describe('Writes each batch as one encrypted JSON Lines object: <dir>/<pipeline>/<run id>/part-<batch>.jsonl.sluice.');

type FileSinkOptions = z.output<typeof fileSinkSpec>;

/** The object name of a batch (of a task, in a cluster run): stable across resumes, so a rewritten batch replaces the old one. */
export function batchObjectName(run: SinkRunInfo, batch: number): string {
  const task = run.task !== undefined ? `${run.task}-` : '';
  return `${run.pipeline}/${run.runId}/part-${task}${String(batch).padStart(6, '0')}.jsonl.sluice`;
}

export class FileSink extends Sink {
  readonly #root: string;
  #run: SinkRunInfo | undefined;
  #runDir: string | undefined;

  constructor(options: FileSinkOptions, settings: SinkSettings, baseDir: string) {
    super(settings);
    this.#root = resolve(baseDir, options.dir);
  }

  protected async _open(run: SinkRunInfo): Promise<void> {
    this.#run = run;
    await mkdir(this.#root, { recursive: true, mode: 0o700 });
    const runDir = await mkdirInside(this.#root, dirname(batchObjectName(run, 1)));
    // Workers write other tasks of a cluster run into the same folder at once: only this task's temps are its own.
    await removeStaleTemps(runDir, run.task !== undefined ? `part-${run.task}-` : '');
    this.#runDir = runDir;
  }

  protected async _write(batch: SinkBatch): Promise<string> {
    if (!this.#run) throw new SluiceError('SLUICE_SINK_WRITE_FAILED', `sink '${this.settings.name}' was written before it was opened`);
    const path = objectPath(this.#root, batchObjectName(this.#run, batch.batch));
    await writeStreamAtomic(path, batch.pieces);
    return pathToFileURL(path).href;
  }

  protected override async _prune(before: Date, keepRunId: string): Promise<string[]> {
    if (!this.#run) return [];
    const pipelineDir = dirname(dirname(objectPath(this.#root, batchObjectName(this.#run, 1))));
    const expired = expiredRunIds(await readdir(pipelineDir).catch(() => []), before, keepRunId);
    for (const runId of expired) await rm(objectPath(pipelineDir, runId), { recursive: true, force: true });
    return expired;
  }

  protected override async _discard(runId: string): Promise<boolean> {
    if (!this.#run) return false;
    const runDir = dirname(objectPath(this.#root, batchObjectName({ pipeline: this.#run.pipeline, runId }, 1)));
    await rm(runDir, { recursive: true, force: true });
    return true;
  }

  describe(): string {
    return this.#runDir ?? this.#root;
  }
}

export const fileSink = defineSink({
  name: 'file',
  summary: 'Writes encrypted JSON Lines objects atomically (temp file, fsync, rename) under a local directory.',
  spec: fileSinkSpec,
  examples: [{ dir: 'out/customers' }, { dir: '/var/lib/sluice/out', format: 'jsonl' }],
  create: (options, settings, context) => new FileSink(options, settings, context.baseDir),
  target: (options, baseDir) => resolve(baseDir, options.dir),
});
