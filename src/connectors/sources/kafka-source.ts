// The `kafka` source: JSON messages of one topic, read in a consumer group whose offsets are committed only
// once a batch is committed in every sink and the checkpoint, so a crash before that has them delivered again.
import { z } from 'zod';
import { maxBatchBytesSchema } from '../batch-bytes.ts';
import { kafkaInsecureOptOuts } from '../kafka/kafka-options.ts';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { SluiceError } from '../../errors.ts';
import { defineSource } from '../../spec/component.ts';
import type { CreateContext } from '../../spec/component.ts';
import type { MalformedRecord, OpenOptions, Source, SourceBatch, SourcePosition, SourceReader } from '../source.ts';
import { checkConnection, describeBrokers, kafkaConnectionShape, topicName } from '../kafka/kafka-options.ts';
import { createKafka } from '../kafka/kafka-client.ts';
import { kafkaFailure } from '../kafka/kafka-failure.ts';
import { decodePosition, encodePosition } from '../kafka/kafka-position.ts';
import { FetchBuffer } from '../kafka/fetch-buffer.ts';
import { CatchUp } from '../kafka/catch-up.ts';
import type { PartitionOffsets } from '../kafka/catch-up.ts';
import { parseMessage } from '../kafka/parse-message.ts';
import { Wakeup } from '../kafka/wakeup.ts';

/**
 * Without follow, how long the source waits without any news from the consumer before it takes itself to be
 * caught up. The usual end is the high watermarks (CatchUp); this is the safety net should they never be reached.
 */
const IDLE_END_MS = 30_000;
/** How long a fetch waits on the broker for new messages: also how long a following source takes to stop. */
const MAX_FETCH_WAIT_MS = 1000;

export const kafkaSourceSpec = z
  .strictObject({
    ...kafkaConnectionShape,
    topic: topicName.describe('The topic to read. Each message value is one record, a JSON object in UTF-8.'),
    groupId: z
      .string()
      .min(1)
      .max(255)
      .describe('The consumer group. Its committed offsets say where the next run goes on; they move only after a batch is committed everywhere.'),
    fromBeginning: z
      .boolean()
      .default(false)
      .describe('Where a group without committed offsets starts: at the oldest retained message (true), or at the messages produced from now on (false, Kafka\'s default).'),
    sessionTimeoutMs: z
      .number()
      .int()
      .min(6000)
      .max(1_800_000)
      .default(30_000)
      .describe('How long the group waits for a consumer that stopped sending heartbeats before it hands its partitions to others (within the brokers\' group.min/max.session.timeout.ms).'),
    onMalformed: z
      .enum(['fail', 'quarantine'])
      .default('quarantine')
      .describe('What a message that is not a JSON object does: go to quarantine while reading goes on (the default: a stream cannot skip it otherwise), or fail the run.'),
    maxBatchBytes: maxBatchBytesSchema,
  })
  .superRefine(checkConnection);

export type KafkaSourceOptions = z.output<typeof kafkaSourceSpec>;

export const kafkaSource = defineSource({
  name: 'kafka',
  summary: 'Reads JSON records from a Kafka topic in a consumer group, committing offsets only after each batch is committed.',
  spec: kafkaSourceSpec,
  insecureOptOuts: kafkaInsecureOptOuts,
  examples: [
    { brokers: ['kafka-1.internal:9093', 'kafka-2.internal:9093'], tls: { ca: 'certs/kafka-ca.pem' }, sasl: { mechanism: 'scram-sha-512', username: 'sluice', password: 'vault://secret/kafka#password' }, topic: 'orders', groupId: 'sluice-orders' },
    { brokers: ['localhost:9092'], topic: 'events', groupId: 'sluice-events', fromBeginning: true, onMalformed: 'fail' },
  ],
  create: (options, context) => new KafkaSource(options, context),
});

class KafkaSource implements Source {
  readonly description: string;
  readonly follows = true;
  readonly #options: KafkaSourceOptions;
  readonly #context: CreateContext;

  constructor(options: KafkaSourceOptions, context: CreateContext) {
    this.#options = options;
    this.#context = context;
    const insecure = options.insecurePlaintext ? ' (INSECURE: plaintext)' : '';
    this.description = `kafka topic ${options.topic} (group ${options.groupId}) at ${describeBrokers(options)}${insecure}`;
  }

  async open(from: SourcePosition | undefined, openOptions?: OpenOptions): Promise<SourceReader> {
    const { topic, groupId } = this.#options;
    const resumeFrom = from === undefined ? new Map<number, bigint>() : decodePosition(from, topic);
    const fail = (error: unknown) => kafkaFailure('SLUICE_SOURCE_FAILED', `cannot read kafka topic ${topic} at ${describeBrokers(this.#options)}`, error, { connection: this.#options, secrets: this.#context.secrets });
    let consumer: Consumer | undefined;
    try {
      const kafka = await createKafka(this.#options, this.#context);
      const partitions = await readOffsets(kafka, topic, groupId);
      const sessionTimeout = this.#options.sessionTimeoutMs;
      // Heartbeats at a tenth of the session timeout, as kafkajs's defaults (3 s of 30 s) do.
      consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: MAX_FETCH_WAIT_MS, sessionTimeout, heartbeatInterval: Math.floor(sessionTimeout / 10) });
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: this.#options.fromBeginning });
      return new KafkaReader(this.#options, consumer, partitions, resumeFrom, openOptions, fail);
    } catch (error) {
      await consumer?.disconnect().catch(() => undefined);
      throw fail(error);
    }
  }
}

/** The topic's partitions with their low and high watermarks and the group's committed offsets. */
async function readOffsets(kafka: Kafka, topic: string, groupId: string): Promise<PartitionOffsets[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const watermarks = await admin.fetchTopicOffsets(topic);
    const [group] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committed = new Map((group?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
    return watermarks.map((w) => ({ partition: w.partition, low: BigInt(w.low), high: BigInt(w.high), committed: committed.get(w.partition) ?? -1n }));
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

class KafkaReader implements SourceReader {
  readonly #topic: string;
  readonly #quarantine: boolean;
  readonly #consumer: Consumer;
  readonly #follow: boolean;
  readonly #signal: AbortSignal | undefined;
  readonly #fail: (error: unknown) => SluiceError;
  readonly #buffer: FetchBuffer;
  readonly #catchUp: CatchUp;
  readonly #wakeup = new Wakeup();
  /** The partitions the group gave this consumer; undefined until it joins (and again while it restarts). */
  #assigned: ReadonlySet<number> | undefined;
  /** Per partition, the offset the group has committed, as far as this reader knows. */
  readonly #groupCommitted = new Map<number, bigint>();
  /** Per partition, the offset below which everything is in a committed checkpoint. */
  readonly #durable: Map<number, bigint>;
  #failure: unknown;
  #started = false;
  #idle = false;
  #bytes = 0;
  readonly #onAbort = () => this.#wakeup.notify();

  constructor(options: KafkaSourceOptions, consumer: Consumer, partitions: readonly PartitionOffsets[], resumeFrom: ReadonlyMap<number, bigint>, open: OpenOptions | undefined, fail: (error: unknown) => SluiceError) {
    this.#topic = options.topic;
    this.#quarantine = options.onMalformed === 'quarantine';
    this.#consumer = consumer;
    this.#follow = open?.follow ?? false;
    this.#signal = open?.signal;
    this.#fail = fail;
    this.#durable = new Map(resumeFrom);
    for (const p of partitions) if (p.committed >= 0n) this.#groupCommitted.set(p.partition, p.committed);
    this.#catchUp = new CatchUp(partitions, options.fromBeginning, resumeFrom);
    this.#buffer = new FetchBuffer({ pause: () => consumer.pause([{ topic: this.#topic }]), resume: () => consumer.resume([{ topic: this.#topic }]) }, resumeFrom, options.maxBatchBytes);
    this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
    const { GROUP_JOIN, CRASH, END_BATCH_PROCESS } = consumer.events;
    consumer.on(GROUP_JOIN, (event) => {
      // Every (re)join starts each partition again at its committed offset: what was buffered comes again.
      this.#buffer.reset();
      this.#assigned = new Set(event.payload.memberAssignment[this.#topic] ?? []);
      this.#wakeup.notify();
    });
    consumer.on(CRASH, (event) => {
      if (event.payload.restart) {
        this.#buffer.reset();
        this.#assigned = undefined;
      } else {
        this.#failure = event.payload.error;
      }
      this.#wakeup.notify();
    });
    // Also sent for fetched batches that held only control records, which never reach eachBatch.
    consumer.on(END_BATCH_PROCESS, (event) => {
      this.#catchUp.fetched(event.payload.partition, BigInt(event.payload.lastOffset) + 1n);
      this.#wakeup.notify();
    });
  }

  async *batches(batchSize: number): AsyncGenerator<SourceBatch, void, undefined> {
    this.#buffer.limit(batchSize);
    this.#start();
    for (;;) {
      if (this.#failure !== undefined) throw this.#fail(this.#failure);
      if (this.#signal?.aborted) return;
      const caughtUp = !this.#follow && (this.#idle || (this.#assigned !== undefined && this.#catchUp.done([...this.#assigned])));
      const waiting = this.#buffer.count;
      if (waiting >= batchSize || (waiting > 0 && (this.#follow || caughtUp))) {
        yield this.#batch(batchSize);
        continue;
      }
      if (caughtUp) return;
      const news = await this.#wakeup.wait(IDLE_END_MS);
      if (!news && this.#assigned !== undefined) this.#idle = true;
    }
  }

  #start(): void {
    if (this.#started) return;
    this.#started = true;
    const run = this.#consumer.run({ autoCommit: false, eachBatchAutoResolve: true, eachBatch: (payload) => this.#onBatch(payload) });
    run.catch((error: unknown) => {
      this.#failure = error;
      this.#wakeup.notify();
    });
  }

  /** kafkajs pushes a fetched batch of one partition; it waits in the buffer until the runtime pulls it. */
  async #onBatch({ batch }: EachBatchPayload): Promise<void> {
    if (batch.topic !== this.#topic) return;
    const dropped = this.#buffer.push(batch.partition, batch.messages);
    this.#catchUp.fetched(batch.partition, BigInt(batch.lastOffset()) + 1n);
    if (dropped > 0) await this.#commitDurable(batch.partition);
    this.#wakeup.notify();
  }

  /**
   * Messages redelivered below a committed checkpoint (the group's commit was lost in a crash right after the
   * checkpoint) are already in every sink: they are dropped, and their offset is committed now, since nothing
   * else would. Best effort: if it fails they are dropped again next time.
   */
  async #commitDurable(partition: number): Promise<void> {
    const durable = this.#durable.get(partition);
    if (durable === undefined || durable <= (this.#groupCommitted.get(partition) ?? -1n)) return;
    try {
      await this.#consumer.commitOffsets([{ topic: this.#topic, partition, offset: durable.toString() }]);
      this.#groupCommitted.set(partition, durable);
    } catch {
      // Left for the next batch's commit, or the next run.
    }
  }

  #batch(batchSize: number): SourceBatch {
    const records: unknown[] = [];
    const refs: string[] = [];
    const malformed: MalformedRecord[] = [];
    for (const message of this.#buffer.take(batchSize)) {
      const ref = `kafka:${this.#topic}/${message.partition}@${message.offset}`;
      this.#bytes += message.value?.length ?? 0;
      const parsed = parseMessage(message.value);
      if ('record' in parsed) {
        records.push(parsed.record);
        refs.push(ref);
      } else if (this.#quarantine) {
        malformed.push({ ref, reason: parsed.reason, ...(parsed.raw !== undefined ? { raw: parsed.raw } : {}) });
      } else {
        throw new SluiceError('SLUICE_INPUT_MALFORMED', `${ref}: ${parsed.reason}. Fix what produces it, or set onMalformed: quarantine to set such messages aside`);
      }
    }
    return { records, refs, malformed, end: encodePosition(this.#topic, this.#buffer.taken) };
  }

  /** Commits, per partition, the offset after the batch's last message: only now may the group move on. */
  async committed(end: SourcePosition): Promise<void> {
    const commits: { topic: string; partition: number; offset: string }[] = [];
    for (const [partition, offset] of decodePosition(end, this.#topic)) {
      if (offset > (this.#durable.get(partition) ?? -1n)) this.#durable.set(partition, offset);
      if (offset <= (this.#groupCommitted.get(partition) ?? -1n)) continue;
      // A partition moved to another member by a rebalance is not committed: that member reads it from the
      // group's offset, and committing ours could move the group back past what it has read.
      if (this.#assigned !== undefined && !this.#assigned.has(partition)) continue;
      commits.push({ topic: this.#topic, partition, offset: offset.toString() });
    }
    if (commits.length === 0) return;
    try {
      await this.#consumer.commitOffsets(commits);
    } catch (error) {
      throw this.#fail(error);
    }
    for (const commit of commits) this.#groupCommitted.set(commit.partition, BigInt(commit.offset));
  }

  progress(): { done: number; total?: number } {
    return { done: this.#bytes };
  }

  /** Leaves the group without committing: whatever was not committed is delivered again. */
  async close(): Promise<void> {
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#wakeup.notify();
    await this.#consumer.disconnect().catch(() => undefined);
  }
}
