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
import { runTask } from '../task-runner.ts';

/** A lease end in the past: what a released or failed attempt leaves, so that the task can be taken at once. */
const LEASE_RELEASED = '1970-01-01T00:00:00.000Z';

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
  heapBudgetBytes: number;
}

/** Leases the task and runs it; a failure is recorded on the task (the run fails, and running it again retries it). */
export async function runLeasedTask(task: Omit<TaskMessage, 'v'>, slot: SlotContext): Promise<void> {
  const { store, logger } = slot;
  const where = { runId: task.runId, task: task.taskId };
  let attempt: number | undefined;
  try {
    const leasedUntil = new Date(Date.now() + slot.leaseMs).toISOString();
    // `now` is the new lease's end: the run is claimed by this process, so a lease an earlier process left on the
    // task is dead, however long it still seems to run; only this pool hands the task out.
    const taken = await store.leaseTask(task.runId, task.taskId, slot.worker, leasedUntil, leasedUntil);
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
      heapBudgetBytes: slot.heapBudgetBytes,
    });
  } catch (error) {
    if (isSluiceError(error, 'SLUICE_TASK_SUPERSEDED')) return void logger.warn({ ...where, code: error.code }, error.message);
    if (attempt !== undefined) await store.renewLease(task.runId, task.taskId, attempt, LEASE_RELEASED).catch(() => undefined);
    if (isSluiceError(error, 'SLUICE_TASK_RELEASED')) return void logger.info(where, 'task given back unfinished (the run is stopping)');
    const text = redactions.scrub(error instanceof Error ? error.message : String(error));
    const code = isSluiceError(error) ? error.code : undefined;
    logger.error({ ...where, code, err: text }, 'task failed; the run fails, and running it again retries the task');
    await store.failTask(task.runId, task.taskId, `${code ?? 'error'}: ${text}`);
  }
}
