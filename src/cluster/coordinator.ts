// The coordinator of a cluster run: claims the run (or resumes it), splits the source into tasks recorded in the
// state store, publishes them on the work queue, then watches the store until every task is committed or given
// up. The run's summary is the sum of its tasks'. It holds no data itself: stopping it leaves the run to the
// workers, and running it again attaches to the run and finishes it.
import type { Logger } from 'pino';
import { SluiceError } from '../errors.ts';
import { redactions } from '../secrets/redaction.ts';
import type { Plan } from '../plan/plan.ts';
import { hasErrors } from '../plan/findings.ts';
import type { RunRecord, RunTotals, StateStore, TaskRecord } from '../store/state-store.ts';
import { emptyTotals } from '../store/state-store.ts';
import type { SecretSource } from '../spec/component.ts';
import type { SinkEncryption, SinkInstance } from '../connectors/sink.ts';
import { claimRun, keepRunHeld } from '../runtime/claim-run.ts';
import { withRetry } from '../runtime/retry.ts';
import { addCounts, componentContext, createComponents } from '../runtime/process-batch.ts';
import { retentionCutoff } from '../runtime/run-id.ts';
import type { ProgressReporter } from '../runtime/progress.ts';
import { silentProgress } from '../runtime/progress.ts';
import { decodeTask, taskId } from './task-message.ts';
import type { TaskMessage } from './task-message.ts';
import type { DeadLetter } from './work-queue.ts';

/**
 * What the coordinator needs of a queue of tasks: JetStream's work queue, for workers on other machines, or the
 * thread pool of a run split over threads in one process (`sluice run --threads`).
 */
export interface TaskQueue {
  /** Offers a task to the workers; `generation` tells a new offer of the same task from a duplicate. */
  publish(task: Omit<TaskMessage, 'v'>, generation: string): Promise<void>;
  /**
   * Where a queue's workers can vanish unseen (a process killed on another machine), the tasks whose deliveries
   * ran out, so that the coordinator records them dead. A thread pool sees its threads stop and has none.
   */
  maxDeliveriesAdvisories?(stop: AbortSignal): AsyncIterable<{ streamSeq: number; deliveries: number }>;
  taskAt?(streamSeq: number): Promise<Uint8Array | undefined>;
  publishDead?(letter: DeadLetter): Promise<void>;
  removeTask?(streamSeq: number): Promise<void>;
}

/** How often the coordinator reads the tasks' state. */
const WATCH_EVERY_MS = 100;
/**
 * Retries of the state store while watching: a dropped connection (a failover, pg_terminate_backend) is ridden
 * out for about half a minute, as the workers ride it out with redeliveries, instead of failing a run that is fine.
 */
export const STORE_RETRY = { attempts: 10, initialDelayMs: 250, maxDelayMs: 5_000 } as const;

export interface ClusterRunRequest {
  plan: Plan;
  /** The spec file as the workers see it. */
  specPath: string;
  specHash: string;
  store: StateStore;
  queue: TaskQueue;
  /** How the run was started, for the messages that say how to finish it: '--cluster' or '--threads N'. */
  startedWith?: string;
  /** The keys of the sinks: only to remove an abandoned run's partial output. */
  encryption: SinkEncryption;
  secrets?: SecretSource;
  /** About how much of a splittable source one task reads. */
  taskBytes: number;
  /** The queue's ack wait: a task whose lease ran out this long ago twice over, with no one on it, is published again. */
  ackWaitMs: number;
  fresh?: boolean;
  logger: Logger;
  progress?: ProgressReporter;
  /** Aborting stops watching; the run goes on on the workers (run again to attach). */
  signal?: AbortSignal;
  onClaimed?: (runId: string) => void;
}

export interface ClusterRunResult {
  /** The run as finished, or as it stands when the coordinator stopped watching (`detached`). */
  run: RunRecord;
  tasks: TaskRecord[];
  detached: boolean;
  abandoned?: { runId: string; reason: string };
}

/** The sum of the committed tasks' totals: the run's summary. */
export function sumTotals(tasks: readonly TaskRecord[], activeMs: number): RunTotals {
  const sum = emptyTotals();
  for (const task of tasks) {
    const totals = task.totals;
    if (task.status !== 'committed' || totals === undefined) continue;
    sum.recordsIn += totals.recordsIn;
    sum.quarantined += totals.quarantined;
    sum.unknownFieldsDropped += totals.unknownFieldsDropped;
    sum.batches += totals.batches;
    addCounts(sum.recordsOut, totals.recordsOut);
    addCounts(sum.protectedFields, totals.protectedFields);
    addCounts(sum.piiFound, totals.piiFound);
  }
  sum.activeMs = activeMs;
  return sum;
}

/** Opens each sink for the run, hands it to `work`, and closes it. */
async function withEachSink(request: ClusterRunRequest, runId: string, work: (sink: SinkInstance) => Promise<void>): Promise<void> {
  const { sinks } = createComponents(request.plan, componentContext(request.plan, request.secrets));
  for (const sink of sinks) {
    try {
      await sink.open({ pipeline: request.plan.spec.pipeline, runId }, request.encryption);
      await work(sink);
    } finally {
      await sink.close().catch(() => undefined);
    }
  }
}

/** Removes what an abandoned (or uncommitted) run wrote, through the sinks (as the embedded runtime does). */
async function discardAbandoned(request: ClusterRunRequest, runId: string, abandonedRun: string): Promise<void> {
  await withEachSink(request, runId, async (sink) => void (await sink.discard(abandonedRun)));
  await request.store.forgetObjects({ runId: abandonedRun });
}

/**
 * Removes sink outputs of earlier runs past the spec's retention, as an embedded run does at its end. (Each
 * worker's quarantine lives in its own state folder and is not pruned from here.)
 */
async function pruneSinks(request: ClusterRunRequest, runId: string, retention: string): Promise<void> {
  const before = retentionCutoff(retention);
  if (before === undefined) return;
  const removed = new Set<string>();
  await withEachSink(request, runId, async (sink) => {
    for (const expired of await sink.prune(before, runId)) removed.add(expired);
  });
  for (const expired of removed) await request.store.forgetObjects({ runId: expired });
  if (removed.size > 0) request.logger.info({ runId, retention, pruned: removed.size }, 'removed outputs older than the retention');
}

/** Splits the source into tasks the first time; a resumed run keeps its tasks (and retries its dead ones). */
async function ensureTasks(request: ClusterRunRequest, runId: string): Promise<TaskRecord[]> {
  const { store, logger } = request;
  let tasks = await store.listTasks(runId);
  if (tasks.length === 0) {
    const spec = request.plan.spec;
    const source = spec.source.component.create(spec.source.options, componentContext(request.plan, request.secrets));
    // An incremental source continues where the pipeline's last successful run ended, as in embedded mode.
    const start = source.incremental ? await store.lastSucceededPosition(spec.pipeline) : undefined;
    const ranges = (await source.split?.(request.taskBytes, start)) ?? [start ? { from: start } : {}];
    await store.createTasks(
      runId,
      ranges.map((range, index) => ({ id: taskId(index + 1), ...range, specPath: request.specPath })),
    );
    tasks = await store.listTasks(runId);
    logger.info({ runId, tasks: tasks.length, source: source.description }, 'run split into tasks');
  } else {
    const retried = await store.retryDeadTasks(runId);
    if (retried > 0) logger.info({ runId, retried }, 'dead tasks of the resumed run are tried again');
    tasks = await store.listTasks(runId);
  }
  return tasks;
}

/**
 * Gives up tasks whose deliveries ran out without a worker recording it (every delivery's worker died): JetStream
 * says so in an advisory, and the task message is still in the stream to name the task.
 */
async function watchMaxDeliveries(queue: TaskQueue, store: StateStore, logger: Logger, stop: AbortSignal): Promise<void> {
  if (!queue.maxDeliveriesAdvisories || !queue.taskAt || !queue.publishDead || !queue.removeTask) return;
  const advisories = queue.maxDeliveriesAdvisories(stop);
  for await (const { streamSeq, deliveries } of advisories) {
    const data = await queue.taskAt(streamSeq);
    if (data === undefined) continue;
    let task: TaskMessage | undefined;
    try {
      task = decodeTask(data);
    } catch (error) {
      logger.error({ streamSeq, err: (error as Error).message }, 'a task message that used up its deliveries could not be read; dead-lettered');
    }
    try {
      const error = task ? `no worker finished it in ${deliveries} deliveries (each worker died, timed out or could not read it)` : 'unreadable task message';
      // The message goes only once the task is recorded dead: otherwise it would be pending with no message.
      if (task) await withRetry(() => store.failTask(task.runId, task.taskId, error), STORE_RETRY);
      await queue.publishDead({ runId: task?.runId ?? 'unknown', taskId: task?.taskId ?? `seq-${streamSeq}`, error, deliveries });
      if (task) logger.error({ runId: task.runId, task: task.taskId, deliveries }, 'task used up its deliveries; dead-lettered');
      await queue.removeTask(streamSeq);
    } catch (error) {
      logger.error({ streamSeq, err: redactions.scrub(String(error)) }, 'a task that used up its deliveries could not be recorded dead; its message stays for the next coordinator');
    }
  }
}

/**
 * Publishes again the tasks that were leased once but whose lease ran out more than two ack waits ago: a worker
 * that lost its message (a connection that broke while it was acked or released) leaves its task pending with
 * no message. A second message for a task someone does hold is dropped at delivery (the lease is live).
 */
async function republishStranded(request: ClusterRunRequest, runId: string): Promise<void> {
  const before = new Date(Date.now() - 2 * request.ackWaitMs).toISOString();
  for (const task of await request.store.listTasks(runId)) {
    // A lease ended at the epoch was given back by a failed or drained attempt, whose message is on its way back.
    if (task.status !== 'pending' || task.attempts === 0 || task.leasedUntil === undefined || task.leasedUntil >= before || task.leasedUntil.startsWith('1970-')) continue;
    request.logger.warn({ runId, task: task.id, leasedUntil: task.leasedUntil }, 'a task was left without a lease or a message; published again');
    await request.queue.publish({ runId, taskId: task.id }, `stranded-${task.attempts}`);
  }
}

/** Runs the plan on the cluster's workers and waits for it to finish. */
export async function runOnCluster(request: ClusterRunRequest): Promise<ClusterRunResult> {
  const { plan, store, queue, logger } = request;
  const spec = plan.spec;
  if (hasErrors(plan.findings)) {
    throw new SluiceError('SLUICE_PLAN_REJECTED', `pipeline '${spec.pipeline}' has error findings; run 'sluice check' to see them and fix them first`);
  }
  const claimed = await claimRun(store, { pipeline: spec.pipeline, specHash: request.specHash, fresh: request.fresh ?? false }, logger);
  const runId = claimed.run.id;
  request.onClaimed?.(runId);
  const started = Date.parse(claimed.run.startedAt);
  const progress = request.progress ?? silentProgress;
  const stopWatching = new AbortController();
  // Held while this coordinator watches; once it stops, another (on any machine) may attach after the hold runs out.
  const release = keepRunHeld(store, runId, logger);
  try {
    const split = await store.taskProgress(runId);
    // A checkpoint without tasks is an embedded run's progress; with tasks, the end this coordinator's last
    // attempt recorded just before it stopped.
    if (claimed.checkpoint && split.pending + split.committed + split.dead === 0) {
      throw new SluiceError('SLUICE_RESUME_MISMATCH', `run ${runId} of '${spec.pipeline}' was started on one thread and committed ${claimed.checkpoint.batch} batch(es); finish it with 'sluice run' (without ${request.startedWith ?? '--cluster'}), or start a new run with --fresh`);
    }
    if (claimed.abandoned) await discardAbandoned(request, runId, claimed.abandoned.runId);
    // A resumed run with neither tasks nor checkpoint died before its first commit, in either mode: what it wrote
    // is uncommitted (an embedded first batch would sit beside the tasks' objects), so it goes before the split.
    else if (claimed.run.attempts > 1 && !claimed.checkpoint && split.pending + split.committed + split.dead === 0) await discardAbandoned(request, runId, runId);
    // The keys the steps use (tokenize's, the subject keys' ref key) are created here if missing: the coordinator
    // may write the keyring, a worker's role only reads it (sluice cluster grants).
    const { steps } = createComponents(plan, componentContext(request.plan, request.secrets));
    for (const step of steps) await step.instance.open?.({ keys: request.encryption.keys, subjects: store });
    let tasks = await ensureTasks(request, runId);
    for (const task of tasks) {
      if (task.status !== 'pending') continue;
      await queue.publish({ runId, taskId: task.id }, `a${claimed.run.attempts}`);
    }
    logger.info({ runId, tasks: tasks.length }, 'tasks published');
    const advisories = watchMaxDeliveries(queue, store, logger, stopWatching.signal).catch((error: unknown) => logger.warn({ err: String(error) }, 'the advisory watch stopped'));
    const retrying = (what: string) => (error: unknown, attempt: number, delayMs: number) =>
      logger.warn({ runId, what, attempt, delayMs, err: redactions.scrub(String(error)) }, 'the state store failed; retrying');
    let strandedCheck = Date.now();
    // One cheap count per poll (not every task's row): the coordinator's share of the store stays flat as runs grow.
    for (;;) {
      if (Date.now() - strandedCheck > request.ackWaitMs) {
        strandedCheck = Date.now();
        await republishStranded(request, runId).catch((error: unknown) => logger.warn({ runId, err: redactions.scrub(String(error)) }, 'looking for stranded tasks failed'));
      }
      const now = await withRetry(() => store.taskProgress(runId), STORE_RETRY, retrying('read the tasks'));
      progress.update({ records: now.recordsIn, done: now.committed, total: now.pending + now.committed + now.dead });
      if (now.pending === 0) break;
      if (request.signal?.aborted) {
        progress.finish();
        stopWatching.abort();
        await advisories;
        const run = (await store.getRun(runId)) ?? claimed.run;
        return { run, tasks: await store.listTasks(runId), detached: true, ...(claimed.abandoned ? { abandoned: claimed.abandoned } : {}) };
      }
      await new Promise((resolve) => setTimeout(resolve, WATCH_EVERY_MS));
    }
    tasks = await withRetry(() => store.listTasks(runId), STORE_RETRY, retrying('read the tasks'));
    stopWatching.abort();
    await advisories;
    progress.finish();
    const totals = sumTotals(tasks, Date.now() - started);
    const dead = tasks.filter((t) => t.status === 'dead');
    const finishedAt = new Date().toISOString();
    if (dead.length === 0) {
      // The run's end position, as a checkpoint: where the next run of an incremental source starts.
      const end = [...tasks].reverse().find((t) => t.end !== undefined)?.end;
      if (end !== undefined && !claimed.checkpoint) await withRetry(() => store.commitCheckpoint({ runId, batch: 1, position: end, totals }), STORE_RETRY, retrying('record the run\'s end'));
      await withRetry(() => store.finishRun(runId, { status: 'succeeded', finishedAt, totals }), STORE_RETRY, retrying('finish the run'));
      logger.info({ runId, tasks: tasks.length, totals }, 'run of tasks succeeded');
      if (spec.retention !== undefined) await pruneSinks(request, runId, spec.retention);
    } else {
      const first = dead[0];
      const error = `${dead.length} of ${tasks.length} tasks failed (first: ${first?.id}: ${first?.error ?? 'unknown'}); fix the cause and run again to retry them`;
      await withRetry(() => store.finishRun(runId, { status: 'failed', finishedAt, totals, error }), STORE_RETRY, retrying('finish the run'));
      logger.error({ runId, dead: dead.map((t) => t.id) }, 'run of tasks failed');
    }
    const run = await withRetry(() => store.getRun(runId), STORE_RETRY, retrying('read the run'));
    if (!run) throw new SluiceError('SLUICE_STATE_STORE', `run ${runId} is missing from the state store`);
    return { run, tasks, detached: false, ...(claimed.abandoned ? { abandoned: claimed.abandoned } : {}) };
  } catch (error) {
    stopWatching.abort();
    progress.finish();
    throw error;
  } finally {
    release();
  }
}
