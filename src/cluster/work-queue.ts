// The JetStream side of cluster mode: a work-queue stream of tasks (each message removed once a worker acks
// it), a durable pull consumer every worker shares, and a dead-letter stream for tasks that failed their last
// delivery. Messages carry ids (run/task), so a coordinator that publishes a run's tasks again inside the
// stream's duplicate window adds nothing.
import { AckPolicy, DeliverPolicy, JetStreamApiCodes, JetStreamApiError, RetentionPolicy, StorageType, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { Consumer, JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { SluiceError } from '../errors.ts';
import type { ClusterSettings } from './cluster-settings.ts';
import { ackWaitMs } from './cluster-settings.ts';
import { encodeTask } from './task-message.ts';
import type { TaskMessage } from './task-message.ts';

/** The durable consumer the workers share. */
export const WORKERS_CONSUMER = 'sluice-workers';
/** How long dead letters are kept (they carry errors, never record values): long enough to act on them. */
const DEAD_LETTER_DAYS = 30;
/** How long the streams remember message ids. */
const DUPLICATE_WINDOW_MS = 10 * 60_000;

export interface QueueNames {
  stream: string;
  dead: string;
  /** Tasks are published on `<prefix>.<pipeline digest>`, dead letters on `<dead prefix>.<run>`. */
  subjects: string;
  deadSubjects: string;
}

export function queueNames(settings: ClusterSettings): QueueNames {
  const prefix = `sluice.${settings.stream.toLowerCase()}`;
  return { stream: settings.stream, dead: `${settings.stream}_DEAD`, subjects: `${prefix}.tasks`, deadSubjects: `${prefix}.dead` };
}

/** A dead letter: the task and why it was given up. */
export interface DeadLetter {
  runId: string;
  taskId: string;
  error: string;
  deliveries: number;
}

export class WorkQueue {
  readonly names: QueueNames;
  readonly #connection: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #settings: ClusterSettings;

  private constructor(connection: NatsConnection, jsm: JetStreamManager, settings: ClusterSettings) {
    this.#connection = connection;
    this.#jsm = jsm;
    this.#js = jetstream(connection);
    this.#settings = settings;
    this.names = queueNames(settings);
  }

  /** Opens the queue on a connection, creating the streams and the consumer when they are missing. */
  static async open(connection: NatsConnection, settings: ClusterSettings): Promise<WorkQueue> {
    let jsm: JetStreamManager;
    try {
      jsm = await jetstreamManager(connection);
    } catch (error) {
      throw new SluiceError('SLUICE_CLUSTER', 'the NATS server has no JetStream enabled (start nats-server with -js); the work queue needs it', { cause: error });
    }
    const queue = new WorkQueue(connection, jsm, settings);
    await queue.#ensure();
    return queue;
  }

  async #ensure(): Promise<void> {
    const { stream, dead, subjects, deadSubjects } = this.names;
    await this.#ensureStream({ name: stream, subjects: [subjects], retention: RetentionPolicy.Workqueue });
    await this.#ensureStream({ name: dead, subjects: [deadSubjects], retention: RetentionPolicy.Limits, maxAgeMs: DEAD_LETTER_DAYS * 24 * 3600_000 });
    const config = { ack_wait: nanos(ackWaitMs(this.#settings)), max_deliver: this.#settings.maxDeliver };
    try {
      const info = await this.#jsm.consumers.info(stream, WORKERS_CONSUMER);
      if (info.config.ack_wait !== config.ack_wait || info.config.max_deliver !== config.max_deliver) await this.#jsm.consumers.update(stream, WORKERS_CONSUMER, config);
    } catch (error) {
      if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound)) throw error;
      await this.#jsm.consumers.add(stream, { durable_name: WORKERS_CONSUMER, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, max_ack_pending: 10_000, ...config });
    }
  }

  async #ensureStream({ maxAgeMs, ...config }: { name: string; subjects: string[]; retention: RetentionPolicy; maxAgeMs?: number }): Promise<void> {
    try {
      const info = await this.#jsm.streams.info(config.name);
      if (info.config.retention !== config.retention) {
        throw new SluiceError('SLUICE_CLUSTER', `stream '${config.name}' exists with ${info.config.retention} retention, not ${config.retention}; give cluster.stream another name or remove that stream`);
      }
    } catch (error) {
      if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)) throw error;
      await this.#jsm.streams.add({ ...config, storage: StorageType.File, duplicate_window: nanos(DUPLICATE_WINDOW_MS), ...(maxAgeMs !== undefined ? { max_age: nanos(maxAgeMs) } : {}) });
    }
  }

  /**
   * Publishes a task under the message id `<run>/<task>/<generation>`: the same id again within the duplicate
   * window is dropped by the server. A resumed run (the run's next attempt) or a released task publishes anew
   * under another generation; should an earlier message still be queued, the task is delivered twice, and the
   * lease fences the attempts (only the latest commits, and the older stops at its next batch).
   */
  async publish(task: Omit<TaskMessage, 'v'>, generation: string): Promise<void> {
    await this.#js.publish(this.names.subjects, encodeTask(task), { msgID: `${task.runId}/${task.taskId}/${generation}` });
  }

  /** Records a task given up, with its error, on the dead-letter stream. */
  async publishDead(letter: DeadLetter): Promise<void> {
    // No message id: a task may die again in a resumed run, and each death is a letter of its own.
    await this.#js.publish(this.names.deadSubjects, new TextEncoder().encode(JSON.stringify(letter)));
  }

  async consumer(): Promise<Consumer> {
    return this.#js.consumers.get(this.names.stream, WORKERS_CONSUMER);
  }

  /** Tasks waiting or in progress, and dead letters so far: the gauges of the queue. */
  async depth(): Promise<{ waiting: number; inProgress: number; redelivered: number; dead: number }> {
    const info = await this.#jsm.consumers.info(this.names.stream, WORKERS_CONSUMER);
    const dead = await this.#jsm.streams.info(this.names.dead);
    return { waiting: info.num_pending, inProgress: info.num_ack_pending, redelivered: info.num_redelivered, dead: dead.state.messages };
  }

  /** The advisories JetStream publishes when a task used up its deliveries (its worker died on the last one). */
  maxDeliveriesAdvisories(stop: AbortSignal): AsyncIterable<{ streamSeq: number; deliveries: number }> {
    const subject = `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${this.names.stream}.${WORKERS_CONSUMER}`;
    const subscription = this.#connection.subscribe(subject);
    stop.addEventListener('abort', () => subscription.unsubscribe(), { once: true });
    return (async function* () {
      for await (const message of subscription) {
        const advisory = message.json<{ stream_seq?: number; deliveries?: number }>();
        if (typeof advisory.stream_seq === 'number') yield { streamSeq: advisory.stream_seq, deliveries: advisory.deliveries ?? 0 };
      }
    })();
  }

  /** The task message at a stream sequence, if it is still there (it stays after its deliveries ran out). */
  async taskAt(streamSeq: number): Promise<Uint8Array | undefined> {
    const message = await this.#jsm.streams.getMessage(this.names.stream, { seq: streamSeq }).catch(() => null);
    return message?.data;
  }

  /** Removes a task message the queue gave up on (a work-queue stream keeps it otherwise). */
  async removeTask(streamSeq: number): Promise<void> {
    await this.#jsm.streams.deleteMessage(this.names.stream, streamSeq).catch(() => undefined);
  }
}
