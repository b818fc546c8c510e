// A cluster worker: N slots, each pulling one task at a time from the shared consumer, processing it with the
// task runner, committing it in the state store, then acking. While a task runs its slot tells JetStream it is
// still in progress; a worker that dies stops doing so and the task is delivered to another after the ack wait.
// A task that fails its last delivery goes to the dead-letter stream with its (scrubbed) error.
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { JsMsg } from '@nats-io/jetstream';
import { isSluiceError, SluiceError } from '../errors.ts';
import { redactions } from '../secrets/redaction.ts';
import type { Plan } from '../plan/plan.ts';
import type { StateStore, WorkerRecord } from '../store/state-store.ts';
import type { SinkEncryption } from '../connectors/sink.ts';
import type { SecretSource } from '../spec/component.ts';
import { LEASE_RELEASED, runTask } from '../runtime/task-runner.ts';
import { decodeTask } from './task-message.ts';
import type { TaskMessage } from './task-message.ts';
import type { WorkQueue } from './work-queue.ts';

/** How long one pull waits for a task before asking again (and noticing a drain). */
const PULL_EXPIRES_MS = 2_000;
/** The least time between two in-progress signals of one task. */
const WORKING_EVERY_MS = 1_000;
/** How often the worker records its heartbeat in the state store. */
export const HEARTBEAT_MS = 5_000;

/** Counts a worker keeps for its metrics. */
export interface WorkerCounts {
  committed: number;
  /** Tasks another attempt had committed first (a redelivery after a lost ack). */
  duplicates: number;
  failed: number;
  dead: number;
  released: number;
  redeliveries: number;
  invalid: number;
}

export interface WorkerOptions {
  /** The worker's name: its certificate identity, else host:pid. */
  id: string;
  concurrency: number;
  queue: WorkQueue;
  store: StateStore;
  stateDir: string;
  encryption: SinkEncryption;
  secrets: SecretSource;
  /** Plans a spec file; the worker refuses one whose text hash is not the run's. */
  loadPlan: (specPath: string) => Promise<{ plan: Plan; hash: string }>;
  maxDeliver: number;
  ackWaitMs: number;
  logger: Logger;
  /**
   * Where heartbeats go: the coordinator's control plane over mutual TLS (the worker's certificate is its
   * identity there), or, when absent, the state store directly.
   */
  report?: (worker: WorkerRecord) => Promise<void>;
}

export class Worker {
  readonly counts: WorkerCounts = { committed: 0, duplicates: 0, failed: 0, dead: 0, released: 0, redeliveries: 0, invalid: 0 };
  readonly #options: WorkerOptions;
  readonly #drain = new AbortController();
  readonly #plans = new Map<string, { plan: Plan; hash: string }>();
  readonly #startedAt = new Date().toISOString();
  #inFlight = 0;
  #slots: Promise<void>[] = [];
  #heartbeat: NodeJS.Timeout | undefined;
  #ready = false;

  constructor(options: WorkerOptions) {
    this.#options = options;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Ready while it pulls tasks: connected, and not draining. */
  get ready(): boolean {
    return this.#ready && !this.#drain.signal.aborted;
  }

  /** Starts pulling; the first heartbeat must get through (a refused certificate stops the worker here). */
  async start(): Promise<void> {
    const consumer = await this.#options.queue.consumer();
    await this.#report(this.#record('ready'));
    this.#heartbeat = setInterval(() => void this.#beat(this.#drain.signal.aborted ? 'draining' : 'ready'), HEARTBEAT_MS);
    this.#heartbeat.unref();
    this.#ready = true;
    for (let slot = 0; slot < this.#options.concurrency; slot++) {
      this.#slots.push(
        (async () => {
          while (!this.#drain.signal.aborted) {
            let message: JsMsg | null = null;
            try {
              message = await consumer.next({ expires: PULL_EXPIRES_MS });
            } catch (error) {
              this.#options.logger.warn({ err: redactions.scrub(String(error)) }, 'pulling a task failed; trying again');
              await new Promise((resolve) => setTimeout(resolve, 1_000));
            }
            try {
              if (message && !this.#drain.signal.aborted) await this.#handle(message);
              else message?.nak();
            } catch (error) {
              // An ack or nak on a connection that just closed: the ack wait redelivers the task; the slot goes on.
              this.#options.logger.warn({ err: redactions.scrub(String(error)) }, 'answering the queue about a task failed');
            }
          }
        })(),
      );
    }
  }

  /**
   * Stops pulling; a task in flight stops after its batch in flight and is given back (nak) for another worker.
   * Resolves once every slot has stopped.
   */
  async drain(): Promise<void> {
    this.#drain.abort();
    await Promise.all(this.#slots);
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    await this.#beat('stopped');
  }

  #record(state: WorkerRecord['state']): WorkerRecord {
    const { id, concurrency } = this.#options;
    return { id, host: hostname(), pid: process.pid, concurrency, inFlight: this.#inFlight, state, startedAt: this.#startedAt, lastSeenAt: new Date().toISOString() };
  }

  #report(record: WorkerRecord): Promise<void> {
    return this.#options.report ? this.#options.report(record) : this.#options.store.recordWorker(record);
  }

  async #beat(state: WorkerRecord['state']): Promise<void> {
    await this.#report(this.#record(state)).catch((error: unknown) => this.#options.logger.warn({ err: redactions.scrub(String(error)) }, 'recording the heartbeat failed'));
  }

  /** The run's plan, from the spec file the coordinator recorded, refused unless its text is the run's. */
  async #plan(runId: string, specPath: string, specHash: string): Promise<Plan> {
    const key = `${specPath}\n${specHash}`;
    const cached = this.#plans.get(key);
    if (cached) return cached.plan;
    const loaded = await this.#options.loadPlan(specPath);
    if (loaded.hash !== specHash) {
      throw new SluiceError('SLUICE_RESUME_MISMATCH', `the spec ${specPath} changed since run ${runId} started; finish the run with the spec it started with, or start a new run`);
    }
    this.#plans.set(key, loaded);
    return loaded.plan;
  }

  async #handle(message: JsMsg): Promise<void> {
    const { logger, store } = this.#options;
    const deliveries = message.info.deliveryCount;
    if (deliveries > 1) this.counts.redeliveries++;
    let task: TaskMessage;
    try {
      task = decodeTask(message.data);
    } catch (error) {
      this.counts.invalid++;
      const text = (error as Error).message;
      if (deliveries < this.#options.maxDeliver) {
        // Another worker (of the coordinator's version) may read it; past its deliveries it goes to the dead letters.
        logger.error({ code: 'SLUICE_TASK_INVALID', err: text, streamSeq: message.seq, deliveries }, 'a task message could not be read; it is left for another worker');
        message.nak(this.#options.ackWaitMs);
        return;
      }
      logger.error({ code: 'SLUICE_TASK_INVALID', err: text, streamSeq: message.seq, deliveries }, 'a task message could not be read by any worker; dead-lettered');
      this.counts.dead++;
      await this.#options.queue
        .publishDead({ runId: 'unknown', taskId: `seq-${message.seq}`, error: text, deliveries })
        .then(() => message.term('unreadable'))
        .catch((publishError: unknown) => logger.error({ err: redactions.scrub(String(publishError)) }, 'the dead letter could not be published'));
      return;
    }
    const where = { runId: task.runId, task: task.taskId, deliveries };
    /** The attempt whose lease this delivery took, once it has one. */
    let attempt: number | undefined;
    this.#inFlight++;
    try {
      const run = await store.getRun(task.runId);
      if (run?.status !== 'running') {
        logger.warn({ ...where, status: run?.status ?? 'unknown' }, 'the task belongs to a run that is not running any more; dropped');
        message.term('run not running');
        return;
      }
      const now = Date.now();
      const taken = await store.leaseTask(task.runId, task.taskId, this.#options.id, new Date(now + this.#options.ackWaitMs).toISOString(), new Date(now).toISOString());
      if (taken === undefined || taken.task.status !== 'pending') {
        // Committed by an attempt whose ack was lost, or given up: nothing left to do.
        logger.info({ ...where, status: taken?.task.status ?? 'unknown' }, 'the task needs no more work');
        message.term('task not pending');
        return;
      }
      if (!taken.leased) {
        // Another attempt holds a live lease: this is a second message for the task (a resumed run published it
        // again). Its holder's own message stays; this one goes.
        logger.info({ ...where, holder: taken.task.worker }, 'the task is being worked on elsewhere; this duplicate delivery is dropped');
        message.term('duplicate');
        return;
      }
      const lease = taken.task;
      attempt = lease.attempts;
      if (lease.specPath === undefined) throw new SluiceError('SLUICE_TASK_INVALID', `task ${task.taskId} of run ${task.runId} has no spec file recorded; start the run again with this version's coordinator`);
      // In-progress signals while the task makes progress: on a timer (a slow open or batch is not silence), and
      // only while batches keep coming (a stuck attempt goes silent and the task goes to another worker).
      let progressed = Date.now();
      const keepAlive = setInterval(() => {
        if (Date.now() - progressed < this.#options.ackWaitMs) message.working();
      }, Math.max(WORKING_EVERY_MS, Math.floor(this.#options.ackWaitMs / 3)));
      let result;
      try {
        result = await runTask({
          plan: await this.#plan(task.runId, lease.specPath, run.specHash),
          store,
          stateDir: this.#options.stateDir,
          encryption: this.#options.encryption,
          // The range as the coordinator recorded it, never as a message says.
          task: { runId: task.runId, id: task.taskId, ...(lease.from ? { from: lease.from } : {}), ...(lease.until ? { until: lease.until } : {}) },
          attempt: lease.attempts,
          leaseMs: this.#options.ackWaitMs,
          worker: this.#options.id,
          logger,
          secrets: this.#options.secrets,
          signal: this.#drain.signal,
          onBatch: () => {
            progressed = Date.now();
          },
        });
      } finally {
        clearInterval(keepAlive);
      }
      await message.ackAck().catch((error: unknown) => logger.warn({ ...where, err: String(error) }, 'the ack was lost; a redelivery will find the task committed'));
      if (result.committed) this.counts.committed++;
      else this.counts.duplicates++;
    } catch (error) {
      // The lease goes with the attempt, so that the next delivery (this message again, or a new one) can take it.
      if (attempt !== undefined && !isSluiceError(error, 'SLUICE_TASK_SUPERSEDED')) await store.renewLease(task.runId, task.taskId, attempt, LEASE_RELEASED).catch(() => undefined);
      await this.#failed(message, task, error);
    } finally {
      this.#inFlight--;
    }
  }

  async #failed(message: JsMsg, task: TaskMessage, error: unknown): Promise<void> {
    const { logger, store, queue, maxDeliver } = this.#options;
    const deliveries = message.info.deliveryCount;
    const where = { runId: task.runId, task: task.taskId, deliveries };
    if (isSluiceError(error, 'SLUICE_TASK_RELEASED')) {
      this.counts.released++;
      logger.info(where, 'task released for another worker (draining)');
      // Published anew before this delivery is ended: a drain spends none of the task's deliveries.
      await queue.publish({ runId: task.runId, taskId: task.taskId }, `released-${message.seq}-${deliveries}`).then(
        () => message.term('released'),
        () => message.nak(),
      );
      return;
    }
    if (isSluiceError(error, 'SLUICE_TASK_SUPERSEDED')) {
      // The other delivery has the task now; this one just stops (its ack or nak would be about a stale delivery).
      logger.warn({ ...where, code: error.code }, error.message);
      return;
    }
    const text = redactions.scrub(error instanceof Error ? error.message : String(error));
    const code = isSluiceError(error) ? error.code : undefined;
    if (deliveries < maxDeliver) {
      this.counts.failed++;
      // Back off: 1 s, 2 s, 4 s… capped by the ack wait, so a fault that clears (a restarted database) is ridden out.
      const delay = Math.min(1000 * 2 ** (deliveries - 1), this.#options.ackWaitMs);
      logger.warn({ ...where, code, err: text, retryInMs: delay }, 'task failed; it will be delivered again');
      message.nak(delay);
      return;
    }
    this.counts.dead++;
    logger.error({ ...where, code, err: text }, 'task failed its last delivery; it goes to the dead-letter stream and its run fails');
    try {
      await store.failTask(task.runId, task.taskId, `${code ?? 'error'}: ${text} (after ${deliveries} deliveries)`);
      await queue.publishDead({ runId: task.runId, taskId: task.taskId, error: text, deliveries });
      message.term('dead letter');
    } catch (recordError) {
      // Not recorded: leave it to the ack wait; the coordinator's advisory watch gives it up.
      logger.error({ ...where, err: redactions.scrub(String(recordError)) }, 'the dead letter could not be recorded');
    }
  }
}
