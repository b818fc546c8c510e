// Runs one task of a cluster run on a worker: the source range through the contract and the steps into every
// sink, objects named by run, task and batch, then one commit of the task's totals and objects in the state
// store. A task is all or nothing: an attempt that dies leaves objects its redelivery overwrites, and a commit
// after another attempt's commit changes nothing, so every record of the range is in the sinks exactly once.
import type { Logger } from 'pino';
import { isSluiceError, SluiceError } from '../errors.ts';
import { hasErrors } from '../plan/findings.ts';
import type { Plan } from '../plan/plan.ts';
import type { RunTotals, StateStore, StoredObject, TaskRecord } from '../store/state-store.ts';
import { emptyTotals } from '../store/state-store.ts';
import type { SecretSource } from '../spec/component.ts';
import type { SinkEncryption, SinkInstance } from '../connectors/sink.ts';
import type { SourcePosition } from '../connectors/source.ts';
import { compileContract } from './contract-validator.ts';
import { Quarantine } from './quarantine.ts';
import { withRetry } from './retry.ts';
import { MemoryBudget } from './memory-budget.ts';
import { retentionCutoff } from './run-id.ts';
import { componentContext, countBatch, createComponents, processBatch, writeBatch } from './process-batch.ts';
import type { ProcessedBatch, Retrying } from './process-batch.ts';

/** A lease end in the past: what a released or failed attempt leaves, so that the next delivery takes the task at once. */
export const LEASE_RELEASED = '1970-01-01T00:00:00.000Z';

export interface TaskRequest {
  plan: Plan;
  store: StateStore;
  /** Where the quarantine lives (shared by the workers of a run, like the sinks' folders). */
  stateDir: string;
  encryption: SinkEncryption;
  task: Pick<TaskRecord, 'runId' | 'id' | 'from' | 'until'>;
  /** The lease's attempt number: the task commits only while this attempt still holds it. */
  attempt: number;
  /** How long each renewal extends the lease (the ack wait). */
  leaseMs: number;
  /** The worker's name, recorded with the commit. */
  worker: string;
  logger: Logger;
  secrets?: SecretSource;
  /** Aborted on drain: the task stops after the batch in flight and is released, not committed. */
  signal?: AbortSignal;
  /** Called after every batch written: the worker tells the queue the task is still in progress. */
  onBatch?: () => void;
  /**
   * The heap size past which garbage is collected between batches, as the embedded runtime does (memory-budget.ts):
   * a pipeline thread's own heap. Cluster workers run without one, as they always have (not measured with one yet).
   */
  heapBudgetBytes?: number;
}

export interface TaskResult {
  /** False when another attempt had committed the task first (this attempt's objects are the same). */
  committed: boolean;
  totals: RunTotals;
}

/**
 * Removes this worker's quarantine of the pipeline's runs older than the spec's retention, as an embedded run
 * does at its end: the quarantine lives in each worker's state folder, where the coordinator's retention does
 * not reach. Quarantined records are restricted data; keeping them past the retention is what it forbids. The
 * coordinator forgets those runs' objects in the store when it prunes their sink outputs (by the same run-id
 * time), so the worker only removes files. A failure is logged, never the task's failure: the task committed.
 */
async function pruneQuarantine(quarantine: Quarantine, retention: string, task: Pick<TaskRecord, 'runId' | 'id'>, logger: Logger): Promise<void> {
  const before = retentionCutoff(retention);
  if (before === undefined) return;
  try {
    const removed = await quarantine.prune(before);
    if (removed.length > 0) logger.info({ runId: task.runId, task: task.id, retention, pruned: removed.length }, 'removed quarantine older than the retention');
  } catch (error) {
    logger.warn({ runId: task.runId, task: task.id, err: error instanceof Error ? error.message : String(error) }, 'could not remove quarantine older than the retention');
  }
}

/** Processes the task's range and commits it; throws SLUICE_TASK_RELEASED when drained before the end. */
export async function runTask(request: TaskRequest): Promise<TaskResult> {
  const { plan, task, logger } = request;
  const spec = plan.spec;
  if (hasErrors(plan.findings)) {
    throw new SluiceError('SLUICE_PLAN_REJECTED', `pipeline '${spec.pipeline}' has error findings; run 'sluice check' to see them and fix them first`);
  }
  const started = Date.now();
  const { source, steps, sinks, allowed } = createComponents(plan, componentContext(plan, request.secrets));
  const quarantine = new Quarantine(request.stateDir, spec.pipeline, task.runId, request.encryption, task.id);
  const retry = spec.runtime.retry;
  const onRetry = (what: string) => (error: unknown, attempt: number, delayMs: number) =>
    logger.warn({ runId: task.runId, task: task.id, what, attempt, delayMs, err: error instanceof Error ? error.message : String(error) }, 'retrying after a retryable error');
  const retrying: Retrying = (what, operation) => withRetry(operation, retry, onRetry(what));
  const opened: SinkInstance[] = [];
  const options = { follow: false, ...(task.until !== undefined ? { until: task.until } : {}), ...(request.signal ? { signal: request.signal } : {}) };
  const reader = await retrying('open source', () => source.open(task.from, options)).catch((error: unknown) => {
    if (!isSluiceError(error, 'SLUICE_RESUME_MISMATCH')) throw error;
    // The source's words are about resuming; for a task, the input moved under a run already split into tasks.
    throw new SluiceError('SLUICE_RESUME_MISMATCH', `the input of task ${task.id} changed since run ${task.runId} was split into tasks (${source.description}); put it back as it was and run again to retry the task, or start a new run with --fresh`, { cause: error });
  });
  try {
    for (const sink of sinks) {
      await retrying(`open sink ${sink.settings.name}`, () => sink.open({ pipeline: spec.pipeline, runId: task.runId, task: task.id }, request.encryption));
      opened.push(sink);
    }
    await quarantine.open();
    for (const step of steps) await step.instance.open?.({ keys: request.encryption.keys, subjects: request.store });
    const validate = compileContract(spec.contract, source.textual ?? false);
    const memory = request.heapBudgetBytes !== undefined ? new MemoryBudget(request.heapBudgetBytes) : undefined;
    const totals = emptyTotals();
    const objects: StoredObject[] = [];
    /** Where the last batch written ended: the task's end, for an incremental source's next run. */
    let end: SourcePosition | undefined;

    const write = async (number: number, processed: ProcessedBatch): Promise<void> => {
      // Renews the lease; when another worker took the task over (this one went silent past the ack wait), stops
      // before writing more.
      if (!(await request.store.renewLease(task.runId, task.id, request.attempt, new Date(Date.now() + request.leaseMs).toISOString()))) {
        throw new SluiceError('SLUICE_TASK_SUPERSEDED', `task ${task.id} of run ${task.runId}: attempt ${request.attempt} was taken over by another delivery; this one stops`);
      }
      objects.push(...(await writeBatch(number, processed, sinks, quarantine, retrying)));
      countBatch(totals, number, processed, sinks);
      end = processed.end;
      request.onBatch?.();
      memory?.check();
    };

    // As in the embedded runtime: one batch is written while the next is processed.
    let inFlight: Promise<void> | undefined;
    let batchNo = 0;
    try {
      for await (const batch of reader.batches(spec.runtime.batchSize)) {
        const number = ++batchNo;
        const processed = await processBatch(batch, validate, steps, allowed, { number, sinks });
        if (inFlight) await inFlight;
        inFlight = write(number, processed);
        inFlight.catch(() => undefined);
        if (request.signal?.aborted) break;
      }
      if (inFlight) await inFlight;
    } catch (error) {
      await inFlight?.catch(() => undefined);
      throw error;
    }
    if (request.signal?.aborted) {
      throw new SluiceError('SLUICE_TASK_RELEASED', `task ${task.id} of run ${task.runId} was released after batch ${batchNo} (the worker is draining); another worker takes it over`);
    }
    totals.activeMs = Date.now() - started;
    const committed = await request.store.commitTask({ runId: task.runId, taskId: task.id, worker: request.worker, attempt: request.attempt, totals, committedAt: new Date().toISOString(), objects, ...(end ? { end } : {}) });
    logger.info({ runId: task.runId, task: task.id, attempt: request.attempt, records: totals.recordsIn, committed }, committed ? 'task committed' : 'task not committed: another attempt took it over, or its run stopped running');
    if (committed && spec.retention !== undefined) await pruneQuarantine(quarantine, spec.retention, task, logger);
    return { committed, totals };
  } finally {
    await reader.close().catch(() => undefined);
    for (const sink of opened) await sink.close().catch(() => undefined);
  }
}
