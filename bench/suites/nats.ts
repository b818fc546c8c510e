// NATS JetStream end to end: customer messages from one stream through the contract and mask steps into another
// stream via runPipeline (durable consumer, acknowledged after each commit, de-duplicated publishes), against a
// plain consume-and-republish loop with the same acknowledgements and no protection (the floor), and against
// the same loop written with the client's js.publish() (what one would write first), on a sample.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
import { withPeakRss } from '../harness.ts';
import { CUSTOMER_FIELDS } from '../customer-fields.ts';

const SERVER = 'nats://127.0.0.1:4222';
const BATCH = 5000;
const TARGET = 20_000;

function spec(input: string, output: string): string {
  return `pipeline: bench-nats
source:
  nats: { servers: ['${SERVER}'], insecureLoopbackPlaintext: true, stream: ${input}, durable: sluice }
contract:
  subject: customer_id
  fields:
${CUSTOMER_FIELDS}steps:
  - mask: { fields: [card_number], keepLast: 4 }
  - mask: { fields: [email, full_name, phone] }
sinks:
  - nats: { servers: ['${SERVER}'], insecureLoopbackPlaintext: true, subject: ${output}.sluice, clearance: internal }
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
      await jsm.streams.add({ name: output, subjects: [`${output}.>`] });
      await fill(connection, `${input}.customers`, count);

      const publisher = new PipelinedPublisher(connection, { window: 1000, stallMs: 30_000, code: 'SLUICE_SINK_WRITE_FAILED', place: output });
      const floor = await withPeakRss(async () => {
        const started = performance.now();
        const copied = await copyLoop(connection, jsm, input, 'floor', count, (records, batch) =>
          publisher.publish(`${output}.floor`, records.length, (i) => ({ id: `floor:${batch}:${i}`, data: JSON.stringify(records[i]) })),
        );
        return { ms: performance.now() - started, copied };
      });

      const js = jetstream(connection);
      const idiomatic = await withPeakRss(async () => {
        const started = performance.now();
        const copied = await copyLoop(connection, jsm, input, 'idiomatic', sample, async (records, batch) => {
          const acks: Promise<unknown>[] = [];
          for (let i = 0; i < records.length; i++) {
            if (acks.length >= 1000) await Promise.all(acks.splice(0));
            acks.push(js.publish(`${output}.idiomatic`, JSON.stringify(records[i]), { msgID: `idiomatic:${batch}:${i}` }));
          }
          await Promise.all(acks);
        });
        return { ms: performance.now() - started, copied };
      });

      writeFileSync(join(dir, 'pipeline.yaml'), spec(input, output));
      const sluice = await withPeakRss(async () => {
        const loaded = await loadSpec(join(dir, 'pipeline.yaml'), new ComponentRegistry([natsSource, maskStep, natsSink]));
        if (!loaded.result.spec) throw new Error(loaded.issues.map((i) => i.message).join('\n'));
        const store = new SqliteStateStore(join(dir, '.sluice', 'state.db'));
        const keyring = new Keyring(store, new LocalKeyProvider(randomBytes(32)));
        await keyring.ensure('default');
        const started = performance.now();
        const result = await runPipeline({ plan: planPipeline(loaded.result.spec), store, stateDir: join(dir, '.sluice'), encryption: { keys: keyring, keyId: 'default' }, specHash: loaded.hash, fresh: true, logger: pino({ level: 'silent' }) });
        const ms = performance.now() - started;
        keyring.close();
        await store.close();
        return { ms, copied: result.run.totals.recordsOut.nats ?? 0 };
      });

      const out = await stored(jsm, output);
      if (floor.result.copied !== count || sluice.result.copied !== count || out !== 2 * count + idiomatic.result.copied) {
        throw new Error(`the copies are incomplete: floor ${floor.result.copied}, sluice ${sluice.result.copied}, idiomatic ${idiomatic.result.copied}, ${out} messages stored`);
      }
      const rate = (n: number, ms: number) => n / (ms / 1000);
      const sluiceRate = rate(count, sluice.result.ms);
      const floorRate = rate(count, floor.result.ms);
      const idiomaticRate = rate(idiomatic.result.copied, idiomatic.result.ms);
      const rows: BenchRow[] = [
        {
          suite: 'nats',
          name: `${count.toLocaleString('en-US')} messages NATS -> mask -> NATS, acked: Sluice vs plain copy loop`,
          value: sluiceRate,
          unit: 'messages/s',
          baseline: { name: 'plain copy (same acks, no protection)', value: floorRate },
          ratio: sluiceRate / floorRate,
          target: { text: `≥ ${TARGET.toLocaleString('en-US')} messages/s`, met: sluiceRate >= TARGET },
          peakRssMiB: sluice.peakRssMiB,
        },
        {
          suite: 'nats',
          name: 'Sluice vs a copy loop with js.publish()',
          value: sluiceRate,
          unit: 'messages/s',
          baseline: { name: `js.publish copy (${idiomatic.result.copied.toLocaleString('en-US')}-message sample)`, value: idiomaticRate },
          ratio: sluiceRate / idiomaticRate,
        },
        { suite: 'nats', name: 'plain copy loop peak RSS', value: floor.peakRssMiB, unit: 'MiB' },
      ];
      return rows;
    } finally {
      await jsm.streams.delete(input).catch(() => undefined);
      await jsm.streams.delete(output).catch(() => undefined);
      await connection.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
