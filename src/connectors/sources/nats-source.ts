// The `nats` source: JSON messages from a JetStream stream, read through a durable pull consumer and
// acknowledged only once the batch holding them is committed, so a crash or a failed run loses nothing.
import { z } from 'zod';
import { maxBatchBytesSchema } from '../batch-bytes.ts';
import { decodeSequences } from '../nats/sequence-ranges.ts';
import { natsInsecureOptOuts } from '../nats/connection-options.ts';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { defineSource } from '../../spec/component.ts';
import type { CreateContext } from '../../spec/component.ts';
import { durationSchema, parseDuration } from '../../spec/duration.ts';
import type { OpenOptions, Source, SourcePosition, SourceReader } from '../source.ts';
import { checkNatsConnection, credentialReferences, natsConnectionShape, serversLabel } from '../nats/connection-options.ts';
import { closeNats, connectNats } from '../nats/connect.ts';
import { consumerNameSchema, streamNameSchema, subjectFilterSchema } from '../nats/names.ts';
import { ensureDurableConsumer } from '../nats/durable-consumer.ts';
import { natsFailure } from '../nats/nats-errors.ts';
import { PullReader } from '../nats/pull-reader.ts';

/** The longest ack wait: past it a stuck run holds messages from every other reader for too long. */
const MAX_ACK_WAIT_MS = 12 * 3_600_000;

const natsSourceSpec = z
  .strictObject({
    ...natsConnectionShape,
    stream: streamNameSchema,
    subject: subjectFilterSchema.optional().describe('Read only messages whose subject matches this filter (orders.*.created, orders.>); by default every message of the stream.'),
    durable: consumerNameSchema.describe(
      'The durable consumer to read through, created if missing. Acknowledgements belong to it, so a restarted run continues where the last committed batch ended. Give each pipeline its own.',
    ),
    deliver: z
      .enum(['all', 'new'])
      .default('all')
      .describe('Where a NEW consumer starts: every message the stream holds (all) or only those published from then on (new). An existing consumer continues where it is.'),
    ackWait: durationSchema
      .default('30s')
      .refine((text) => (parseDuration(text) ?? 0) <= MAX_ACK_WAIT_MS, 'at most 12h')
      .describe('How long the server waits for an acknowledgement before it delivers a message again, e.g. 30s. Held messages are kept alive while their batch commits, so this bounds only how soon a crashed run\'s messages come back.'),
    maxWait: durationSchema
      .default('1s')
      .refine((text) => (parseDuration(text) ?? 0) <= 60_000, 'at most 60s')
      .describe('How long one pull waits for messages (1s or more): a following run yields a short batch after it rather than wait for a full one.'),
    maxAckPending: z
      .number()
      .int()
      .min(1)
      .max(10_000_000)
      .default(100_000)
      .describe('The most messages the consumer has delivered and not yet seen acknowledged, across all its readers. Keep it above two batches (runtime.batchSize), or batches are cut short.'),
    maxBatchBytes: maxBatchBytesSchema,
  })
  .superRefine((options, context) => checkNatsConnection(options, (path, message) => context.addIssue({ code: 'custom', path, message })))
  .describe('Reads JSON messages from a NATS JetStream stream through a durable consumer; acknowledges each batch only after it is committed.');

type NatsSourceOptions = z.output<typeof natsSourceSpec>;

class NatsSource implements Source {
  readonly description: string;
  readonly follows = true;
  readonly #options: NatsSourceOptions;
  readonly #context: CreateContext;

  constructor(options: NatsSourceOptions, context: CreateContext) {
    this.#options = options;
    this.#context = context;
    this.description = `nats stream ${options.stream} (consumer ${options.durable}) at ${serversLabel(options)}`;
  }

  /**
   * Opens the durable consumer. The consumer's acknowledgements are the position (the runtime acknowledges only
   * committed batches); `from` adds the sequences of the last committed batch, whose acknowledgements a crash
   * may have lost, so that their redeliveries are acknowledged and not read twice.
   */
  async open(from: SourcePosition | undefined, options?: OpenOptions): Promise<SourceReader> {
    const spec = this.#options;
    const servers = serversLabel(spec);
    const credentials = credentialReferences(spec);
    const connection: NatsConnection = await connectNats(spec, this.#context, 'SLUICE_SOURCE_FAILED');
    const ackWaitMs = parseDuration(spec.ackWait) ?? 30_000;
    try {
      const manager = await jetstreamManager(connection);
      await ensureDurableConsumer(manager, {
        stream: spec.stream,
        durable: spec.durable,
        subject: spec.subject,
        deliver: spec.deliver,
        ackWaitMs,
        maxAckPending: spec.maxAckPending,
        servers,
      });
      const consumer = await jetstream(connection).consumers.get(spec.stream, spec.durable);
      return new PullReader(connection, consumer, {
        stream: spec.stream,
        durable: spec.durable,
        servers,
        follow: options?.follow ?? false,
        signal: options?.signal,
        maxWaitMs: parseDuration(spec.maxWait) ?? 1000,
        ackWaitMs,
        maxAckPending: spec.maxAckPending,
        maxBatchBytes: spec.maxBatchBytes,
        credentials,
        committedBefore: from?.stream === spec.stream && typeof from.committed === 'string' ? (decodeSequences(from.committed, MAX_COMMITTED_SEQUENCES) ?? []) : [],
      });
    } catch (error) {
      await closeNats(connection);
      throw natsFailure(error, { code: 'SLUICE_SOURCE_FAILED', action: `open consumer '${spec.durable}' of stream '${spec.stream}' at ${servers}`, credentials }).error;
    }
  }
}

/** The most sequences a position's committed list may hold: a batch is at most 1,000,000 records. */
const MAX_COMMITTED_SEQUENCES = 1_000_000;

export const natsSource = defineSource({
  name: 'nats',
  summary: 'Reads JSON messages from a NATS JetStream stream through a durable pull consumer, acknowledging them only once their batch is committed.',
  spec: natsSourceSpec,
  insecureOptOuts: natsInsecureOptOuts,
  examples: [
    { servers: ['tls://nats.internal:4222'], tls: { ca: 'certs/nats-ca.pem' }, creds: 'file:///run/secrets/sluice.creds', stream: 'ORDERS', subject: 'orders.*.created', durable: 'sluice-orders' },
    { servers: ['nats://127.0.0.1:4222'], insecureLoopbackPlaintext: true, token: 'env://NATS_TOKEN', stream: 'EVENTS', durable: 'events-to-warehouse', deliver: 'new', ackWait: '2m' },
  ],
  create: (options, context) => new NatsSource(options, context),
});
