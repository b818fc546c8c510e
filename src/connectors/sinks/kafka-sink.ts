// The `kafka` sink: each record as a JSON message on a topic, acknowledged by all in-sync replicas. Kafka keeps
// no message ids across producer sessions, so a replayed batch is written again: the guarantee is at-least-once,
// and every message carries a deterministic `sluice-msg-id` header (hashed from pipeline, run, sink and the
// record's source ref; see record-id.ts) to de-duplicate on.
import { z } from 'zod';
import { kafkaInsecureOptOuts } from '../kafka/kafka-options.ts';
import { Partitioners } from 'kafkajs';
import type { Message, Producer, ProducerConfig } from 'kafkajs';
import { SluiceError } from '../../errors.ts';
import { defineSink } from '../../spec/component.ts';
import type { CreateContext } from '../../spec/component.ts';
import { recordMessageId } from '../record-id.ts';
import { RecordSink } from '../sink.ts';
import type { RecordBatch, SinkRunInfo, SinkSettings } from '../sink.ts';
import type { DataRecord } from '../../runtime/record.ts';
import { checkConnection, describeBrokers, kafkaConnectionShape, topicName } from '../kafka/kafka-options.ts';
import { createKafka } from '../kafka/kafka-client.ts';
import { kafkaFailure } from '../kafka/kafka-failure.ts';

/** The header that names each message the same way every time its batch is written. */
export const MESSAGE_ID_HEADER = 'sluice-msg-id';

/**
 * The most bytes sent in one produce request. kafkajs does not split a send, and a broker refuses a record
 * batch over its message.max.bytes (1 MiB by default), so a large batch goes in several requests.
 */
const MAX_REQUEST_BYTES = 512 * 1024;
/** What a message costs besides its key, value and headers (record framing, roughly): errs on the safe side. */
const MESSAGE_OVERHEAD_BYTES = 64;

export const kafkaSinkSpec = z
  .strictObject({
    ...kafkaConnectionShape,
    topic: topicName.describe('The topic to write. Each record becomes one message whose value is the record as a JSON object.'),
    key: z
      .string()
      .min(1)
      .optional()
      .describe('A field whose value becomes the message key, so records with the same value land on the same partition, in order. It must be one of the fields that reach the sink. Without it, messages have no key.'),
    idempotent: z
      .boolean()
      .default(true)
      .describe('Use the idempotent producer (one request in flight per broker), so the client\'s own retries never write a message twice. Needs the IdempotentWrite permission on old brokers.'),
    autoCreateTopic: z
      .boolean()
      .default(false)
      .describe('Let the brokers create a missing topic on the first write (if their auto.create.topics.enable allows). Off by default, so a misspelt topic fails the run instead of filling a topic nobody reads.'),
  })
  .superRefine(checkConnection);

export type KafkaSinkOptions = z.output<typeof kafkaSinkSpec>;

export const kafkaSink = defineSink({
  name: 'kafka',
  summary: 'Writes each record as a JSON message to a Kafka topic (at-least-once, with a sluice-msg-id header to de-duplicate on).',
  holds: 'records',
  spec: kafkaSinkSpec,
  insecureOptOuts: kafkaInsecureOptOuts,
  examples: [
    { brokers: ['kafka-1.internal:9093'], tls: { ca: 'certs/kafka-ca.pem' }, sasl: { mechanism: 'scram-sha-256', username: 'sluice', password: 'env://KAFKA_PASSWORD' }, topic: 'customers-clean', key: 'customer_id' },
    { brokers: ['localhost:9092'], topic: 'events-out', autoCreateTopic: true },
  ],
  create: (options, settings, context) => new KafkaSink(options, settings, context),
  target: (options) => `kafka://${[...options.brokers].map((b) => b.toLowerCase()).sort().join(',')}/${options.topic}`,
});

/** The producer settings: the idempotent producer needs one request in flight, or a retry could reorder. */
export function producerConfig(options: Pick<KafkaSinkOptions, 'idempotent' | 'autoCreateTopic'>): ProducerConfig {
  return {
    idempotent: options.idempotent,
    ...(options.idempotent ? { maxInFlightRequests: 1 } : {}),
    allowAutoTopicCreation: options.autoCreateTopic,
    createPartitioner: Partitioners.DefaultPartitioner,
  };
}

/** A message key from a field's value: text as is, other scalars as text, objects as JSON, nothing for null. */
function keyOf(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/** The bytes a message takes in a produce request, give or take the framing. */
function messageBytes(key: string | null, value: string, id: string): number {
  return MESSAGE_OVERHEAD_BYTES + Buffer.byteLength(value) + (key === null ? 0 : Buffer.byteLength(key)) + MESSAGE_ID_HEADER.length + Buffer.byteLength(id);
}

/** The messages in runs that each fit in one produce request (a message too big on its own goes alone). */
function* requests(messages: readonly { message: Message; bytes: number }[]): Generator<Message[]> {
  let run: Message[] = [];
  let total = 0;
  for (const { message, bytes } of messages) {
    if (run.length > 0 && total + bytes > MAX_REQUEST_BYTES) {
      yield run;
      run = [];
      total = 0;
    }
    run.push(message);
    total += bytes;
  }
  if (run.length > 0) yield run;
}

class KafkaSink extends RecordSink {
  readonly #options: KafkaSinkOptions;
  readonly #context: CreateContext;
  #producer: Producer | undefined;

  constructor(options: KafkaSinkOptions, settings: SinkSettings, context: CreateContext) {
    super(settings);
    if (options.key !== undefined && !settings.fields.includes(options.key)) {
      const message = `sink '${settings.name}': the key field '${options.key}' does not reach this sink; add it to the sink's fields, or key by a field that does`;
      throw new SluiceError('SLUICE_SPEC_INVALID', message);
    }
    this.#options = options;
    this.#context = context;
  }

  #failure(what: string, error: unknown): SluiceError {
    return kafkaFailure('SLUICE_SINK_WRITE_FAILED', what, error, { connection: this.#options, secrets: this.#context.secrets });
  }

  protected async _open(_run: SinkRunInfo): Promise<void> {
    let producer: Producer | undefined;
    try {
      const kafka = await createKafka(this.#options, this.#context);
      producer = kafka.producer(producerConfig(this.#options));
      await producer.connect();
      this.#producer = producer;
    } catch (error) {
      await producer?.disconnect().catch(() => undefined);
      throw this.#failure(`sink '${this.settings.name}' could not connect to ${this.describe()}`, error);
    }
  }

  protected async _write(batch: RecordBatch): Promise<void> {
    const producer = this.#producer;
    if (!producer) throw new SluiceError('SLUICE_SINK_WRITE_FAILED', `sink '${this.settings.name}' was written before it was opened`);
    const key = this.#options.key;
    const messages = batch.records.map((record: DataRecord, i) => {
      const messageKey = key === undefined ? null : keyOf(record[key]);
      const value = JSON.stringify(record);
      const id = recordMessageId(batch.run, this.settings.name, batch.refs[i] ?? `batch:${batch.batch}#${i + 1}`);
      return { message: { key: messageKey, value, headers: { [MESSAGE_ID_HEADER]: id } }, bytes: messageBytes(messageKey, value, id) };
    });
    try {
      // In order, one request after another: a message never overtakes an earlier one with the same key.
      for (const request of requests(messages)) await producer.send({ topic: this.#options.topic, acks: -1, messages: request });
    } catch (error) {
      throw this.#failure(`sink '${this.settings.name}' could not write batch ${batch.batch} to ${this.describe()}`, error);
    }
  }

  protected override async _close(): Promise<void> {
    await this.#producer?.disconnect().catch(() => undefined);
    this.#producer = undefined;
  }

  describe(): string {
    const insecure = this.#options.insecurePlaintext ? ' (INSECURE: plaintext)' : '';
    return `kafka topic ${this.#options.topic} at ${describeBrokers(this.#options)}${insecure}`;
  }
}
