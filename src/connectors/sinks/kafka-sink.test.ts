// The kafka sink against librdkafka's in-memory mock cluster (a Kafka-protocol test broker, not Kafka: no TLS,
// no SASL, and its idempotent producer does not work with kafkajs): records through runPipeline into a topic and
// back out with the kafka source, the key and the sluice-msg-id header, and what a replayed batch does.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { ComponentRegistry } from '../../spec/registry.ts';
import { validateSpec } from '../../spec/validate.ts';
import { fileOnlyLocator } from '../../spec/location.ts';
import { planPipeline } from '../../plan/plan.ts';
import { runPipeline } from '../../runtime/executor.ts';
import { SqliteStateStore } from '../../store/sqlite/sqlite-state-store.ts';
import { isSluiceError, SluiceError } from '../../errors.ts';
import { maskStep } from '../../privacy/transforms/mask.ts';
import { kafkaSink, kafkaSinkSpec, MESSAGE_ID_HEADER, producerConfig } from './kafka-sink.ts';
import { recordMessageId } from '../record-id.ts';
import { kafkaSource } from '../sources/kafka-source.ts';
import { datasets, failures, memorySource, recordBatches, recordSinkDouble } from '../../../test/support/memory-components.ts';
import { testEncryption } from '../../../test/support/test-keyring.ts';
import { kafkaMockMissing, startKafkaMock } from '../../../test/support/kafka-mock.ts';
import type { KafkaMock } from '../../../test/support/kafka-mock.ts';
import { readMessages, uniqueName } from '../../../test/support/kafka-kit.ts';

const registry = new ComponentRegistry([memorySource, kafkaSource, kafkaSink, recordSinkDouble, maskStep]);
const silent = pino({ level: 'silent' });
const MOCK = 'kafka (librdkafka mock cluster)';

const skip = await kafkaMockMissing();
let mock: KafkaMock;
before(async () => {
  if (!skip) mock = await startKafkaMock();
});
after(async () => {
  await mock?.stop();
});

let encryption: Awaited<ReturnType<typeof testEncryption>>;
beforeEach(async () => {
  encryption = await testEncryption();
  recordBatches.clear();
  failures.clear();
});

const CONTRACT = {
  fields: {
    id: { type: 'string', class: 'internal' },
    region: { type: 'string', class: 'internal' },
    email: { type: 'string', class: 'restricted', pii: 'email' },
  },
};

function customers(count: number) {
  return Array.from({ length: count }, (_, i) => ({ id: `c${i + 1}`, region: ['eu', 'us', 'ap'][i % 3] as string, email: `user${i + 1}@example.com` }));
}

function plan(document: Record<string, unknown>) {
  const result = validateSpec({ contract: CONTRACT, runtime: { batchSize: 10, retry: { attempts: 1, initialDelayMs: 1, maxDelayMs: 2 } }, ...document }, registry, fileOnlyLocator('kafka.yaml'), tmpdir());
  assert.deepEqual(result.issues, []);
  assert.ok(result.spec);
  return planPipeline(result.spec);
}

function freshStore() {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-kafka-sink-'));
  return { dir, store: new SqliteStateStore(join(dir, 'state.db')) };
}

/** A pipeline from the memory dataset into the topic: emails masked, since the sink's clearance is internal. */
function producing(topic: string, sink: Record<string, unknown> = {}) {
  return plan({
    pipeline: uniqueName('kafka-out'),
    source: { memory: { dataset: 'customers' } },
    steps: [{ mask: { fields: ['email'], keepLast: 4 } }],
    sinks: [{ kafka: { name: 'stream', clearance: 'internal', brokers: [mock.bootstrap], topic, idempotent: false, ...sink } }],
  });
}

test(`${MOCK}: records written through runPipeline come back through the kafka source, masked, once each`, { skip }, async () => {
  const topic = uniqueName('sink');
  await mock.createTopic(topic, 3);
  datasets.set('customers', customers(25));
  const { dir, store } = freshStore();
  const written = await runPipeline({ plan: producing(topic, { key: 'id' }), store, stateDir: dir, encryption, specHash: 'h', logger: silent });
  assert.equal(written.run.status, 'succeeded');
  assert.deepEqual(written.outputs, [{ sink: 'stream', location: `kafka topic ${topic} at ${mock.bootstrap}` }]);

  const reading = plan({
    pipeline: uniqueName('kafka-in'),
    // What the topic holds is masked already: internal for the reading pipeline.
    contract: { fields: { ...CONTRACT.fields, email: { type: 'string', class: 'internal' } } },
    source: { kafka: { brokers: [mock.bootstrap], topic, groupId: uniqueName('group'), fromBeginning: true } },
    sinks: [{ 'collect-records': { name: 'table', clearance: 'internal' } }],
  });
  const read = await runPipeline({ plan: reading, store, stateDir: dir, encryption, specHash: 'h2', logger: silent });
  assert.equal(read.run.totals.recordsIn, 25);
  const got = [...(recordBatches.get('table')?.values() ?? [])].flat().map((r) => ({ ...r }));
  assert.deepEqual(got.map((r) => r.id).sort(), customers(25).map((c) => c.id).sort());
  for (const record of got) assert.match(String(record.email), /^\*+\.com$/, 'the email reached the topic masked');
  await store.close();
});

test(`${MOCK}: each message has the key field as its key and a sluice-msg-id header hashed from pipeline, run, sink and source ref`, { skip }, async () => {
  const topic = uniqueName('sink');
  await mock.createTopic(topic, 2);
  datasets.set('customers', customers(12));
  const { dir, store } = freshStore();
  const producingPlan = producing(topic, { key: 'region' });
  const result = await runPipeline({ plan: producingPlan, store, stateDir: dir, encryption, specHash: 'h', logger: silent });
  const messages = await readMessages(mock.bootstrap, topic, 12);
  const ids = messages.map((m) => String(m.headers[MESSAGE_ID_HEADER])).sort();
  const run = { pipeline: producingPlan.spec.pipeline, runId: result.run.id };
  const expected = Array.from({ length: 12 }, (_, i) => recordMessageId(run, 'stream', `memory:${i + 1}`)).sort();
  assert.deepEqual(ids, expected);
  for (const message of messages) {
    const record = JSON.parse(message.value ?? '') as { region: string };
    assert.equal(message.key, record.region);
  }
  // One key, one partition: Kafka keeps the order of a key's messages.
  const partitionsOfEu = new Set(messages.filter((m) => m.key === 'eu').map((m) => m.partition));
  assert.equal(partitionsOfEu.size, 1);
  await store.close();
});

test(`${MOCK}: a replayed batch is written again with the same sluice-msg-id headers (at-least-once: consumers de-duplicate on the header)`, { skip }, async () => {
  const topic = uniqueName('sink');
  await mock.createTopic(topic, 1);
  const options = kafkaSinkSpec.parse({ brokers: [mock.bootstrap], topic, idempotent: false });
  const run = { pipeline: 'replay', runId: 'run-1' };
  const records = customers(3).map(({ id, region }) => ({ id, region }));
  for (let attempt = 0; attempt < 2; attempt++) {
    const sink = kafkaSink.create(options, { name: 'stream', clearance: 'internal', fields: ['id', 'region'] }, { baseDir: tmpdir(), pipeline: 'replay' });
    await sink.open(run, encryption);
    await sink.write(4, records);
    await sink.close();
  }
  const messages = await readMessages(mock.bootstrap, topic, 6);
  const ids = messages.map((m) => String(m.headers[MESSAGE_ID_HEADER]));
  const first = [1, 2, 3].map((i) => recordMessageId(run, 'stream', `batch:4#${i}`));
  assert.deepEqual(ids, [...first, ...first]);
  assert.deepEqual(messages.slice(0, 3).map((m) => m.value), messages.slice(3).map((m) => m.value));
});

test(`${MOCK}: a run resumed after a crash between the write and the checkpoint writes the batch again under the same ids, so de-duplicating on sluice-msg-id gives each record once`, { skip }, async () => {
  const topic = uniqueName('sink');
  await mock.createTopic(topic, 1);
  datasets.set('customers', customers(25));
  const { dir, store } = freshStore();
  const twoSinks = plan({
    pipeline: uniqueName('kafka-out'),
    source: { memory: { dataset: 'customers' } },
    steps: [{ mask: { fields: ['email'], keepLast: 4 } }],
    sinks: [
      { kafka: { name: 'stream', clearance: 'internal', brokers: [mock.bootstrap], topic, idempotent: false } },
      { 'collect-records': { name: 'table', clearance: 'internal' } },
    ],
  });
  // Batch 2 reaches the topic, but the other sink fails it, so its checkpoint is never committed.
  failures.set('table', [undefined, new SluiceError('SLUICE_SINK_WRITE_FAILED', 'table is down')]);
  await assert.rejects(runPipeline({ plan: twoSinks, store, stateDir: dir, encryption, specHash: 'h', logger: silent }));
  const resumed = await runPipeline({ plan: twoSinks, store, stateDir: dir, encryption, specHash: 'h', logger: silent });
  assert.equal(resumed.resumedAfterBatch, 1);
  const messages = await readMessages(mock.bootstrap, topic, 35);
  const byId = new Map<string, string[]>();
  for (const m of messages) byId.set(String(m.headers[MESSAGE_ID_HEADER]), [...(byId.get(String(m.headers[MESSAGE_ID_HEADER])) ?? []), m.value ?? '']);
  assert.equal(byId.size, 25, 'de-duplicated by header, each record once');
  const replayed = [...byId.entries()].filter(([, values]) => values.length === 2);
  // The replayed ones are batch 2's records, memory:11 to memory:20, known by their source refs.
  const runInfo = { pipeline: twoSinks.spec.pipeline, runId: resumed.run.id };
  assert.deepEqual(replayed.map(([id]) => id).sort(), Array.from({ length: 10 }, (_, i) => recordMessageId(runInfo, 'stream', `memory:${i + 11}`)).sort());
  for (const [, [first, second]] of replayed) assert.equal(first, second);
  await store.close();
});

test(`${MOCK}: a batch larger than one produce request is sent in several, in order`, { skip }, async () => {
  const topic = uniqueName('sink');
  await mock.createTopic(topic, 1);
  const options = kafkaSinkSpec.parse({ brokers: [mock.bootstrap], topic, idempotent: false });
  const sink = kafkaSink.create(options, { name: 'stream', clearance: 'internal', fields: ['id', 'pad'] }, { baseDir: tmpdir(), pipeline: 'big' });
  const pad = 'x'.repeat(2000);
  const records = Array.from({ length: 800 }, (_, i) => ({ id: `r${i}`, pad }));
  await sink.open({ pipeline: 'big', runId: 'run-1' }, encryption);
  await sink.write(1, records);
  await sink.close();
  const messages = await readMessages(mock.bootstrap, topic, 800);
  assert.deepEqual(messages.map((m) => (JSON.parse(m.value ?? '') as { id: string }).id), records.map((r) => r.id));
});

test(`${MOCK}: the sink receives only the fields the plan lets reach it (a field left out never reaches the topic)`, { skip }, async () => {
  const topic = uniqueName('sink');
  await mock.createTopic(topic, 1);
  datasets.set('customers', customers(2));
  const { dir, store } = freshStore();
  await runPipeline({ plan: producing(topic, { fields: ['id'] }), store, stateDir: dir, encryption, specHash: 'h', logger: silent });
  const messages = await readMessages(mock.bootstrap, topic, 2);
  assert.deepEqual(messages.map((m) => JSON.parse(m.value ?? '') as unknown), [{ id: 'c1' }, { id: 'c2' }]);
  await store.close();
});

test('kafka sink: a key field that does not reach the sink is refused when the sink is made', () => {
  const options = kafkaSinkSpec.parse({ brokers: ['localhost:9092'], topic: 't', key: 'email' });
  assert.throws(
    () => kafkaSink.create(options, { name: 'stream', clearance: 'internal', fields: ['id'] }, { baseDir: tmpdir(), pipeline: 'p' }),
    (error) => isSluiceError(error, 'SLUICE_SPEC_INVALID') && /key field 'email'/.test(error.message),
  );
});

test('kafka sink: the idempotent producer (the default) runs with one request in flight; the mock cannot serve it, so it is untested there', () => {
  assert.deepEqual({ ...producerConfig(kafkaSinkSpec.parse({ brokers: ['localhost:9092'], topic: 't' })), createPartitioner: undefined }, { idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: undefined });
  const plain = producerConfig(kafkaSinkSpec.parse({ brokers: ['localhost:9092'], topic: 't', idempotent: false, autoCreateTopic: true }));
  assert.equal(plain.idempotent, false);
  assert.equal(plain.maxInFlightRequests, undefined);
  assert.equal(plain.allowAutoTopicCreation, true);
});

test('kafka sink: the examples parse, and plaintext to a broker off this machine is refused (eavesdropping on the network)', () => {
  for (const example of kafkaSink.examples) assert.ok(kafkaSinkSpec.safeParse(example).success, JSON.stringify(example));
  const refused = kafkaSinkSpec.safeParse({ brokers: ['kafka.example.com:9092'], topic: 't' });
  assert.equal(refused.success, false);
  assert.ok(refused.error?.issues.some((i) => i.path.join('.') === 'tls'));
});

test('kafka sink: two sinks writing the same topic of the same brokers are refused (data of two clearances mixed)', () => {
  const document = {
    pipeline: 'two-sinks',
    contract: CONTRACT,
    source: { memory: { dataset: 'customers' } },
    sinks: [
      { kafka: { name: 'a', clearance: 'internal', fields: ['id'], brokers: ['localhost:9092', 'localhost:9093'], topic: 'same' } },
      { kafka: { name: 'b', clearance: 'confidential', fields: ['id'], brokers: ['LOCALHOST:9093', 'localhost:9092'], topic: 'same' } },
    ],
  };
  const result = validateSpec(document, registry, fileOnlyLocator('kafka.yaml'), tmpdir());
  assert.ok(result.issues.some((i) => /same place/.test(i.message)), JSON.stringify(result.issues));
});
