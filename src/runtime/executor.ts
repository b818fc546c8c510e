// Runs a checked plan in this process: source batches through the contract and the steps into every sink,
// committing a checkpoint after each batch so that a rerun after a crash resumes after the last committed one.
import type { Logger } from 'pino';
import { SluiceError } from '../errors.ts';
import { redactions } from '../secrets/redaction.ts';
import type { Plan } from '../plan/plan.ts';
import { hasErrors } from '../plan/findings.ts';
import type { StateStore, RunRecord, RunTotals } from '../store/state-store.ts';
import { emptyTotals } from '../store/state-store.ts';
import type { SecretSource } from '../spec/component.ts';
import type { SinkInstance, SinkEncryption } from '../connectors/sink.ts';
import type { Source, SourcePosition } from '../connectors/source.ts';
import { compileContract } from './contract-validator.ts';
import { Quarantine } from './quarantine.ts';
import { withRetry } from './retry.ts';
import type { ProgressReporter } from './progress.ts';
import { silentProgress } from './progress.ts';
import { componentContext, countBatch, createComponents, processBatch, writeBatch } from './process-batch.ts';
import type { ProcessedBatch, Retrying } from './process-batch.ts';
import { claimRun, keepRunHeld } from './claim-run.ts';
import { retentionCutoff } from './run-id.ts';
import { HEAP_BUDGET_BYTES, MemoryBudget } from './memory-budget.ts';
import type { ClaimedRun } from './claim-run.ts';

export interface RunRequest {
  plan: Plan;
  store: StateStore;
  /** Where the quarantine lives. */
  stateDir: string;
  /** The keys every sink object and the quarantine are sealed with. */
  encryption: SinkEncryption;
  /** Hash of the spec text; an interrupted run resumes only under the same spec. */
  specHash: string;
  /** Start a new run even if one was interrupted. */
  fresh?: boolean;
  logger: Logger;
  progress?: ProgressReporter;
  /**
   * Aborting stops the run after the batch in flight is committed. A run that follows its source then ends as
   * succeeded (stopping is how it ends); any other run ends interrupted, to be resumed.
   */
  signal?: AbortSignal;
  /** Keep consuming the source after the data at hand (`sluice run --follow`). */
  follow?: boolean;
  /** Resolves the secret references of the spec's components, when they ask (just in time). */
  secrets?: SecretSource;
  /** Called once the run is claimed (created or resumed), with its id: the API answers a started run with it. */
  onClaimed?: (runId: string) => void;
}

export interface RunResult {
  run: RunRecord;
  /** Batches already committed by earlier attempts (0 for a new run). */
  resumedAfterBatch: number;
  abandoned?: ClaimedRun['abandoned'];
  /** Where each sink wrote. */
  outputs: { sink: string; location: string }[];
  quarantineDir: string;
  /** Outputs of earlier runs removed because they outlived the spec's retention. */
  pruned: number;
}

/** Removes what earlier runs left in the sinks and the quarantine once it is older than the retention. */
async function pruneExpired(retention: string, runId: string, sinks: readonly SinkInstance[], quarantine: Quarantine, store: StateStore, logger: Logger): Promise<number> {
  const before = retentionCutoff(retention);
  if (before === undefined) return 0;
  const removed = [...(await quarantine.prune(before))];
  for (const sink of sinks) removed.push(...(await sink.prune(before, runId)));
  for (const expired of new Set(removed)) await store.forgetObjects({ runId: expired });
  if (removed.length > 0) logger.info({ runId, retention, pruned: removed.length }, 'removed outputs older than the retention');
  return removed.length;
}

/**
 * Where a new run of an incremental source starts: the last position of the pipeline's latest successful run
 * (undefined, the start, when there is none).
 */
async function incrementalStart(source: Source, store: StateStore, pipeline: string): Promise<SourcePosition | undefined> {
  return source.incremental ? store.lastSucceededPosition(pipeline) : undefined;
}

/** Runs the plan; resumes an interrupted run of the same pipeline and spec unless `fresh` is set. */
export async function runPipeline(request: RunRequest): Promise<RunResult> {
  const { plan, store, logger } = request;
  const spec = plan.spec;
  if (hasErrors(plan.findings)) {
    throw new SluiceError('SLUICE_PLAN_REJECTED', `pipeline '${spec.pipeline}' has error findings; run 'sluice check' to see them and fix them first`);
  }
  const progress = request.progress ?? silentProgress;
  const claimed = await claimRun(store, { pipeline: spec.pipeline, specHash: request.specHash, fresh: request.fresh ?? false }, logger);
  const runId = claimed.run.id;
  const tasks = await store.taskProgress(runId);
  if (tasks.pending + tasks.committed + tasks.dead > 0) {
    // Left running: workers may still be at it, and the coordinator that attaches next finishes it.
    throw new SluiceError('SLUICE_RESUME_MISMATCH', `run ${runId} of '${spec.pipeline}' is split into tasks; finish it as it was started ('sluice run --cluster' or 'sluice run --threads N'), or start a new run with --fresh`);
  }
  request.onClaimed?.(runId);
  const release = keepRunHeld(store, runId, logger);
  const attemptStarted = Date.now();
  // Totals always match the last committed checkpoint (none yet: empty), never what a failed attempt counted.
  const totals: RunTotals = structuredClone(claimed.checkpoint?.totals ?? emptyTotals());
  const baseActiveMs = totals.activeMs;
  let batchNo = claimed.checkpoint?.batch ?? 0;
  const sinks: SinkInstance[] = [];
  const quarantine = new Quarantine(request.stateDir, spec.pipeline, runId, request.encryption);
  let closeReader: (() => Promise<void>) | undefined;
  /** The batch being written and committed while the next is processed. */
  let inFlight: Promise<void> | undefined;
  let pruned = 0;

  try {
    const { source, steps, sinks: created, allowed } = createComponents(plan, componentContext(plan, request.secrets));
    sinks.push(...created);
    if (request.follow && !source.follows) {
      throw new SluiceError('SLUICE_USAGE', `the ${spec.source.component.name} source (${source.description}) cannot follow: it ends when its data does; run without --follow`);
    }
    const memory = new MemoryBudget(HEAP_BUDGET_BYTES);
    const validate = compileContract(spec.contract, source.textual ?? false);
    const retry = spec.runtime.retry;
    const onRetry = (what: string) => (error: unknown, attempt: number, delayMs: number) =>
      logger.warn({ runId, what, attempt, delayMs, err: error instanceof Error ? error.message : String(error) }, 'retrying after a retryable error');
    const retrying: Retrying = (what, operation) => withRetry(operation, retry, onRetry(what));

    const from = claimed.checkpoint?.position ?? (await incrementalStart(source, store, spec.pipeline));
    const openOptions = { follow: request.follow ?? false, ...(request.signal ? { signal: request.signal } : {}) };
    const reader = await retrying('open source', () => source.open(from, openOptions));
    closeReader = () => reader.close();
    for (const sink of sinks) await retrying(`open sink ${sink.settings.name}`, () => sink.open({ pipeline: spec.pipeline, runId }, request.encryption));
    const abandonedRun = claimed.abandoned?.runId;
    if (abandonedRun !== undefined) {
      for (const sink of sinks) await sink.discard(abandonedRun);
      await store.forgetObjects({ runId: abandonedRun });
      logger.info({ runId, abandonedRun }, 'removed the partial output of the abandoned run');
    }
    await quarantine.open();
    for (const step of steps) await step.instance.open?.({ keys: request.encryption.keys, subjects: store });

    /** Writes batch `number` to every sink and the quarantine, then commits its checkpoint. */
    const commitBatch = async (number: number, processed: ProcessedBatch): Promise<void> => {
      const { rejected } = processed;
      // The checkpoint waits for every sink and the quarantine.
      const objects = await writeBatch(number, processed, sinks, quarantine, retrying);
      const next: RunTotals = structuredClone(totals);
      countBatch(next, number, processed, sinks);
      next.activeMs = baseActiveMs + (Date.now() - attemptStarted);
      await store.commitCheckpoint({ runId, batch: number, position: processed.end, totals: next, objects });
      // Only a committed batch counts: a failed commit leaves the totals as the last checkpoint has them.
      Object.assign(totals, next);
      // A stream acknowledges only now: before this, a crash has its server deliver the batch again.
      await reader.committed?.(processed.end);
      logger.debug({ runId, batch: number, records: processed.recordsIn, quarantined: rejected.length }, 'batch committed');
      progress.update({ records: totals.recordsIn, ...reader.progress() });
      memory.check();
    };

    // One batch is written while the next is read and processed; batches still commit strictly in order,
    // and at most two are in memory (plus a PostgreSQL source's read-ahead).
    for await (const batch of reader.batches(spec.runtime.batchSize)) {
      batchNo++;
      const processed = await processBatch(batch, validate, steps, allowed, { number: batchNo, sinks });
      if (inFlight) await inFlight;
      inFlight = commitBatch(batchNo, processed);
      // Rejections are handled where inFlight is awaited; this only keeps Node from calling them unhandled.
      inFlight.catch(() => undefined);
      if (request.signal?.aborted) {
        await inFlight;
        if (request.follow) break;
        throw new SluiceError('SLUICE_RUN_INTERRUPTED', `run ${runId} was interrupted after batch ${batchNo}; run again to resume`);
      }
    }
    if (inFlight) await inFlight;
    // A source may end its batches early when the signal aborts; unless following, that is an interruption,
    // not the end of the data, and must not be recorded as a success.
    if (request.signal?.aborted && !request.follow) {
      throw new SluiceError('SLUICE_RUN_INTERRUPTED', `run ${runId} was interrupted after batch ${batchNo}; run again to resume`);
    }
    if (spec.retention !== undefined) pruned = await pruneExpired(spec.retention, runId, sinks, quarantine, store, logger);
    progress.finish();
    totals.activeMs = baseActiveMs + (Date.now() - attemptStarted);
    await store.finishRun(runId, { status: 'succeeded', finishedAt: new Date().toISOString(), totals });
    logger.info({ runId, totals }, 'run succeeded');
  } catch (error) {
    // Let the batch in flight finish (or fail) first, so the run is marked failed after its last checkpoint.
    await inFlight?.catch(() => undefined);
    progress.finish();
    totals.activeMs = baseActiveMs + (Date.now() - attemptStarted);
    // Kept in the state store and shown by `sluice runs`: scrubbed, as a driver's message may quote a credential.
    const message = redactions.scrub(error instanceof Error ? error.message : String(error));
    await store.finishRun(runId, { status: 'failed', finishedAt: new Date().toISOString(), totals, error: message });
    logger.error({ runId, code: (error as SluiceError).code, err: message, lastCommittedBatch: totals.batches }, 'run failed');
    throw error;
  } finally {
    release();
    await closeReader?.().catch(() => undefined);
    for (const sink of sinks) await sink.close().catch(() => undefined);
  }
  const run = await store.getRun(runId);
  if (!run) throw new SluiceError('SLUICE_STATE_STORE', `run ${runId} is missing from the state store`);
  return {
    run,
    resumedAfterBatch: claimed.checkpoint?.batch ?? 0,
    outputs: sinks.map((sink) => ({ sink: sink.settings.name, location: sink.describe() })),
    quarantineDir: quarantine.dir,
    pruned,
    ...(claimed.abandoned ? { abandoned: claimed.abandoned } : {}),
  };
}
