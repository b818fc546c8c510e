// Finds or creates the durable pull consumer a NATS source reads through. Its acknowledgements are what a
// restarted run resumes from, so an existing consumer is reused only when it reads what the spec says.
import { AckPolicy, DeliverPolicy, JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { ConsumerConfig, ConsumerInfo, JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { SluiceError } from '../../errors.ts';

export interface DurableConsumerSpec {
  stream: string;
  durable: string;
  /** The subject filter, or undefined for every subject of the stream. */
  subject: string | undefined;
  /** Where a new consumer starts: every message in the stream, or only those published from now on. */
  deliver: 'all' | 'new';
  ackWaitMs: number;
  maxAckPending: number;
  /** The servers, for messages. */
  servers: string;
}

function refuse(spec: DurableConsumerSpec, why: string, fix: string): SluiceError {
  return new SluiceError('SLUICE_SOURCE_FAILED', `consumer '${spec.durable}' of stream '${spec.stream}' at ${spec.servers} ${why}; ${fix}`);
}

/** The consumer's info, after creating it or bringing its ack settings in line with the spec. */
export async function ensureDurableConsumer(jsm: JetStreamManager, spec: DurableConsumerSpec): Promise<ConsumerInfo> {
  let info: ConsumerInfo;
  try {
    info = await jsm.consumers.info(spec.stream, spec.durable);
  } catch (error) {
    const code = error instanceof JetStreamApiError ? error.code : undefined;
    if (code === JetStreamApiCodes.StreamNotFound) {
      throw new SluiceError('SLUICE_SOURCE_FAILED', `stream '${spec.stream}' does not exist at ${spec.servers}; create it (nats stream add) or fix \`stream\` in the spec`, { cause: error });
    }
    if (code !== JetStreamApiCodes.ConsumerNotFound) throw error;
    const config: Partial<ConsumerConfig> = {
      durable_name: spec.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: spec.deliver === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
      ack_wait: nanos(spec.ackWaitMs),
      max_ack_pending: spec.maxAckPending,
      ...(spec.subject !== undefined ? { filter_subject: spec.subject } : {}),
    };
    return jsm.consumers.add(spec.stream, config);
  }
  const config = info.config;
  if (config.deliver_subject) throw refuse(spec, 'is a push consumer', 'give the source a durable name of its own (it creates a pull consumer)');
  if (config.ack_policy !== AckPolicy.Explicit) throw refuse(spec, `acknowledges '${config.ack_policy}', not each message explicitly`, 'give the source a durable name of its own');
  const filter = config.filter_subject || undefined;
  if (filter !== spec.subject) {
    throw refuse(
      spec,
      `filters ${filter === undefined ? 'no subject' : `'${filter}'`}, but the spec asks for ${spec.subject === undefined ? 'every subject' : `'${spec.subject}'`}`,
      'delete the consumer (nats consumer rm) to start over with the new filter, or choose another durable name',
    );
  }
  if (config.ack_wait !== nanos(spec.ackWaitMs) || config.max_ack_pending !== spec.maxAckPending) {
    // Both may change on a live consumer; the spec is the source of truth.
    info = await jsm.consumers.update(spec.stream, spec.durable, { ack_wait: nanos(spec.ackWaitMs), max_ack_pending: spec.maxAckPending });
  }
  return info;
}
