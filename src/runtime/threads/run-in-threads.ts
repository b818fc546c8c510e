// A run split over threads of this process (`sluice run --threads N`): the source is split into ranges as for a
// cluster run, the ranges are tasks in the state store, and the main thread and N - 1 pipeline threads run them,
// each as a cluster worker would. A run on one thread already keeps V8's collector and compiler busy beside it
// (1.5-1.8 of this machine's 2 cores), so the threads pay on machines with more cores (docs/performance.md). The run is claimed, resumed and summed as a cluster run is (coordinator.ts).
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { SluiceError } from '../../errors.ts';
import type { Plan } from '../../plan/plan.ts';
import type { StateStore } from '../../store/state-store.ts';
import type { SinkEncryption } from '../../connectors/sink.ts';
import type { SecretSource } from '../../spec/component.ts';
import type { Keyring } from '../../crypto/keyring/keyring.ts';
import { runOnCluster } from '../../cluster/coordinator.ts';
import type { ClusterRunResult } from '../../cluster/coordinator.ts';
import type { ProgressReporter } from '../progress.ts';
import { componentContext } from '../process-batch.ts';
import { PipelineThreadPool } from './thread-pool.ts';

/** The most threads a run may ask for: past the cores, threads only add memory. */
export const MAX_THREADS = 64;
/**
 * About how much of the source one task reads: small enough that the threads finish together (the last task of
 * one thread is all the other may wait for), large enough that opening a task's objects costs nothing noticeable.
 */
const TASK_BYTES = 8 * 1024 * 1024;
/** How long a task's lease lasts past its last batch: a thread that hangs this long twice over loses its task. */
const LEASE_MS = 60_000;

export interface ThreadedRunRequest {
  plan: Plan;
  /** Absolute path of the spec: each thread plans it again, and refuses it if its hash is not `specHash`. */
  specPath: string;
  specHash: string;
  /** Where relative paths of the spec resolve. */
  cwd: string;
  store: StateStore;
  stateDir: string;
  encryption: SinkEncryption & { keys: Keyring };
  secrets?: SecretSource;
  threads: number;
  /** About how much of the source one task reads (default 8 MiB). */
  taskBytes?: number;
  fresh?: boolean;
  logger: Logger;
  progress?: ProgressReporter;
  /** Aborting stops each thread after its batch in flight; the run is left to be run again. */
  signal?: AbortSignal;
}

/** Runs the plan over `threads` pipeline threads and waits for it to finish (or to stop, on the signal). */
export async function runInThreads(request: ThreadedRunRequest): Promise<ClusterRunResult> {
  const { plan, logger } = request;
  if (!Number.isInteger(request.threads) || request.threads < 1 || request.threads > MAX_THREADS) {
    throw new SluiceError('SLUICE_USAGE', `--threads must be a whole number from 1 to ${MAX_THREADS}, not ${String(request.threads)}`);
  }
  const spec = plan.spec;
  const source = spec.source.component.create(spec.source.options, componentContext(plan, request.secrets));
  if (!source.split) {
    throw new SluiceError('SLUICE_USAGE', `the ${spec.source.component.name} source (${source.description}) cannot be split into ranges for threads; run it without --threads`);
  }
  const secrets = request.secrets;
  // The main thread is one of the N: it runs a slot of its own beside N - 1 pipeline threads.
  const pool = await PipelineThreadPool.start({
    threads: request.threads - 1,
    local: {
      plan,
      store: request.store,
      encryption: request.encryption,
      ...(secrets ? { secrets } : {}),
      logger: logger.child({ thread: 'main' }),
      stateDir: request.stateDir,
      leaseMs: LEASE_MS,
      worker: `${hostname()}:${process.pid}/main`,
    },
    data: {
      specPath: request.specPath,
      specHash: request.specHash,
      cwd: request.cwd,
      stateDir: request.stateDir,
      keyId: request.encryption.keyId,
      providerName: request.encryption.keys.provider.name,
      logLevel: logger.level,
      leaseMs: LEASE_MS,
    },
    targets: {
      store: request.store as unknown as Record<string, (...args: never[]) => unknown>,
      provider: request.encryption.keys.provider as unknown as Record<string, (...args: never[]) => unknown>,
      secrets: {
        resolve: async (reference: string) => {
          if (!secrets) throw new SluiceError('SLUICE_SECRET_REFERENCE', `the run has no secret resolver for ${reference}`);
          return (await secrets.resolve(reference)).reveal();
        },
        invalidate: (reference: string) => secrets?.invalidate(reference),
      },
    },
    store: request.store,
    logger,
  });
  const drain = () => pool.drain();
  request.signal?.addEventListener('abort', drain, { once: true });
  // A stop asked for while the threads started (each takes a second or two) is not replayed to a later listener.
  if (request.signal?.aborted) pool.drain();
  let finished = false;
  try {
    const result = await runOnCluster({
      plan,
      specPath: request.specPath,
      specHash: request.specHash,
      store: request.store,
      queue: pool,
      encryption: request.encryption,
      ...(secrets ? { secrets } : {}),
      taskBytes: request.taskBytes ?? TASK_BYTES,
      ackWaitMs: LEASE_MS,
      fresh: request.fresh ?? false,
      logger,
      ...(request.progress ? { progress: request.progress } : {}),
      ...(request.signal ? { signal: request.signal } : {}),
      startedWith: `--threads ${request.threads}`,
    });
    finished = !result.detached;
    return result;
  } finally {
    request.signal?.removeEventListener('abort', drain);
    // Stopped or failed: the slots stop after their batch in flight instead of running what is left.
    if (!finished) pool.drain();
    await pool.close(LEASE_MS);
  }
}
