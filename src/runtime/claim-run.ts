// Decides which run this invocation continues: the interrupted one (resume after its last committed batch) or
// a new one. A run resumes only under the spec text it started with.
import type { Logger } from 'pino';
import { SluiceError } from '../errors.ts';
import { hostname } from 'node:os';
import type { Checkpoint, RunHold, RunRecord, StateStore } from '../store/state-store.ts';
import { newRunId } from './run-id.ts';

export interface ClaimedRun {
  run: RunRecord;
  checkpoint?: Checkpoint;
  /** The interrupted run this one replaced instead of resuming, and why. */
  abandoned?: { runId: string; reason: string };
}

/** How long a hold lasts, and how often its holder renews it: a holder that died frees its run within a hold. */
export const RUN_HOLD_MS = 120_000;
const RENEW_EVERY_MS = 30_000;

function hold(): RunHold {
  return { host: hostname(), heldUntil: new Date(Date.now() + RUN_HOLD_MS).toISOString() };
}

/**
 * Whether the run's holder may still be at it. On this machine its pid says so. On another machine (a shared
 * PostgreSQL store) the pid means nothing here: its hold says so, renewed while it lives.
 */
function holderAlive(run: RunRecord): boolean {
  if (run.host !== undefined && run.host !== hostname()) return run.heldUntil !== undefined && Date.parse(run.heldUntil) > Date.now();
  return isAlive(run.pid);
}

/** Renews the hold of a run this process holds until the returned function is called. */
export function keepRunHeld(store: StateStore, runId: string, logger: Logger): () => void {
  const timer = setInterval(() => {
    store.renewRun(runId, process.pid, hold()).then(
      (held) => {
        if (!held) logger.warn({ runId }, 'this process no longer holds the run (another took it over after its hold ran out)');
      },
      (error: unknown) => logger.warn({ runId, err: error instanceof Error ? error.message : String(error) }, 'renewing the run hold failed; trying again'),
    );
  }, RENEW_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function claimRun(
  store: StateStore,
  request: { pipeline: string; specHash: string; fresh: boolean },
  logger: Logger,
): Promise<ClaimedRun> {
  const unfinished = await store.findUnfinished(request.pipeline);
  let abandoned: ClaimedRun['abandoned'];
  if (unfinished) {
    const here = unfinished.host === undefined || unfinished.host === hostname();
    if (unfinished.status === 'running' && !(here && unfinished.pid === process.pid) && holderAlive(unfinished)) {
      const where = here ? '' : ` on ${unfinished.host ?? 'another machine'}`;
      throw new SluiceError('SLUICE_RUN_LOCKED', `run ${unfinished.id} of pipeline '${request.pipeline}' is being run by process ${unfinished.pid}${where}; wait for it to finish, or stop it first`);
    }
    const reason = request.fresh ? 'a fresh run was asked for (--fresh)' : unfinished.specHash !== request.specHash ? 'the spec changed since it was interrupted' : undefined;
    // Take the run over atomically: if another process got there first, this one stops.
    if (!(await store.resumeRun(unfinished.id, process.pid, { status: unfinished.status, pid: unfinished.pid }, hold()))) {
      throw new SluiceError('SLUICE_RUN_LOCKED', `another process took over run ${unfinished.id} of pipeline '${request.pipeline}' just now`);
    }
    if (reason === undefined) {
      const checkpoint = await store.lastCheckpoint(unfinished.id);
      const run = (await store.getRun(unfinished.id)) ?? unfinished;
      logger.info({ runId: run.id, afterBatch: checkpoint?.batch ?? 0, attempt: run.attempts }, 'resuming interrupted run');
      return checkpoint ? { run, checkpoint } : { run };
    }
    await store.finishRun(unfinished.id, { status: 'abandoned', finishedAt: new Date().toISOString(), totals: unfinished.totals, error: `abandoned: ${reason}` });
    abandoned = { runId: unfinished.id, reason };
    logger.warn({ runId: unfinished.id, reason }, 'interrupted run abandoned; starting a new run');
  }
  const id = newRunId();
  await store.createRun({ id, pipeline: request.pipeline, specHash: request.specHash, startedAt: new Date().toISOString(), pid: process.pid, hold: hold() });
  const run = await store.getRun(id);
  if (!run) throw new SluiceError('SLUICE_STATE_STORE', `run ${id} vanished right after it was created`);
  logger.info({ runId: id }, 'run started');
  return abandoned ? { run, abandoned } : { run };
}
