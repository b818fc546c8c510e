// Decides which run this invocation continues: the interrupted one (resume after its last committed batch) or
// a new one. A run resumes only under the spec text it started with.
import type { Logger } from 'pino';
import { SluiceError } from '../errors.ts';
import type { Checkpoint, RunRecord, StateStore } from '../store/state-store.ts';
import { newRunId } from './run-id.ts';

export interface ClaimedRun {
  run: RunRecord;
  checkpoint?: Checkpoint;
  /** The interrupted run this one replaced instead of resuming, and why. */
  abandoned?: { runId: string; reason: string };
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
    if (unfinished.status === 'running' && unfinished.pid !== process.pid && isAlive(unfinished.pid)) {
      throw new SluiceError('SLUICE_RUN_LOCKED', `run ${unfinished.id} of pipeline '${request.pipeline}' is being run by process ${unfinished.pid}; wait for it to finish, or stop it first`);
    }
    const reason = request.fresh ? 'a fresh run was asked for (--fresh)' : unfinished.specHash !== request.specHash ? 'the spec changed since it was interrupted' : undefined;
    // Take the run over atomically: if another process got there first, this one stops.
    if (!(await store.resumeRun(unfinished.id, process.pid, { status: unfinished.status, pid: unfinished.pid }))) {
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
  await store.createRun({ id, pipeline: request.pipeline, specHash: request.specHash, startedAt: new Date().toISOString(), pid: process.pid });
  const run = await store.getRun(id);
  if (!run) throw new SluiceError('SLUICE_STATE_STORE', `run ${id} vanished right after it was created`);
  logger.info({ runId: id }, 'run started');
  return abandoned ? { run, abandoned } : { run };
}
