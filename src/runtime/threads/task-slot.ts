// One slot of a run split over threads: leases a task from the pool and runs it with the cluster's task runner.
// The main thread runs a slot with the run's own store, keys and secrets; each pipeline thread runs one with
// stand-ins that call the main thread (pipeline-thread.ts).
import type { Logger } from 'pino';
import { isSluiceError } from '../../errors.ts';
import { redactions } from '../../secrets/redaction.ts';
import type { Plan } from '../../plan/plan.ts';
import type { StateStore } from '../../store/state-store.ts';
import type { SinkEncryption } from '../../connectors/sink.ts';
import type { SecretSource } from '../../spec/component.ts';
import type { TaskMessage } from '../../cluster/task-message.ts';
import { LEASE_RELEASED, runTask } from '../task-runner.ts';
import { STORE_RETRY } from '../../cluster/coordinator.ts';
import { HEAP_BUDGET_BYTES } from '../memory-budget.ts';
import { withRetry } from '../retry.ts';

/** What a slot runs its tasks with. */
export interface SlotContext {
  plan: Plan;
  store: StateStore;
  encryption: SinkEncryption;
  secrets?: SecretSource;
  logger: Logger;
  stateDir: string;
  leaseMs: number;
  /** The slot's name in the tasks it commits (host:pid/thread-N). */
  worker: string;
  /** Aborted when the run stops: the task stops after its batch in flight and is given back. */
  signal: AbortSignal;
}

/** Leases the task and runs it; a failure is recorded on the task (the run fails, and running it again retries it). */
export async function runLeasedTask(task: Omit<TaskMessage, 'v'>, slot: SlotContext): Promise<void> {
  const { store, logger } = slot;
  const where = { runId: task.runId, task: task.taskId };
  let attempt: number | undefined;
  try {
    const now = Date.now();
    // A live lease is respected, even one an earlier process left: a cluster run's workers may still be at it, and
    // nothing here can tell a dead holder from a slow one. The coordinator offers the task again once that lease
    // has run out twice over (republishStranded), so a run resumed after a killed process waits that long for
    // the tasks that process held.
    const taken = await store.leaseTask(task.runId, task.taskId, slot.worker, new Date(now + slot.leaseMs).toISOString(), new Date(now).toISOString());
    if (taken === undefined || taken.task.status !== 'pending' || !taken.leased) return;
    const lease = taken.task;
    attempt = lease.attempts;
    await runTask({
      plan: slot.plan,
      store,
      stateDir: slot.stateDir,
      encryption: slot.encryption,
      task: { runId: task.runId, id: task.taskId, ...(lease.from ? { from: lease.from } : {}), ...(lease.until ? { until: lease.until } : {}) },
      attempt,
      leaseMs: slot.leaseMs,
      worker: slot.worker,
      logger,
      ...(slot.secrets ? { secrets: slot.secrets } : {}),
      signal: slot.signal,
      // Each thread has a heap of its own, so each takes the whole budget: divided between the threads, it made
      // each collect at almost every batch (half the speed).
      heapBudgetBytes: HEAP_BUDGET_BYTES,
    });
  } catch (error) {
    if (isSluiceError(error, 'SLUICE_TASK_SUPERSEDED')) return void logger.warn({ ...where, code: error.code }, error.message);
    if (attempt !== undefined) await store.renewLease(task.runId, task.taskId, attempt, LEASE_RELEASED).catch(() => undefined);
    if (isSluiceError(error, 'SLUICE_TASK_RELEASED')) return void logger.info(where, 'task given back unfinished (the run is stopping)');
    const text = redactions.scrub(error instanceof Error ? error.message : String(error));
    const code = isSluiceError(error) ? error.code : undefined;
    logger.error({ ...where, code, err: text }, 'task failed; the run fails, and running it again retries the task');
    // Retried through a store hiccup: a task neither committed nor recorded dead would hold the run open.
    await withRetry(() => store.failTask(task.runId, task.taskId, `${code ?? 'error'}: ${text}`), STORE_RETRY);
  }
}
