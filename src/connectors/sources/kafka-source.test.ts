// The kafka source against librdkafka's in-memory mock cluster (a Kafka-protocol test broker, not Kafka: no
// TLS, no SASL): consumer groups, offsets committed only after the runtime commits, following until shutdown,
// malformed messages to quarantine. Option checks and the security refusals run without it.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { ComponentRegistry } from '../../spec/registry.ts';
import { validateSpec } from '../../spec/validate.ts';
import { fileOnlyLocator } from '../../spec/location.ts';
import { planPipeline } from '../../plan/plan.ts';
import { runPipeline } from '../../runtime/executor.ts';
import type { RunRequest } from '../../runtime/executor.ts';
import { SqliteStateStore } from '../../store/sqlite/sqlite-state-store.ts';
import { isSluiceError, SluiceError } from '../../errors.ts';
import { openObjectBuffer } from '../../crypto/envelope/envelope.ts';
import { Secret } from '../../secrets/secret.ts';
import type { SecretSource } from '../../spec/component.ts';
import { kafkaSource, kafkaSourceSpec } from './kafka-source.ts';
import { failures, recordBatches, recordSinkDouble } from '../../../test/support/memory-components.ts';
import { testEncryption } from '../../../test/support/test-keyring.ts';
import { kafkaMockMissing, startKafkaMock } from '../../../test/support/kafka-mock.ts';
import type { KafkaMock } from '../../../test/support/kafka-mock.ts';
import { eventually, groupOffsets, produce, uniqueName } from '../../../test/support/kafka-kit.ts';

const registry = new ComponentRegistry([kafkaSource, recordSinkDouble]);
const silent = pino({ level: 'silent' });
const MOCK = 'kafka (librdkafka mock cluster)';
/** Kafka protocol numbers: the OffsetCommit API, and an error code kafkajs does not retry. */
const OFFSET_COMMIT = 8;
const GROUP_AUTHORIZATION_FAILED = 30;

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

function planFor(source: Record<string, unknown>, batchSize = 10) {
  const document = {
    pipeline: uniqueName('kafka-in'),
    // The mock keeps a member that left until its session times out, so a group's next run waits that long.
    source: { kafka: { brokers: [mock.bootstrap], fromBeginning: true, sessionTimeoutMs: 6000, ...source } },
    contract: { fields: { id: { type: 'string', class: 'internal' }, n: { type: 'integer', class: 'internal' } } },
    sinks: [{ 'collect-records': { name: 'table', clearance: 'internal' } }],
    runtime: { batchSize, retry: { attempts: 1, initialDelayMs: 1, maxDelayMs: 2 } },
  };
  const result = validateSpec(document, registry, fileOnlyLocator('kafka.yaml'), tmpdir());
  assert.deepEqual(result.issues, []);
  assert.ok(result.spec);
  return planPipeline(result.spec);
}

function freshStore() {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-kafka-src-'));
  return { dir, store: new SqliteStateStore(join(dir, 'state.db')) };
}

function request(plan: ReturnType<typeof planFor>, dir: string, store: SqliteStateStore, extra: Partial<RunRequest> = {}): RunRequest {
  return { plan, store, stateDir: dir, encryption, specHash: 'h', logger: silent, ...extra };
}

function records(from: number, count: number) {
  return Array.from({ length: count }, (_, i) => ({ key: `k${(from + i) % 7}`, value: JSON.stringify({ id: `m${from + i}`, n: from + i }) }));
}

/** The ids the record sink double holds, over every batch. */
function idsReceived(): string[] {
  return [...(recordBatches.get('table')?.values() ?? [])].flat().map((r) => String(r.id));
}

async function newTopic(partitions: number): Promise<string> {
  const topic = uniqueName('src');
  await mock.createTopic(topic, partitions);
  return topic;
}

test(`${MOCK}: a run reads every message of a 3-partition topic into a record sink, ends once caught up, and commits the group at the end of each partition`, { skip }, async () => {
  const topic = await newTopic(3);
  const groupId = uniqueName('group');
  await produce(mock.bootstrap, topic, records(1, 25));
  const { dir, store } = freshStore();
  const result = await runPipeline(request(planFor({ topic, groupId }), dir, store));
  assert.equal(result.run.status, 'succeeded');
  assert.equal(result.run.totals.recordsIn, 25);
  assert.deepEqual(idsReceived().sort(), records(1, 25).map((r) => (JSON.parse(r.value) as { id: string }).id).sort());
  assert.equal((await groupOffsets(mock.bootstrap, groupId, topic)).total, 25);
  await store.close();
});

test(`${MOCK}: offsets are committed only after the runtime commits a batch; a failing sink leaves the rest to the next run of the group (no loss)`, { skip }, async () => {
  const topic = await newTopic(1);
  const groupId = uniqueName('group');
  await produce(mock.bootstrap, topic, records(1, 25));
  const { dir, store } = freshStore();
  const plan = planFor({ topic, groupId });
  failures.set('table', [undefined, new SluiceError('SLUICE_SINK_WRITE_FAILED', 'table is down')]);
  await assert.rejects(runPipeline(request(plan, dir, store)), (error) => isSluiceError(error, 'SLUICE_SINK_WRITE_FAILED'));
  // Batch 1 was committed everywhere, batch 2 failed: the group stands right after batch 1.
  assert.equal((await groupOffsets(mock.bootstrap, groupId, topic)).total, 10);
  const firstRun = idsReceived();
  recordBatches.clear();
  const second = await runPipeline(request(plan, dir, store, { fresh: true }));
  assert.equal(second.run.totals.recordsIn, 15);
  const ids = new Set([...firstRun, ...idsReceived()]);
  assert.equal(ids.size, 25);
  for (let i = 1; i <= 25; i++) assert.ok(ids.has(`m${i}`), `m${i} was lost`);
  assert.equal((await groupOffsets(mock.bootstrap, groupId, topic)).total, 25);
  await store.close();
});

test(`${MOCK}: a resumed run drops what its checkpoint already holds when the group's commit was lost, and commits it`, { skip }, async () => {
  const topic = await newTopic(1);
  const groupId = uniqueName('group');
  await produce(mock.bootstrap, topic, records(1, 25));
  const { dir, store } = freshStore();
  const plan = planFor({ topic, groupId });
  // The group's commit after batch 1's checkpoint fails, as if the process had died between the two.
  await mock.failRequests(OFFSET_COMMIT, GROUP_AUTHORIZATION_FAILED, 1);
  await assert.rejects(runPipeline(request(plan, dir, store)), (error) => isSluiceError(error, 'SLUICE_SOURCE_FAILED'));
  assert.equal((await groupOffsets(mock.bootstrap, groupId, topic)).total, 0);
  recordBatches.clear();
  const resumed = await runPipeline(request(plan, dir, store));
  assert.equal(resumed.resumedAfterBatch, 1);
  assert.deepEqual(idsReceived(), records(11, 15).map((r) => (JSON.parse(r.value) as { id: string }).id));
  assert.equal((await groupOffsets(mock.bootstrap, groupId, topic)).total, 25);
  await store.close();
});

test(`${MOCK}: following, the source keeps consuming new messages until the signal aborts, then the run succeeds and nothing unfinished is committed`, { skip }, async () => {
  const topic = await newTopic(2);
  const groupId = uniqueName('group');
  await produce(mock.bootstrap, topic, records(1, 5));
  const { dir, store } = freshStore();
  const controller = new AbortController();
  const running = runPipeline(request(planFor({ topic, groupId }), dir, store, { follow: true, signal: controller.signal }));
  await eventually(() => idsReceived().length === 5, 'the first 5 messages');
  await produce(mock.bootstrap, topic, records(6, 7));
  await eventually(() => idsReceived().length === 12, 'the next 7 messages');
  controller.abort();
  const result = await running;
  assert.equal(result.run.status, 'succeeded');
  assert.equal(result.run.totals.recordsIn, 12);
  assert.equal((await groupOffsets(mock.bootstrap, groupId, topic)).total, 12);
  await store.close();
});

test(`${MOCK}: a new group without fromBeginning starts at the end, so a run that does not follow reads nothing and ends`, { skip }, async () => {
  const topic = await newTopic(2);
  await produce(mock.bootstrap, topic, records(1, 4));
  const { dir, store } = freshStore();
  const result = await runPipeline(request(planFor({ topic, groupId: uniqueName('group'), fromBeginning: false }), dir, store));
  assert.equal(result.run.status, 'succeeded');
  assert.equal(result.run.totals.recordsIn, 0);
  await store.close();
});

/** The quarantine's entries, decrypted as `sluice cat` would. */
async function quarantined(dir: string): Promise<{ ref: string; reason: string; raw?: string }[]> {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const text = (await openObjectBuffer(readFileSync(join(dir, name)), encryption.keys, name)).plaintext.toString('utf8');
    out.push(...text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as { ref: string; reason: string; raw?: string }));
  }
  return out;
}

test(`${MOCK}: messages that are not JSON objects (bad JSON, an array, a tombstone, invalid UTF-8) go to quarantine as kafka:<topic>/<partition>@<offset>`, { skip }, async () => {
  const topic = await newTopic(1);
  await produce(mock.bootstrap, topic, [
    { value: JSON.stringify({ id: 'ok1', n: 1 }) },
    { value: '{"id": "broken' },
    { value: '[1, 2, 3]' },
    { value: null },
    { value: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) },
    { value: JSON.stringify({ id: 'ok2', n: 2 }) },
  ]);
  const { dir, store } = freshStore();
  const result = await runPipeline(request(planFor({ topic, groupId: uniqueName('group') }), dir, store));
  assert.deepEqual(idsReceived(), ['ok1', 'ok2']);
  assert.equal(result.run.totals.quarantined, 4);
  const entries = await quarantined(result.quarantineDir);
  assert.deepEqual(entries.map((e) => e.ref).sort(), [1, 2, 3, 4].map((offset) => `kafka:${topic}/0@${offset}`));
  assert.match(entries.find((e) => e.ref.endsWith('@3'))?.reason ?? '', /tombstone/);
  assert.match(entries.find((e) => e.ref.endsWith('@4'))?.reason ?? '', /UTF-8/);
  await store.close();
});

test(`${MOCK}: with onMalformed: fail, a malformed message fails the run with its ref, and the group does not move past it`, { skip }, async () => {
  const topic = await newTopic(1);
  const groupId = uniqueName('group');
  await produce(mock.bootstrap, topic, [{ value: JSON.stringify({ id: 'ok1', n: 1 }) }, { value: 'not json' }]);
  const { dir, store } = freshStore();
  await assert.rejects(runPipeline(request(planFor({ topic, groupId, onMalformed: 'fail' }), dir, store)), (error) => {
    assert.ok(isSluiceError(error, 'SLUICE_INPUT_MALFORMED'));
    assert.match(error.message, new RegExp(`kafka:${topic}/0@1`));
    assert.doesNotMatch(error.message, /not json/, 'the message does not quote the value');
    return true;
  });
  assert.equal((await groupOffsets(mock.bootstrap, groupId, topic)).total, 0);
  await store.close();
});

test(`${MOCK}: SASL credentials sent to a broker that cannot authenticate fail the open, and the password appears in no error, cause or run record (credential leak via errors)`, { skip }, async () => {
  const topic = await newTopic(1);
  const password = `pw-${uniqueName('secret')}`;
  const secrets: SecretSource = { resolve: async (ref) => new Secret(password, ref), invalidate: () => undefined };
  const { dir, store } = freshStore();
  const plan = planFor({ topic, groupId: uniqueName('group'), sasl: { mechanism: 'scram-sha-512', username: 'sluice', password: 'env://KAFKA_PASSWORD' } });
  const error = await runPipeline(request(plan, dir, store, { secrets })).then(
    () => assert.fail('the run should fail: the mock does not speak SASL'),
    (e: unknown) => e,
  );
  assert.ok(isSluiceError(error, 'SLUICE_SOURCE_FAILED'));
  for (let e: unknown = error; e instanceof Error; e = e.cause) assert.ok(!e.message.includes(password), `a message in the cause chain holds the password: ${e.name}`);
  const [run] = await store.listRuns({ pipeline: plan.spec.pipeline, limit: 1 });
  assert.ok(!JSON.stringify(run).includes(password));
  await store.close();
});

// ---- options: no broker needed ----

const BASE = { topic: 'orders', groupId: 'g' };

test('kafka source: the examples parse', () => {
  for (const example of kafkaSource.examples) assert.ok(kafkaSourceSpec.safeParse(example).success, JSON.stringify(example));
});

const REFUSED: { name: string; options: Record<string, unknown>; path: string; says: RegExp }[] = [
  { name: 'plaintext to a broker off this machine (an eavesdropper on the network reads records and credentials)', options: { brokers: ['kafka.example.com:9092'] }, path: 'tls', says: /needs TLS/ },
  { name: 'plaintext when one of several brokers is off this machine', options: { brokers: ['localhost:9092', '10.0.0.7:9092'] }, path: 'tls', says: /10\.0\.0\.7:9092/ },
  { name: 'SASL PLAIN without TLS off this machine, even with the insecure opt-in (the password itself would cross the network)', options: { brokers: ['kafka.example.com:9092'], insecurePlaintext: true, sasl: { mechanism: 'plain', username: 'u', password: 'env://P' } }, path: 'sasl.mechanism', says: /PLAIN/ },
  { name: 'the insecure opt-in together with tls', options: { brokers: ['kafka.example.com:9093'], tls: {}, insecurePlaintext: true }, path: 'insecurePlaintext', says: /cannot be combined/ },
  { name: 'an IPv6 literal, which kafkajs cannot reach', options: { brokers: ['[::1]:9092'] }, path: 'brokers.0', says: /IPv6/ },
  { name: 'a broker without a port', options: { brokers: ['localhost'] }, path: 'brokers.0', says: /no port/ },
  { name: 'a port out of range', options: { brokers: ['localhost:70000'] }, path: 'brokers.0', says: /not a port/ },
  { name: 'an unknown SASL mechanism', options: { brokers: ['localhost:9092'], sasl: { mechanism: 'gssapi', username: 'u', password: 'env://P' } }, path: 'sasl.mechanism', says: /./ },
  { name: 'a topic name Kafka does not allow', options: { brokers: ['localhost:9092'], topic: 'orders/2024' }, path: 'topic', says: /topic name/ },
];

for (const { name, options, path, says } of REFUSED) {
  test(`kafka source options: refuses ${name}`, () => {
    const result = kafkaSourceSpec.safeParse({ ...BASE, ...options });
    assert.equal(result.success, false);
    const issue = result.error?.issues.find((i) => i.path.join('.') === path);
    assert.ok(issue, `no issue at ${path}: ${JSON.stringify(result.error?.issues)}`);
    assert.match(issue.message, says);
  });
}

test('kafka source options: a literal SASL password is refused (credentials only as references), and the error does not repeat it', () => {
  const result = kafkaSourceSpec.safeParse({ ...BASE, brokers: ['localhost:9092'], sasl: { mechanism: 'scram-sha-256', username: 'u', password: 'Hunter2-literal!' } });
  assert.equal(result.success, false);
  const issue = result.error?.issues.find((i) => i.path.join('.') === 'sasl.password');
  assert.ok(issue);
  assert.ok(!JSON.stringify(result.error?.issues).includes('Hunter2-literal!'));
});

test('kafka source options: plaintext is accepted to loopback brokers, and to remote ones only with the named insecure opt-in', () => {
  for (const brokers of [['localhost:9092'], ['127.0.0.1:9092', '127.0.0.2:9093'], ['broker.localhost:9092']]) {
    assert.ok(kafkaSourceSpec.safeParse({ ...BASE, brokers }).success, brokers.join());
  }
  assert.ok(kafkaSourceSpec.safeParse({ ...BASE, brokers: ['kafka.internal:9092'], insecurePlaintext: true }).success);
  assert.ok(kafkaSourceSpec.safeParse({ ...BASE, brokers: ['kafka.internal:9093'], tls: { ca: 'ca.pem' } }).success);
  const insecure = kafkaSource.create(kafkaSourceSpec.parse({ ...BASE, brokers: ['kafka.internal:9092'], insecurePlaintext: true }), { baseDir: tmpdir(), pipeline: 'p' });
  assert.match(insecure.description, /INSECURE/);
});

test('kafka source: a saved position of another topic, or one it did not write, is refused on resume', async () => {
  const source = kafkaSource.create(kafkaSourceSpec.parse({ ...BASE, brokers: ['localhost:1'] }), { baseDir: tmpdir(), pipeline: 'p' });
  await assert.rejects(source.open({ topic: 'other', '0': '5' }), (error) => isSluiceError(error, 'SLUICE_RESUME_MISMATCH'));
  await assert.rejects(source.open({ topic: 'orders', '0': '-1' }), (error) => isSluiceError(error, 'SLUICE_RESUME_MISMATCH'));
  await assert.rejects(source.open({ topic: 'orders', x: '1' }), (error) => isSluiceError(error, 'SLUICE_RESUME_MISMATCH'));
});
