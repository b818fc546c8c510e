// NATS JetStream end to end: customer messages from one stream through the contract and mask steps into another
// stream via runPipeline (durable consumer, acknowledged after each commit, de-duplicated publishes), against a
// plain consume-and-republish loop with the same acknowledgements and no protection (the floor), and against
// the same loop written with the client's js.publish() (what one would write first), on a sample. Sluice and the
// floor each run once untimed, then three times interleaved (quick runs too: 10,000 messages take a second).
// Every run reads the whole input stream through a durable consumer of its own and writes into an output stream
// of its own, both made before and deleted after it, so that no run meets another's messages, consumers or
// duplicate-window entries in the server.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamManager, JsMsg } from '@nats-io/jetstream';
import { ComponentRegistry } from '../../src/spec/registry.ts';
import { loadSpec } from '../../src/spec/load-spec.ts';
import { planPipeline } from '../../src/plan/plan.ts';
import { runPipeline } from '../../src/runtime/executor.ts';
import { SqliteStateStore } from '../../src/store/sqlite/sqlite-state-store.ts';
import { Keyring } from '../../src/crypto/keyring/keyring.ts';
import { LocalKeyProvider } from '../../src/crypto/providers/local-provider.ts';
import { maskStep } from '../../src/privacy/transforms/mask.ts';
import { natsSource } from '../../src/connectors/sources/nats-source.ts';
import { natsSink } from '../../src/connectors/sinks/nats-sink.ts';
import { PipelinedPublisher } from '../../src/connectors/nats/pipelined-publisher.ts';
import { sampleCustomer } from '../../src/cli/sample-customers.ts';
import { seeded } from '../../src/seeded-random.ts';
import type { BenchRow, BenchSuite } from '../harness.ts';
import { measureInterleaved } from '../harness.ts';
import { CUSTOMER_FIELDS } from '../customer-fields.ts';

const SERVER = 'nats://127.0.0.1:4222';
const BATCH = 5000;
const TARGET = 20_000;

function spec(input: string, subject: string, durable: string): string {
  return `pipeline: bench-nats
source:
  nats: { servers: ['${SERVER}'], insecureLoopbackPlaintext: true, stream: ${input}, durable: ${durable} }
contract:
  subject: customer_id
  fields:
${CUSTOMER_FIELDS}steps:
  - mask: { fields: [card_number], keepLast: 4 }
  - mask: { fields: [email, full_name, phone] }
sinks:
  - nats: { servers: ['${SERVER}'], insecureLoopbackPlaintext: true, subject: ${subject}, clearance: internal }
runtime:
  batchSize: ${BATCH}
`;
}

/** Publishes `count` customers on `subject`, pipelined, each acknowledged by the stream. */
async function fill(connection: NatsConnection, subject: string, count: number): Promise<void> {
  const random = seeded(7);
  const publisher = new PipelinedPublisher(connection, { window: 1000, stallMs: 30_000, code: 'SLUICE_SINK_WRITE_FAILED', place: subject });
  for (let start = 0; start < count; start += BATCH) {
    const size = Math.min(BATCH, count - start);
    await publisher.publish(subject, size, (i) => ({ id: `fill-${start + i}`, data: JSON.stringify(sampleCustomer(start + i + 1, random)) }));
  }
}

/**
 * The floor: pull a batch, parse each message, publish it unchanged (JSON again) with a message id, await every
 * PubAck, then acknowledge the batch, as the source does after a commit. `publish` is how a batch goes out.
 */
async function copyLoop(connection: NatsConnection, jsm: JetStreamManager, stream: string, durable: string, limit: number, publish: (records: unknown[], batch: number) => Promise<void>): Promise<number> {
  await jsm.consumers.add(stream, { durable_name: durable, ack_policy: AckPolicy.Explicit, max_ack_pending: 100_000 });
  const consumer = await jetstream(connection).consumers.get(stream, durable);
  let copied = 0;
  for (let batch = 1; copied < limit; batch++) {
    const messages: JsMsg[] = [];
    for await (const message of await consumer.fetch({ max_messages: Math.min(BATCH, limit - copied), expires: 1000 })) messages.push(message);
    if (messages.length === 0) break;
    await publish(messages.map((m) => JSON.parse(m.string()) as unknown), batch);
    for (const message of messages) message.ack();
    await connection.flush();
    copied += messages.length;
  }
  return copied;
}

/** How many messages a copy moved, and in how many ms. */
interface Copied {
  copied: number;
  ms: number;
}

async function timed(copy: () => Promise<number>): Promise<Copied> {
  const started = performance.now();
  const copied = await copy();
  return { copied, ms: performance.now() - started };
}

async function stored(jsm: JetStreamManager, stream: string): Promise<number> {
  return (await jsm.streams.info(stream)).state.messages;
}

export const natsSuite: BenchSuite = {
  name: 'nats',
  description: 'NATS -> mask -> NATS through runPipeline with acknowledgements, against a plain consume-and-republish loop',
  async run({ quick }) {
    const count = quick ? 10_000 : 100_000;
    const sample = quick ? 3_000 : 10_000;
    const connection = await connect({ servers: [SERVER], tls: null, name: 'sluice-bench' }).catch((error: unknown) => {
      throw new Error(`the nats suite needs NATS with JetStream on ${SERVER} (see ../shared/stack.md): ${String(error)}`);
    });
    const jsm = await jetstreamManager(connection);
    const tag = randomBytes(4).toString('hex');
    const input = `bench_in_${tag}`;
    const output = `bench_out_${tag}`;
    const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-nats-'));
    try {
      await jsm.streams.add({ name: input, subjects: [`${input}.>`] });
      await fill(connection, `${input}.customers`, count);

      let runs = 0;
      /**
       * Runs `copy` into a new output stream and checks that the stream then holds `expected` messages; returns
       * the time `copy` measured of its copying, in ms.
       */
      const intoNewStream = async (expected: number, copy: (outputSubject: string, durable: string) => Promise<Copied>): Promise<number> => {
        const name = `${output}_${++runs}`;
        const durable = `copy${runs}`;
        await jsm.streams.add({ name, subjects: [`${name}.>`] });
        try {
          const { copied, ms } = await copy(`${name}.out`, durable);
          const held = await stored(jsm, name);
          if (copied !== expected || held !== expected) throw new Error(`run ${runs} is incomplete: ${copied} of ${expected} messages copied, ${held} stored`);
          return ms;
        } finally {
          await jsm.streams.delete(name).catch(() => undefined);
          await jsm.consumers.delete(input, durable).catch(() => undefined);
        }
      };

      const publisher = new PipelinedPublisher(connection, { window: 1000, stallMs: 30_000, code: 'SLUICE_SINK_WRITE_FAILED', place: output });
      const floorRun = () =>
        intoNewStream(count, (subject, durable) =>
          timed(() => copyLoop(connection, jsm, input, durable, count, (records, batch) => publisher.publish(subject, records.length, (i) => ({ id: `${durable}:${batch}:${i}`, data: JSON.stringify(records[i]) })))),
        );

      const registry = new ComponentRegistry([natsSource, maskStep, natsSink]);
      const sluiceRun = () =>
        intoNewStream(count, async (subject, durable) => {
          const runDir = join(dir, durable);
          mkdirSync(runDir);
          writeFileSync(join(runDir, 'pipeline.yaml'), spec(input, subject, durable));
          const loaded = await loadSpec(join(runDir, 'pipeline.yaml'), registry);
          const pipeline = loaded.result.spec;
          if (!pipeline) throw new Error(loaded.issues.map((i) => i.message).join('\n'));
          const plan = planPipeline(pipeline);
          const store = new SqliteStateStore(join(runDir, '.sluice', 'state.db'));
          const keyring = new Keyring(store, new LocalKeyProvider(randomBytes(32)));
          try {
            await keyring.ensure('default');
            // Timed: the run alone, not loading the spec and making the keyring.
            return await timed(async () => {
              const result = await runPipeline({ plan, store, stateDir: join(runDir, '.sluice'), encryption: { keys: keyring, keyId: 'default' }, specHash: loaded.hash, fresh: true, logger: pino({ level: 'silent' }) });
              return result.run.totals.recordsOut.nats ?? 0;
            });
          } finally {
            keyring.close();
            await store.close();
          }
        });

      const [floor, sluice] = await measureInterleaved(3, [floorRun, sluiceRun]);

      const js = jetstream(connection);
      const idiomaticMs = await intoNewStream(sample, (subject, durable) =>
        timed(() =>
          copyLoop(connection, jsm, input, durable, sample, async (records, batch) => {
            const acks: Promise<unknown>[] = [];
            for (let i = 0; i < records.length; i++) {
              if (acks.length >= 1000) await Promise.all(acks.splice(0));
              acks.push(js.publish(subject, JSON.stringify(records[i]), { msgID: `${durable}:${batch}:${i}` }));
            }
            await Promise.all(acks);
          }),
        ),
      );

      const rate = (n: number, ms: number) => n / (ms / 1000);
      const sluiceRate = rate(count, sluice!.median);
      const floorRate = rate(count, floor!.median);
      const idiomaticRate = rate(sample, idiomaticMs);
      const rows: BenchRow[] = [
        {
          suite: 'nats',
          name: `${count.toLocaleString('en-US')} messages NATS -> mask -> NATS, acked: Sluice vs plain copy loop`,
          value: sluiceRate,
          unit: 'messages/s',
          spread: [rate(count, sluice!.max), rate(count, sluice!.min)],
          baseline: { name: 'plain copy (same acks, no protection)', value: floorRate },
          ratio: sluiceRate / floorRate,
          target: { text: `≥ ${TARGET.toLocaleString('en-US')} messages/s`, met: sluiceRate >= TARGET },
          peakRssMiB: sluice!.peakRssMiB,
        },
        {
          suite: 'nats',
          name: 'Sluice vs a copy loop with js.publish()',
          value: sluiceRate,
          unit: 'messages/s',
          baseline: { name: `js.publish copy (${sample.toLocaleString('en-US')}-message sample)`, value: idiomaticRate },
          ratio: sluiceRate / idiomaticRate,
        },
      ];
      return rows;
    } finally {
      await jsm.streams.delete(input).catch(() => undefined);
      await connection.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
