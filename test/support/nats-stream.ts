// JetStream helpers for tests: a stream with a random name (deleted after), publishing, the consumer's state
// and every message a stream holds, all through a plain client connection of the test's own.
import { randomBytes } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { ConsumerInfo, StreamConfig } from '@nats-io/jetstream';

export const SHARED_NATS = 'nats://127.0.0.1:4222';

/** A random name with a prefix, valid for streams, consumers and subject tokens. */
export function randomName(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

export interface TestStream {
  connection: NatsConnection;
  name: string;
  /** The subject prefix the stream captures: `<prefix>.>`. */
  prefix: string;
  /** Publishes each payload (an object as JSON, a string or bytes as is) on `<prefix>.<suffix>`, awaiting each PubAck. */
  publish(payloads: readonly unknown[], suffix?: string): Promise<void>;
  consumer(durable: string): Promise<ConsumerInfo>;
  /** Every message the stream holds, in order, parsed as JSON. */
  messages(): Promise<unknown[]>;
  /** Deletes the stream (the connection stays the caller's). */
  remove(): Promise<void>;
}

/** A connection to `url` without TLS, for a test's own use of a loopback server. */
export function testConnection(url = SHARED_NATS, options: { token?: string; user?: string; pass?: string } = {}): Promise<NatsConnection> {
  return connect({ servers: [url], name: 'sluice-test', tls: null, ...options });
}

export async function createTestStream(connection: NatsConnection, prefix = 'sluice_test', config: Partial<StreamConfig> = {}): Promise<TestStream> {
  const name = randomName(prefix);
  const subjectPrefix = `${name}.msg`;
  const jsm = await jetstreamManager(connection);
  await jsm.streams.add({ name, subjects: [`${subjectPrefix}.>`], ...config });
  const js = jetstream(connection);
  return {
    connection,
    name,
    prefix: subjectPrefix,
    async publish(payloads, suffix = 'in') {
      const pending = payloads.map((payload) => {
        const data = typeof payload === 'string' || payload instanceof Uint8Array ? payload : JSON.stringify(payload);
        return js.publish(`${subjectPrefix}.${suffix}`, data);
      });
      await Promise.all(pending);
    },
    consumer: (durable) => jsm.consumers.info(name, durable),
    async messages() {
      const total = (await jsm.streams.info(name)).state.messages;
      const out: unknown[] = [];
      if (total === 0) return out;
      const reader = await js.consumers.get(name);
      for await (const message of await reader.fetch({ max_messages: total, expires: 5000 })) {
        out.push(message.json());
        if (out.length === total) break;
      }
      return out;
    },
    async remove() {
      await jsm.streams.delete(name).catch(() => undefined);
    },
  };
}
