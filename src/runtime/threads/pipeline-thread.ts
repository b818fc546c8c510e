// One thread of a run split over threads (`sluice run --threads N`): plans the spec it was started with, then
// runs tasks one at a time, as a cluster worker's slot does, until the pool has none left. The state store, the
// key provider and the secrets are the starting thread's, reached through calls (thread-calls.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { hostname } from 'node:os';
import { pino } from 'pino';
import { isSluiceError, SluiceError } from '../../errors.ts';
import { redactions } from '../../secrets/redaction.ts';
import { Secret } from '../../secrets/secret.ts';
import { builtinRegistry } from '../../builtins.ts';
import { loadPlan } from '../../cli/load-plan.ts';
import { Keyring } from '../../crypto/keyring/keyring.ts';
import type { KeyProvider } from '../../crypto/providers/key-provider.ts';
import type { SecretSource } from '../../spec/component.ts';
import type { StateStore } from '../../store/state-store.ts';
import type { TaskMessage } from '../../cluster/task-message.ts';
import { runTask } from '../task-runner.ts';
import { ThreadCaller } from './thread-calls.ts';
import type { PipelineThreadData, ThreadEvent } from './pipeline-thread-data.ts';

/** A lease end in the past: what a released or failed attempt leaves, so that the task can be taken at once. */
const LEASE_RELEASED = '1970-01-01T00:00:00.000Z';

const data = workerData as PipelineThreadData;
const port = parentPort!;
const caller = new ThreadCaller(port);
const drain = new AbortController();
port.on('message', (message: unknown) => {
  if (caller.settle(message)) return;
  if ((message as { kind?: unknown } | null)?.kind === 'drain') drain.abort();
});
const send = (event: ThreadEvent) => port.postMessage(event);
const worker = `${hostname()}:${process.pid}/${data.name}`;
// Lines are scrubbed here too: the secrets this thread resolved are registered in its own registry.
const logger = pino({ level: data.logLevel, base: { thread: data.name }, hooks: { streamWrite: (line: string) => redactions.scrub(line) } }, { write: (line: string) => send({ kind: 'log', line }) });

const store = caller.proxy<StateStore>('store');
const provider: KeyProvider = {
  name: data.providerName,
  wrap: (material, aad) => caller.call('provider', 'wrap', [material, aad]),
  unwrap: (blob, aad) => caller.call('provider', 'unwrap', [blob, aad]),
  close: () => undefined,
};
const secrets: SecretSource = {
  async resolve(reference) {
    const value = await caller.call<string>('secrets', 'resolve', [reference]);
    redactions.register(value);
    return new Secret(value, reference);
  },
  invalidate(reference) {
    caller.call('secrets', 'invalidate', [reference]).catch(() => undefined);
  },
};
const keys = new Keyring(store, provider);
const encryption = { keys, keyId: data.keyId };

/** Leases the task and runs it; a failure is recorded on the task (the run fails, and running it again retries it). */
async function runOne(task: Omit<TaskMessage, 'v'>, plan: Awaited<ReturnType<typeof loadPlan>>['plan']): Promise<void> {
  const where = { runId: task.runId, task: task.taskId };
  let attempt: number | undefined;
  try {
    const now = Date.now();
    const leasedUntil = new Date(now + data.leaseMs).toISOString();
    // `now` is the new lease's end: the run is claimed by this process, so a lease an earlier process left on the
    // task is dead, however long it still seems to run; only this pool hands the task out.
    const taken = await store.leaseTask(task.runId, task.taskId, worker, leasedUntil, leasedUntil);
    if (taken === undefined || taken.task.status !== 'pending' || !taken.leased) return;
    attempt = taken.task.attempts;
    const lease = taken.task;
    await runTask({
      plan,
      store,
      stateDir: data.stateDir,
      encryption,
      task: { runId: task.runId, id: task.taskId, ...(lease.from ? { from: lease.from } : {}), ...(lease.until ? { until: lease.until } : {}) },
      attempt,
      leaseMs: data.leaseMs,
      worker,
      logger,
      secrets,
      signal: drain.signal,
      heapBudgetBytes: data.heapBudgetBytes,
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

try {
  const { loaded, plan } = await loadPlan(data.specPath, builtinRegistry(), data.cwd);
  if (loaded.hash !== data.specHash) {
    throw new SluiceError('SLUICE_RESUME_MISMATCH', `the spec ${data.specPath} changed after the run started; run again`);
  }
  send({ kind: 'ready' });
  for (;;) {
    if (drain.signal.aborted) break;
    const task = await caller.call<Omit<TaskMessage, 'v'> | undefined>('pool', 'next', []);
    if (task === undefined) break;
    await runOne(task, plan);
  }
} catch (error) {
  send({ kind: 'failed', error: redactions.scrub(error instanceof Error ? error.message : String(error)), ...(isSluiceError(error) ? { code: error.code } : {}) });
  process.exitCode = 1;
} finally {
  keys.close();
  port.close();
}
