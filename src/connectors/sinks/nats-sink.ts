// The `nats` sink: each record as a JSON message on a JetStream subject, with a message id fixed by its place in
// the run (pipeline, run, batch, index), so a replayed batch is dropped by the stream's duplicate window.
import { z } from 'zod';
import { natsInsecureOptOuts } from '../nats/connection-options.ts';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { SluiceError } from '../../errors.ts';
import { defineSink } from '../../spec/component.ts';
import type { CreateContext } from '../../spec/component.ts';
import { recordMessageId } from '../record-id.ts';
import { RecordSink } from '../sink.ts';
import type { RecordBatch, SinkRunInfo, SinkSettings } from '../sink.ts';
import { checkNatsConnection, credentialReferences, natsConnectionShape, serversLabel } from '../nats/connection-options.ts';
import { closeNats, connectNats } from '../nats/connect.ts';
import { publishSubjectSchema } from '../nats/names.ts';
import { natsFailure } from '../nats/nats-errors.ts';
import { PipelinedPublisher } from '../nats/pipelined-publisher.ts';

/** Publishes awaiting their PubAck at once: enough to keep the server busy, few enough to bound memory. */
const IN_FLIGHT = 1000;
/** How long without any PubAck before a batch fails (and is retried: the replay is de-duplicated). */
const STALL_MS = 15_000;

const natsSinkSpec = z
  .strictObject({
    ...natsConnectionShape,
    subject: publishSubjectSchema.describe('The subject each record is published on; a JetStream stream must capture it.'),
  })
  .superRefine((options, context) => checkNatsConnection(options, (path, message) => context.addIssue({ code: 'custom', path, message })))
  .describe(
    "Publishes each record as a JSON message to a JetStream subject and waits for the stream to store it. A replayed batch is de-duplicated by the stream's duplicate window (2 minutes by default).",
  );

type NatsSinkOptions = z.output<typeof natsSinkSpec>;

export class NatsSink extends RecordSink {
  readonly #options: NatsSinkOptions;
  readonly #context: CreateContext;
  #connection: NatsConnection | undefined;
  #publisher: PipelinedPublisher | undefined;
  /** The stream that captures the subject, found when the sink opens. */
  #stream: string | undefined;

  constructor(options: NatsSinkOptions, settings: SinkSettings, context: CreateContext) {
    super(settings);
    this.#options = options;
    this.#context = context;
  }

  protected async _open(_run: SinkRunInfo): Promise<void> {
    const connection = await connectNats(this.#options, this.#context, 'SLUICE_SINK_WRITE_FAILED');
    try {
      // Fails before any data moves when no stream captures the subject (a publish would only time out).
      this.#stream = await (await jetstreamManager(connection)).streams.find(this.#options.subject);
    } catch (error) {
      await closeNats(connection);
      const missing = error instanceof Error && /no stream matches subject/i.test(error.message);
      if (missing) {
        throw new SluiceError('SLUICE_SINK_WRITE_FAILED', `no JetStream stream at ${serversLabel(this.#options)} captures subject '${this.#options.subject}'; create one (nats stream add --subjects ...) or fix \`subject\``, { cause: error });
      }
      throw this.#failure(error, `find the stream of subject '${this.#options.subject}'`);
    }
    this.#connection = connection;
    this.#publisher = new PipelinedPublisher(connection, { window: IN_FLIGHT, stallMs: STALL_MS, code: 'SLUICE_SINK_WRITE_FAILED', place: this.describe() });
  }

  /**
   * Publishes the batch with up to IN_FLIGHT messages awaiting their PubAck, and returns once every message is
   * stored. A PubAck marked duplicate means the stream already holds that message (a replay): stored too.
   */
  protected async _write({ batch, run, records, refs }: RecordBatch): Promise<void> {
    const publisher = this.#publisher;
    if (!publisher) throw new SluiceError('SLUICE_SINK_WRITE_FAILED', `sink '${this.settings.name}' was written before it was opened`);
    const subject = this.#options.subject;
    try {
      await publisher.publish(subject, records.length, (index) => ({ id: recordMessageId(run, this.settings.name, refs[index] ?? `batch:${batch}#${index + 1}`), data: JSON.stringify(records[index]) }));
    } catch (error) {
      throw this.#failure(error, `publish batch ${batch} on subject '${subject}'`);
    }
  }

  protected override async _close(): Promise<void> {
    const connection = this.#connection;
    this.#connection = undefined;
    this.#publisher = undefined;
    if (connection) await closeNats(connection);
  }

  #failure(error: unknown, action: string): SluiceError {
    const credentials = credentialReferences(this.#options);
    const failure = natsFailure(error, { code: 'SLUICE_SINK_WRITE_FAILED', action: `${action} at ${serversLabel(this.#options)}`, credentials });
    if (failure.credentialsRefused) for (const reference of credentials) this.#context.secrets?.invalidate(reference);
    return failure.error;
  }

  describe(): string {
    return `nats ${serversLabel(this.#options)} subject ${this.#options.subject}${this.#stream !== undefined ? ` (stream ${this.#stream})` : ''}`;
  }
}

export const natsSink = defineSink({
  name: 'nats',
  summary: 'Publishes each record as a JSON message to a NATS JetStream subject, de-duplicated on replay by message id.',
  holds: 'records',
  spec: natsSinkSpec,
  insecureOptOuts: natsInsecureOptOuts,
  examples: [
    { servers: ['tls://nats.internal:4222'], tls: { ca: 'certs/nats-ca.pem', cert: 'certs/sluice.pem', key: 'file:///run/secrets/sluice-key.pem' }, subject: 'customers.masked' },
    { servers: ['nats://127.0.0.1:4222'], insecureLoopbackPlaintext: true, user: 'sluice', password: 'env://NATS_PASSWORD', subject: 'events.clean' },
  ],
  create: (options, settings, context) => new NatsSink(options, settings, context),
});
