// The threads of a run split over threads in one process (`sluice run --threads N`): the coordinator publishes
// the run's tasks here as it would on JetStream, and each thread asks for the next one when it is free. The
// threads reach the state store, the key provider and the secrets through calls answered here, so there is one
// SQLite connection, one HSM session and one secret cache, as in a run on one thread.
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import type { Logger } from 'pino';
import { SluiceError } from '../../errors.ts';
import type { ErrorCode } from '../../errors.ts';
import { redactions } from '../../secrets/redaction.ts';
import type { StateStore } from '../../store/state-store.ts';
import type { TaskQueue } from '../../cluster/coordinator.ts';
import type { TaskMessage } from '../../cluster/task-message.ts';
import { answerCall } from './thread-calls.ts';
import type { CallMessage, CallTargets } from './thread-calls.ts';
import type { PipelineThreadData, ThreadEvent } from './pipeline-thread-data.ts';
import { runLeasedTask } from './task-slot.ts';
import type { SlotContext } from './task-slot.ts';

type Task = Omit<TaskMessage, 'v'>;

export interface ThreadPoolOptions {
  /** Pipeline threads to start. */
  threads: number;
  /**
   * A slot on the main thread as well, with the run's own store, keys and secrets: it saves a thread's start (its
   * own copy of the modules, compiled again) and its heap, and the main thread has little else to do.
   */
  local?: Omit<SlotContext, 'signal'>;
  /** What every thread is told (its name is added per thread). */
  data: Omit<PipelineThreadData, 'name'>;
  /** The objects the threads call: the state store, the key provider, the secrets. */
  targets: CallTargets;
  /** Where a stopped thread's task is recorded dead. */
  store: StateStore;
  logger: Logger;
}

interface PoolThread {
  name: string;
  worker: Worker;
  /** The task it was last given: the one it works on until it asks again. */
  task?: Task;
  exited: Promise<void>;
}

/** Re-emits a thread's log line through the run's logger, marked with the thread's name. */
function relayLog(logger: Logger, line: string): void {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return;
  }
  const { level, msg, time: _time, pid: _pid, hostname: _host, ...fields } = entry;
  const label = typeof level === 'number' ? logger.levels.labels[level] : undefined;
  const log = label !== undefined ? (logger as unknown as Record<string, unknown>)[label] : undefined;
  if (typeof log === 'function') (log as (obj: object, msg?: string) => void).call(logger, fields, typeof msg === 'string' ? msg : undefined);
}

export class PipelineThreadPool implements TaskQueue {
  readonly #options: ThreadPoolOptions;
  readonly #threads: PoolThread[] = [];
  readonly #queued: Task[] = [];
  readonly #waiting: ((task: Task | undefined) => void)[] = [];
  readonly #localDrain = new AbortController();
  /** The main thread's slot while it runs. */
  #local: Promise<void> | undefined;
  #localRunning = false;
  #closed = false;

  private constructor(options: ThreadPoolOptions) {
    this.#options = options;
  }

  /** Starts the threads; resolves once each has planned the spec (a thread that cannot start fails the run here). */
  static async start(options: ThreadPoolOptions): Promise<PipelineThreadPool> {
    const pool = new PipelineThreadPool(options);
    const ready = Array.from({ length: options.threads }, (_, index) => pool.#spawn(`thread-${index + 1}`));
    const started = await Promise.allSettled(ready);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) {
      await pool.close(0);
      throw failed.reason;
    }
    if (options.local) pool.#local = pool.#runLocal(options.local);
    return pool;
  }

  /** The main thread's slot: takes tasks as a thread does, until the pool has none left. */
  async #runLocal(slot: Omit<SlotContext, 'signal'>): Promise<void> {
    const context = { ...slot, signal: this.#localDrain.signal };
    this.#localRunning = true;
    let task: Task | undefined;
    try {
      while ((task = await this.#next()) !== undefined) await runLeasedTask(task, context);
    } catch (error) {
      // Only recording the task's failure can throw here: the store itself failed.
      this.#localRunning = false;
      await this.#stopped('the main thread\'s slot', task, redactions.scrub(error instanceof Error ? error.message : String(error)));
    } finally {
      this.#localRunning = false;
    }
  }

  /** Whether any slot is left to run tasks. */
  get #running(): boolean {
    return this.#threads.length > 0 || this.#localRunning;
  }

  #spawn(name: string): Promise<void> {
    const options = this.#options;
    const data: PipelineThreadData = { ...options.data, name };
    const worker = new Worker(new URL('./pipeline-thread.mjs', import.meta.url), { workerData: data });
    const thread: PoolThread = { name, worker, exited: Promise.resolve() };
    let readyResolve: () => void = () => undefined;
    let readyReject: (error: Error) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      readyResolve = resolve;
      readyReject = reject;
    });
    let failure: string | undefined;
    /** The code of the error that stopped the thread: a spec that changed is SLUICE_RESUME_MISMATCH, not a thread fault. */
    let failureCode: ErrorCode = 'SLUICE_THREAD';
    worker.on('message', (message: CallMessage | ThreadEvent) => {
      if (message.kind === 'call') {
        if (message.target === 'pool' && message.method === 'next') {
          thread.task = undefined;
          void this.#next().then((task) => {
            // A thread that stopped while it waited cannot take it: the task goes to another (or is given up).
            if (task && !this.#threads.includes(thread)) return void this.publish(task).catch((error: unknown) => this.#options.logger.error({ task: task.taskId, err: redactions.scrub(String(error)) }, 'a task could not be offered again'));
            if (task) thread.task = task;
            worker.postMessage({ kind: 'reply', id: message.id, value: task });
          });
          return;
        }
        void answerCall(options.targets, message).then((reply) => {
          try {
            worker.postMessage(reply);
          } catch (error) {
            // A value that cannot cross to a thread (a function, a class instance): the call fails, the run goes on.
            const text = `${message.target}.${message.method} answered with a value that cannot be sent to a thread (${error instanceof Error ? error.name : 'error'})`;
            worker.postMessage({ kind: 'reply', id: message.id, error: { code: 'SLUICE_THREAD', retryable: false, message: text } });
          }
        });
      } else if (message.kind === 'log') {
        relayLog(options.logger, message.line);
      } else if (message.kind === 'ready') {
        readyResolve();
      } else if (message.kind === 'failed') {
        failure = message.error;
        if (message.code !== undefined) failureCode = message.code as ErrorCode;
      }
    });
    worker.on('error', (error) => {
      failure ??= redactions.scrub(error.message);
    });
    thread.exited = once(worker, 'exit').then(async ([code]) => {
      const at = this.#threads.indexOf(thread);
      if (at >= 0) this.#threads.splice(at, 1);
      const why = failure ?? (code === 0 ? undefined : `it exited with code ${String(code)}`);
      readyReject(new SluiceError(failureCode, `pipeline ${name} could not start: ${why ?? 'it stopped before it was ready'}`));
      if (why !== undefined) await this.#stopped(`pipeline ${thread.name}`, thread.task, why);
    });
    this.#threads.push(thread);
    return ready;
  }

  /** A slot stopped on an error: its task is given up (the run fails and can be run again), and if no slot is left, every task. */
  async #stopped(slot: string, task: Task | undefined, why: string): Promise<void> {
    const { store, logger } = this.#options;
    logger.error({ slot, err: why }, 'a slot of the run stopped');
    const lost = [...(task ? [task] : []), ...(this.#running ? [] : this.#queued.splice(0))];
    for (const task of lost) {
      await store.failTask(task.runId, task.taskId, `SLUICE_THREAD: ${slot} stopped while it ran this task: ${why}`).catch((error: unknown) => logger.error({ task: task.taskId, err: redactions.scrub(String(error)) }, 'a task could not be recorded dead'));
    }
  }

  /** The next task for a free thread; undefined once the pool is closed. */
  #next(): Promise<Task | undefined> {
    const task = this.#queued.shift();
    if (task || this.#closed) return Promise.resolve(task);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  async publish(task: Task): Promise<void> {
    // Stopping: the task stays pending for the next run.
    if (this.#closed) return;
    if (!this.#running) {
      await this.#options.store.failTask(task.runId, task.taskId, 'SLUICE_THREAD: no thread is left to run it');
      return;
    }
    const waiting = this.#waiting.shift();
    if (waiting) waiting(task);
    else this.#queued.push(task);
  }

  /** Each thread stops after its batch in flight and gives its task back (the run can be run again to finish). */
  drain(): void {
    this.#closed = true;
    this.#queued.length = 0;
    for (const resolve of this.#waiting.splice(0)) resolve(undefined);
    this.#localDrain.abort();
    for (const thread of this.#threads) thread.worker.postMessage({ kind: 'drain' });
  }

  /**
   * No more tasks: each slot finishes the one it has and stops; resolves once all have. A thread still running
   * `graceMs` later (stuck in I/O) is terminated, so that it cannot keep the process alive: its task stays pending.
   */
  async close(graceMs: number): Promise<void> {
    this.#closed = true;
    for (const resolve of this.#waiting.splice(0)) resolve(undefined);
    const stopped = Promise.all([...this.#threads.map((thread) => thread.exited), this.#local]);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
    try {
      if ((await Promise.race([stopped, late])) !== 'late') return;
      for (const thread of this.#threads) {
        this.#options.logger.warn({ thread: thread.name, graceMs }, 'a pipeline thread did not stop in time; terminated');
        await thread.worker.terminate();
      }
      await stopped;
    } finally {
      clearTimeout(timer);
    }
  }
}
