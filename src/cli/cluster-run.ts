// `sluice run --cluster` and `sluice run --threads N`: a run split into tasks, run by cluster workers or by
// threads of this process, from the command line.
import type { Plan } from '../plan/plan.ts';
import type { Keyring } from '../crypto/keyring/keyring.ts';
import type { SecretResolver } from '../secrets/resolve/secret-resolver.ts';
import type { ProgressReporter } from '../runtime/progress.ts';
import { runOnCluster } from '../cluster/coordinator.ts';
import type { ClusterRunResult } from '../cluster/coordinator.ts';
import { runInThreads } from '../runtime/threads/run-in-threads.ts';
import type { CliContext } from './context.ts';
import { println } from './context.ts';
import type { Runtime } from './runtime-setup.ts';
import { recordEvent } from './runtime-setup.ts';
import { openWorkQueue } from './cluster-setup.ts';
import { ackWaitMs } from '../cluster/cluster-settings.ts';
import { formatSummary } from './format-summary.ts';
import { EXIT } from './exit-codes.ts';
import { SluiceError } from '../errors.ts';

export interface ClusterCommand {
  runtime: Runtime;
  context: CliContext;
  plan: Plan;
  /** Absolute: the workers open the same path. */
  specPath: string;
  specHash: string;
  keyring: Keyring;
  secrets: SecretResolver;
  fresh: boolean;
  /** Run the tasks on this many threads of this process instead of on the cluster's workers. */
  threads?: number;
  progress: ProgressReporter;
  signal: AbortSignal;
  setExit: (code: number) => void;
}

/** Runs the tasks on the cluster's workers, through the work queue (closed afterwards). */
async function runOnWorkers(command: ClusterCommand): Promise<ClusterRunResult> {
  const { runtime, context, plan } = command;
  const open = await openWorkQueue(runtime, context.cwd, command.secrets);
  try {
    return await runOnCluster({
      plan,
      specPath: command.specPath,
      specHash: command.specHash,
      store: runtime.store,
      queue: open.queue,
      encryption: { keys: command.keyring, keyId: runtime.settings.keys.keyId },
      secrets: command.secrets,
      taskBytes: open.settings.taskBytes,
      ackWaitMs: ackWaitMs(open.settings),
      fresh: command.fresh,
      logger: runtime.logger,
      progress: command.progress,
      signal: command.signal,
    });
  } finally {
    await open.close();
  }
}

/** Runs the tasks on `threads` threads of this process (runtime/threads). */
function runOnThreads(command: ClusterCommand, threads: number): Promise<ClusterRunResult> {
  const { runtime, context } = command;
  return runInThreads({
    plan: command.plan,
    specPath: command.specPath,
    specHash: command.specHash,
    cwd: context.cwd,
    store: runtime.store,
    stateDir: runtime.stateDir,
    encryption: { keys: command.keyring, keyId: runtime.settings.keys.keyId },
    secrets: command.secrets,
    threads,
    fresh: command.fresh,
    logger: runtime.logger,
    progress: command.progress,
    signal: command.signal,
  });
}

export async function runClusterCommand(command: ClusterCommand): Promise<void> {
  const { runtime, context, plan, threads } = command;
  const pipeline = `pipeline:${plan.spec.pipeline}`;
  let result;
  try {
    result = threads === undefined ? await runOnWorkers(command) : await runOnThreads(command, threads);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    await recordEvent(runtime, { action: 'run.fail', resource: pipeline, outcome: 'failure', ...(typeof code === 'string' ? { reason: code } : {}) });
    throw error;
  }
  const { run, tasks } = result;
  if (result.abandoned) println(context.stdout, `note: interrupted run ${result.abandoned.runId} was abandoned: ${result.abandoned.reason}`);
  if (result.detached) {
    const left = tasks.filter((t) => t.status === 'pending').length;
    println(
      context.stdout,
      threads === undefined
        ? `run ${run.id} goes on on the workers (${left} of ${tasks.length} tasks left); run the same command again to follow it to the end`
        : `run ${run.id} stopped with ${left} of ${tasks.length} tasks left (committed tasks are kept); run the same command again to finish it`,
    );
    command.setExit(EXIT.INTERRUPTED);
    return;
  }
  const { totals } = run;
  const recordsOut = Object.values(totals.recordsOut).reduce((a, b) => a + b, 0);
  const outcome = run.status === 'succeeded' ? 'success' : 'failure';
  await recordEvent(runtime, { action: run.status === 'succeeded' ? 'run.finish' : 'run.fail', resource: pipeline, outcome, requestId: run.id, details: { recordsIn: totals.recordsIn, recordsOut, quarantined: totals.quarantined, tasks: tasks.length } });
  const workers = new Set(tasks.map((t) => t.worker).filter((w) => w !== undefined));
  println(context.stdout, formatSummary(run));
  println(context.stdout, `  tasks             ${tasks.length} on ${workers.size} ${threads === undefined ? 'worker(s)' : 'thread(s)'}${tasks.some((t) => t.attempts > 1) ? `, ${tasks.filter((t) => t.attempts > 1).length} delivered more than once` : ''}`);
  if (run.status !== 'succeeded') throw new SluiceError(threads === undefined ? 'SLUICE_CLUSTER' : 'SLUICE_THREAD', `run ${run.id} failed: ${run.error ?? 'unknown'}`);
  command.setExit(EXIT.OK);
}
