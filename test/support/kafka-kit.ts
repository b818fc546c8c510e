// Plain kafkajs clients for the Kafka connector tests: producing raw messages (malformed ones too), reading a
// topic back with its headers, and asking for a group's committed offsets, without going through Sluice.
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import type { IHeaders, Message } from 'kafkajs';

export function rawKafka(bootstrap: string): Kafka {
  return new Kafka({ clientId: 'sluice-test', brokers: [bootstrap], logLevel: logLevel.NOTHING });
}

/** A name no other test uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

export async function produce(bootstrap: string, topic: string, messages: Message[]): Promise<void> {
  const producer = rawKafka(bootstrap).producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}

/** Per partition, the group's committed offset (-1 when none), and their sum over committed partitions. */
export async function groupOffsets(bootstrap: string, groupId: string, topic: string): Promise<{ byPartition: Map<number, number>; total: number }> {
  const admin = rawKafka(bootstrap).admin();
  await admin.connect();
  try {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const byPartition = new Map((entry?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    const total = [...byPartition.values()].filter((o) => o >= 0).reduce((a, b) => a + b, 0);
    return { byPartition, total };
  } finally {
    await admin.disconnect();
  }
}

export interface ReadMessage {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: IHeaders;
}

/** Reads `count` messages of a topic from the start with a throwaway group; fails after `timeoutMs`. */
export async function readMessages(bootstrap: string, topic: string, count: number, timeoutMs = 30_000): Promise<ReadMessage[]> {
  const consumer = rawKafka(bootstrap).consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 200 });
  const out: ReadMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${out.length} of ${count} messages of ${topic}`)), timeoutMs);
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          out.push({ partition, offset: message.offset, key: message.key?.toString('utf8') ?? null, value: message.value?.toString('utf8') ?? null, headers: message.headers ?? {} });
          if (out.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/** Waits until `condition` holds, checking every 20 ms; fails after `timeoutMs` (a hang, not a timing assertion). */
export async function eventually(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
