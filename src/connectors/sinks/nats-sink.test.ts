// The nats sink against a real nats-server with JetStream: every record stored, a replayed batch de-duplicated by
// the server, a missing stream and a refused password reported clearly (without the password), and the whole
// path NATS -> mask -> NATS through runPipeline. Each test uses its own streams (random names), deleted after.
import { after, afterEach, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import type { NatsConnection } from '@nats-io/transport-node';
import { isSluiceError } from '../../errors.ts';
import { maskStep } from '../../privacy/transforms/mask.ts';
import { runPipeline } from '../../runtime/executor.ts';
import type { DataRecord } from '../../runtime/record.ts';
import { SecretResolver } from '../../secrets/resolve/secret-resolver.ts';
import { EnvSecretProvider } from '../../secrets/resolve/env-provider.ts';
import { RedactionRegistry } from '../../secrets/redaction.ts';
import type { SecretSource } from '../../spec/component.ts';
import { serviceMissing } from '../../../test/support/services.ts';
import { testEncryption } from '../../../test/support/test-keyring.ts';
import { createTestStream, randomName, SHARED_NATS, testConnection } from '../../../test/support/nats-stream.ts';
import type { TestStream } from '../../../test/support/nats-stream.ts';
import { natsServerMissing, startPrivateNats } from '../../../test/support/nats-server.ts';
import { eventually, freshStore, removeStores, people, planFor, silentLogger } from '../../../test/support/nats-pipeline.ts';
import { natsSource } from '../sources/nats-source.ts';
import { natsSink } from './nats-sink.ts';
import { recordMessageId } from '../record-id.ts';

const skip = await serviceMissing('nats');

let connection: NatsConnection;
const streams: TestStream[] = [];

before(async () => {
  if (!skip) connection = await testConnection();
});
after(async () => {
  await connection?.close();
  await removeStores();
});
beforeEach(() => {
  streams.length = 0;
});
afterEach(async () => {
  for (const stream of streams) await stream.remove();
});

async function newStream(config: Parameters<typeof createTestStream>[2] = {}): Promise<TestStream> {
  const stream = await createTestStream(connection, 'sluice_sink', config);
  streams.push(stream);
  return stream;
}

const run = { pipeline: 'nats-sink-test', runId: 'run-1' };
const settings = { name: 'out', clearance: 'internal' as const, fields: ['id', 'email'] };

function openSink(options: Record<string, unknown>, secrets?: SecretSource) {
  const parsed = natsSink.spec.parse(options);
  return natsSink.create(parsed, settings, { baseDir: '.', pipeline: run.pipeline, ...(secrets ? { secrets } : {}) });
}

const records = (from: number, count: number) => people(from, count).map((p) => Object.assign(Object.create(null) as DataRecord, p));

test('the spec examples are valid options', () => {
  for (const example of natsSink.examples) assert.ok(natsSink.spec.safeParse(example).success, JSON.stringify(example));
});

test('the spec refuses a wildcard subject, mixed credentials and TLS settings beside the plaintext opt-in', () => {
  const base = { servers: ['nats://127.0.0.1:4222'], insecureLoopbackPlaintext: true, subject: 'out.x' };
  const invalid: [object, string][] = [
    [{ ...base, subject: 'out.*' }, 'subject'],
    [{ ...base, subject: 'out.>' }, 'subject'],
    [{ ...base, subject: 'out..x' }, 'subject'],
    [{ ...base, token: 'env://T', nkeySeed: 'env://S' }, 'token'],
    [{ ...base, user: 'sluice' }, 'password'],
    [{ ...base, tls: { ca: 'ca.pem' } }, 'insecureLoopbackPlaintext'],
    [{ ...base, servers: ['tls://127.0.0.1:4222'] }, 'servers.0'],
    [{ ...base, token: 'plain-token-in-spec' }, 'token'],
  ];
  for (const [options, path] of invalid) {
    const result = natsSink.spec.safeParse(options);
    assert.ok(!result.success, JSON.stringify(options));
    assert.equal(result.error.issues[0]?.path.join('.'), path, JSON.stringify(options));
  }
});

test('message ids are fixed by the record\'s source ref in the run and the sink, whatever batch it lands in', () => {
  assert.equal(recordMessageId(run, 'out', 'nats:orders#7'), recordMessageId({ ...run }, 'out', 'nats:orders#7'));
  assert.match(recordMessageId(run, 'out', 'nats:orders#7'), /^sluice-[A-Za-z0-9_-]{32}$/);
  // Pinned: a replay by a later version of Sluice must publish the same ids, or the stream stores it twice.
  assert.equal(recordMessageId(run, 'out', 'nats:orders#7'), 'sluice-gSyPzH8FBTgU9RH9tZQbeC72cakB50MY');
  const ids = new Set([
    recordMessageId(run, 'out', 'nats:orders#7'),
    recordMessageId(run, 'out', 'nats:orders#8'),
    recordMessageId(run, 'other-sink', 'nats:orders#7'),
    recordMessageId({ ...run, runId: 'run-2' }, 'out', 'nats:orders#7'),
    recordMessageId({ ...run, pipeline: 'other' }, 'out', 'nats:orders#7'),
  ]);
  assert.equal(ids.size, 5);
});

test('publishes every record as JSON and returns once the stream stores them all', { skip }, async () => {
  const stream = await newStream();
  const sink = openSink({ servers: [SHARED_NATS], insecureLoopbackPlaintext: true, subject: `${stream.prefix}.out` });
  await sink.open(run, await testEncryption());
  try {
    await sink.write(1, records(1, 2500));
    assert.match(sink.describe(), new RegExp(`stream ${stream.name}`));
  } finally {
    await sink.close();
  }
  const stored = (await stream.messages()) as { id: string }[];
  assert.equal(stored.length, 2500);
  assert.deepEqual(stored.slice(0, 2), [{ id: 'm1', email: 'user1@example.com' }, { id: 'm2', email: 'user2@example.com' }]);
});

test('a replayed batch is de-duplicated by the server: the same batch twice leaves one message per record', { skip }, async () => {
  const stream = await newStream();
  const sink = openSink({ servers: [SHARED_NATS], insecureLoopbackPlaintext: true, subject: `${stream.prefix}.out` });
  await sink.open(run, await testEncryption());
  try {
    await sink.write(1, records(1, 30));
    await sink.write(1, records(1, 30));
    await sink.write(2, records(31, 5));
    // A replay carrying fewer records than the first write: all of them are already there.
    await sink.write(2, records(31, 2));
  } finally {
    await sink.close();
  }
  const ids = ((await stream.messages()) as { id: string }[]).map((m) => m.id);
  assert.deepEqual(ids, people(1, 35).map((p) => p.id));
});

test('no stream captures the subject: opening fails before any data moves, naming the subject', { skip }, async () => {
  const subject = `${randomName('nowhere')}.out`;
  const sink = openSink({ servers: [SHARED_NATS], insecureLoopbackPlaintext: true, subject });
  await assert.rejects(sink.open(run, await testEncryption()), (error) => isSluiceError(error, 'SLUICE_SINK_WRITE_FAILED') && error.message.includes(subject) && /nats stream add/.test(error.message));
  await sink.close();
});

test('a server that offers no TLS is refused unless plaintext to loopback is opted into (downgrade)', { skip }, async () => {
  const stream = await newStream();
  const sink = openSink({ servers: [SHARED_NATS], subject: `${stream.prefix}.out` });
  await assert.rejects(sink.open(run, await testEncryption()), (error) => isSluiceError(error, 'SLUICE_SINK_WRITE_FAILED') && /does not offer TLS/.test(error.message) && !error.retryable);
});

test('secret planted in error: a wrong password is refused with an error that names the reference but holds no password', { skip: natsServerMissing() }, async () => {
  const RIGHT = 'right-password-71c0d2e9';
  const WRONG = 'planted-wrong-password-5a8b';
  const server = await startPrivateNats({ user: { name: 'sluice', password: RIGHT } });
  try {
    const invalidated: string[] = [];
    const resolver = new SecretResolver({ providers: [new EnvSecretProvider({ NATS_PASSWORD: WRONG })], registry: new RedactionRegistry() });
    const sink = openSink(
      { servers: [server.url], insecureLoopbackPlaintext: true, user: 'sluice', password: 'env://NATS_PASSWORD', subject: 'out.x' },
      { resolve: (ref) => resolver.resolve(ref), invalidate: (ref) => invalidated.push(ref) },
    );
    const error = await sink.open(run, await testEncryption()).then(() => assert.fail('the wrong password was accepted'), (e: unknown) => e);
    assert.ok(isSluiceError(error, 'SLUICE_SINK_WRITE_FAILED'), inspect(error));
    assert.match(error.message, /refused the credentials from env:\/\/NATS_PASSWORD/);
    for (const text of [error.message, String(error), inspect(error, { depth: 10 }), JSON.stringify(error)]) {
      assert.ok(!text.includes(WRONG) && !text.includes(RIGHT), 'the error quotes a password');
    }
    assert.deepEqual(invalidated, ['env://NATS_PASSWORD']);

    // The right password gets through the same path (the refusal above is about the value, not the form).
    const good = new SecretResolver({ providers: [new EnvSecretProvider({ NATS_PASSWORD: RIGHT })], registry: new RedactionRegistry() });
    const own = await testConnection(server.url, { user: 'sluice', pass: RIGHT });
    const stream = await createTestStream(own, 'sluice_auth');
    const accepted = openSink({ servers: [server.url], insecureLoopbackPlaintext: true, user: 'sluice', password: 'env://NATS_PASSWORD', subject: `${stream.prefix}.out` }, { resolve: (ref) => good.resolve(ref), invalidate: () => undefined });
    await accepted.open(run, await testEncryption());
    await accepted.write(1, records(1, 3));
    await accepted.close();
    assert.equal((await stream.messages()).length, 3);
    await stream.remove();
    await own.close();
  } finally {
    await server.close();
  }
});

test('end to end: NATS -> mask -> NATS through runPipeline, acknowledged after commit, and a rerun publishes nothing twice', { skip }, async () => {
  const input = await newStream();
  const output = await newStream();
  await input.publish(people(1, 45));
  const durable = randomName('e2e');
  const plan = planFor([natsSource, maskStep, natsSink], {
    pipeline: randomName('nats-e2e'),
    source: { nats: { servers: [SHARED_NATS], insecureLoopbackPlaintext: true, stream: input.name, durable } },
    sinks: [{ nats: { servers: [SHARED_NATS], insecureLoopbackPlaintext: true, subject: `${output.prefix}.masked`, clearance: 'internal' } }],
  });
  const { dir, store } = freshStore();
  const encryption = await testEncryption();
  const result = await runPipeline({ plan, store, stateDir: dir, encryption, specHash: 'h', logger: silentLogger });
  assert.equal(result.run.status, 'succeeded');
  assert.equal(result.run.totals.recordsOut.nats, 45);
  const out = (await output.messages()) as { id: string; email: string }[];
  assert.deepEqual(out.map((m) => m.id), people(1, 45).map((p) => p.id));
  assert.ok(out.every((m) => /^\*+\.com$/.test(m.email)), 'every email is masked');
  await eventually(async () => {
    const info = await input.consumer(durable);
    return info.num_pending === 0 && info.num_ack_pending === 0 && info.ack_floor.stream_seq === 45;
  }, 'every input message is acknowledged');
  // Nothing left to read: a second run publishes nothing.
  const again = await runPipeline({ plan, store, stateDir: dir, encryption, specHash: 'h', logger: silentLogger });
  assert.equal(again.run.totals.recordsIn, 0);
  assert.equal((await output.messages()).length, 45);
  await store.close();
});
