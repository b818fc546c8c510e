// The nats source against a real nats-server with JetStream: acknowledgements only after each commit, nothing
// lost when a sink fails, a run follows or the server restarts, malformed messages quarantined, and a refused
// token kept out of the error. Each test uses its own stream (random name), deleted after.
import { after, afterEach, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { isSluiceError, SluiceError } from '../../errors.ts';
import { maskStep } from '../../privacy/transforms/mask.ts';
import { runPipeline } from '../../runtime/executor.ts';
import { SecretResolver } from '../../secrets/resolve/secret-resolver.ts';
import { EnvSecretProvider } from '../../secrets/resolve/env-provider.ts';
import { RedactionRegistry } from '../../secrets/redaction.ts';
import type { NatsConnection } from '@nats-io/transport-node';
import { serviceMissing } from '../../../test/support/services.ts';
import { testEncryption } from '../../../test/support/test-keyring.ts';
import { createTestStream, randomName, SHARED_NATS, testConnection } from '../../../test/support/nats-stream.ts';
import type { TestStream } from '../../../test/support/nats-stream.ts';
import { natsServerMissing, startPrivateNats } from '../../../test/support/nats-server.ts';
import { eventually, freshStore, removeStores, people, planFor, probe, probeSink, quarantineText, silentLogger } from '../../../test/support/nats-pipeline.ts';
import { natsSource } from './nats-source.ts';

const skip = await serviceMissing('nats');
const components = [natsSource, maskStep, probeSink];

let connection: NatsConnection;
let stream: TestStream;
let encryption: Awaited<ReturnType<typeof testEncryption>>;

before(async () => {
  if (!skip) connection = await testConnection();
});
after(async () => {
  await connection?.close();
  await removeStores();
});
beforeEach(async () => {
  probe.reset();
  encryption = await testEncryption();
  if (!skip) stream = await createTestStream(connection);
});
afterEach(async () => {
  await stream?.remove();
});

/** Source options for the test stream on the shared server. */
function sourceOptions(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { servers: [SHARED_NATS], insecureLoopbackPlaintext: true, stream: stream.name, durable: randomName('d'), ...extra };
}

function plan(source: Record<string, unknown>, batchSize = 10) {
  return planFor(components, {
    pipeline: randomName('nats-source'),
    source: { nats: source },
    sinks: [{ probe: { name: 'table', clearance: 'internal' } }],
    runtime: { batchSize, retry: { attempts: 1, initialDelayMs: 1, maxDelayMs: 2 } },
  });
}

/** The ids in the probe sink, each once (a duplicate fails the test). */
function idsOnce(): string[] {
  const ids = probe.records().map((r) => String(r.id));
  assert.equal(new Set(ids).size, ids.length, `duplicates in the sink: ${ids.join(' ')}`);
  return ids.sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
}

const expectedIds = (n: number) => Array.from({ length: n }, (_, i) => `m${i + 1}`);

async function settled(durable: string): Promise<void> {
  await eventually(async () => {
    const info = await stream.consumer(durable);
    return info.num_pending === 0 && info.num_ack_pending === 0;
  }, 'the consumer has nothing pending and nothing unacknowledged');
}

test('the spec examples are valid options', () => {
  for (const example of natsSource.examples) assert.ok(natsSource.spec.safeParse(example).success, JSON.stringify(example));
});

test('the spec refuses names the server would read as wildcards, plaintext to another host, and credentials in a URL', () => {
  const base = { servers: ['nats://127.0.0.1:4222'], insecureLoopbackPlaintext: true, stream: 'S', durable: 'd' };
  const invalid: [object, string][] = [
    [{ ...base, stream: 'orders.*' }, 'stream'],
    [{ ...base, durable: 'a b' }, 'durable'],
    [{ ...base, subject: 'orders.>.x' }, 'subject'],
    [{ ...base, ackWait: '13h' }, 'ackWait'],
    [{ ...base, deliver: 'last' }, 'deliver'],
    [{ ...base, servers: ['nats://nats.example.com:4222'] }, 'servers.0'],
    [{ ...base, insecureLoopbackPlaintext: false, servers: ['nats://admin:hunter2-planted@127.0.0.1:4222'] }, 'servers.0'],
    [{ ...base, colour: 'red' }, ''],
  ];
  for (const [options, path] of invalid) {
    const result = natsSource.spec.safeParse(options);
    assert.ok(!result.success, JSON.stringify(options));
    assert.equal(result.error.issues[0]?.path.join('.'), path, JSON.stringify(options));
    assert.ok(!JSON.stringify(result.error.issues.map((i) => i.message)).includes('hunter2-planted'));
  }
});

test('reads every message through runPipeline and acknowledges each batch only after it is committed', { skip }, async () => {
  await stream.publish(people(1, 25));
  const options = sourceOptions();
  const durable = String(options.durable);
  const seen: { batch: number; ackFloor: number; ackPending: number }[] = [];
  probe.beforeWrite = async ({ batch }) => {
    const info = await stream.consumer(durable);
    seen.push({ batch, ackFloor: info.ack_floor.stream_seq, ackPending: info.num_ack_pending });
  };
  const { dir, store } = freshStore();
  const result = await runPipeline({ plan: plan(options), store, stateDir: dir, encryption, specHash: 'h', logger: silentLogger });
  assert.equal(result.run.status, 'succeeded');
  assert.equal(result.run.totals.recordsIn, 25);
  assert.deepEqual(idsOnce(), expectedIds(25));
  assert.equal(probe.records()[0]?.email, '*************.com');
  // While batch k is written, none of its messages is acknowledged: the ack floor is below its first message.
  assert.deepEqual(seen.map((s) => s.batch), [1, 2, 3]);
  for (const { batch, ackFloor, ackPending } of seen) {
    assert.ok(ackFloor <= (batch - 1) * 10, `batch ${batch} was acknowledged before its commit (ack floor ${ackFloor})`);
    assert.ok(ackPending >= (batch === 3 ? 5 : 10), `batch ${batch}: only ${ackPending} messages awaited acknowledgement`);
  }
  assert.deepEqual((await store.lastCheckpoint(result.run.id))?.position, { stream: stream.name, seq: 25, committed: '21-25' });
  await settled(durable);
  assert.equal((await stream.consumer(durable)).ack_floor.stream_seq, 25);
  await store.close();
});

test('a crash after a commit but before its acknowledgements: the resumed run acknowledges the redelivered batch and does not read it twice', { skip }, async () => {
  await stream.publish(people(1, 5));
  const options = sourceOptions({ ackWait: '1s' });
  const durable = String(options.durable);
  const source = natsSource.create(natsSource.spec.parse(options), { baseDir: '.', pipeline: 'crash' });
  // Attempt 1 reads the batch and its checkpoint commits, then the process dies before committed() acks it:
  // closing without acknowledging has the server deliver the messages again, as the ack wait would.
  const first = await source.open(undefined, { follow: false });
  const iterator = first.batches(10)[Symbol.asyncIterator]();
  const batch = (await iterator.next()).value as { end: Record<string, string | number>; records: unknown[] };
  assert.equal(batch.records.length, 5);
  await first.close();
  // Attempt 2 resumes from that checkpoint: the redeliveries are acknowledged, not read; new messages are read.
  await stream.publish(people(6, 2));
  const second = await source.open(batch.end, { follow: false });
  const records: unknown[] = [];
  for await (const next of second.batches(10)) {
    records.push(...next.records);
    await second.committed?.(next.end);
  }
  await second.close();
  assert.deepEqual(records.map((r) => (r as { id: string }).id), ['m6', 'm7']);
  await settled(durable);
  const info = await stream.consumer(durable);
  assert.equal(info.num_ack_pending, 0);
  assert.equal(info.ack_floor.stream_seq, 7);
});

test('memory stays bounded by bytes: large messages end a batch at maxBatchBytes (or the largest message the server takes), and nothing is lost', { skip }, async () => {
  const bulky = Array.from({ length: 12 }, (_, i) => ({ id: `m${i + 1}`, email: 'x@example.com', blob: 'b'.repeat(300 * 1024) }));
  await stream.publish(bulky);
  const source = natsSource.create(natsSource.spec.parse(sourceOptions({ maxBatchBytes: 64 * 1024 })), { baseDir: '.', pipeline: 'bytes' });
  const reader = await source.open(undefined, { follow: false });
  const sizes: number[] = [];
  for await (const batch of reader.batches(100)) {
    sizes.push(batch.records.length);
    await reader.committed?.(batch.end);
  }
  await reader.close();
  // The server takes messages of up to 1 MiB, so a batch holds at most three of 300 KiB, not the 100 asked for.
  assert.equal(sizes.reduce((a, b) => a + b, 0), 12);
  assert.ok(sizes.every((n) => n <= 3), `batch sizes ${sizes.join(', ')}`);
});

test('a failing sink leaves its batch unacknowledged, and the next run reads it again: nothing lost, nothing twice', { skip }, async () => {
  await stream.publish(people(1, 35));
  const options = sourceOptions();
  const durable = String(options.durable);
  probe.beforeWrite = async ({ batch }) => {
    if (batch === 2) throw new SluiceError('SLUICE_SINK_WRITE_FAILED', 'the table is down');
  };
  const { dir, store } = freshStore();
  const pipeline = plan(options);
  await assert.rejects(runPipeline({ plan: pipeline, store, stateDir: dir, encryption, specHash: 'h', logger: silentLogger }), (error) => isSluiceError(error, 'SLUICE_SINK_WRITE_FAILED'));
  // Only the committed first batch is acknowledged; what was pulled after it went back to the server.
  const info = await stream.consumer(durable);
  assert.equal(info.ack_floor.stream_seq, 10);
  assert.deepEqual(idsOnce(), expectedIds(10));

  probe.beforeWrite = undefined;
  const rerun = await runPipeline({ plan: pipeline, store, stateDir: dir, encryption, specHash: 'h', logger: silentLogger });
  assert.equal(rerun.run.status, 'succeeded');
  assert.equal(rerun.resumedAfterBatch, 1);
  assert.deepEqual(idsOnce(), expectedIds(35));
  await settled(durable);
  await store.close();
});

test('a consumer whose maxAckPending is below the batch size still delivers everything, in shorter batches, without stalling', { skip }, async () => {
  await stream.publish(people(1, 12));
  const options = sourceOptions({ maxAckPending: 5 });
  const { dir, store } = freshStore();
  const result = await runPipeline({ plan: plan(options), store, stateDir: dir, encryption, specHash: 'h', logger: silentLogger });
  assert.deepEqual(idsOnce(), expectedIds(12));
  assert.ok(result.run.totals.batches >= 3, `${result.run.totals.batches} batches`);
  await settled(String(options.durable));
  await store.close();
});

test('a malformed message goes to the quarantine with its stream sequence and is acknowledged with its batch', { skip }, async () => {
  await stream.publish([people(1, 1)[0], '{"id": "m2", "email": ', '[1,2,3]', new Uint8Array([0xff, 0xfe]), people(5, 1)[0]]);
  const options = sourceOptions();
  const { dir, store } = freshStore();
  const result = await runPipeline({ plan: plan(options), store, stateDir: dir, encryption, specHash: 'h', logger: silentLogger });
  assert.equal(result.run.totals.recordsIn, 5);
  assert.equal(result.run.totals.quarantined, 3);
  assert.deepEqual(idsOnce(), ['m1', 'm5']);
  const lines = (await quarantineText(result.quarantineDir, encryption.keys)).trim().split('\n').map((line) => JSON.parse(line) as { ref: string; reason: string });
  assert.deepEqual(lines.map((l) => l.ref), [2, 3, 4].map((seq) => `nats:${stream.name}#${seq}`));
  assert.match(lines[0]?.reason ?? '', /not valid JSON/);
  assert.match(lines[1]?.reason ?? '', /an array, not a JSON object/);
  assert.match(lines[2]?.reason ?? '', /not valid UTF-8/);
  await settled(String(options.durable));
  await store.close();
});

test('following: messages published after the start are consumed, and an abort stops the run with nothing lost', { skip }, async () => {
  const options = sourceOptions({ deliver: 'new' });
  const durable = String(options.durable);
  const controller = new AbortController();
  const { dir, store } = freshStore();
  const pipeline = plan(options);
  const running = runPipeline({ plan: pipeline, store, stateDir: dir, encryption, specHash: 'h', logger: silentLogger, follow: true, signal: controller.signal });
  // deliver: new starts at the consumer's creation, so publish once it exists.
  await eventually(() => stream.consumer(durable).then(() => true, () => false), 'the consumer exists');
  await stream.publish(people(1, 5));
  await eventually(() => probe.records().length === 5, 'the first 5 messages are in the sink');
  await stream.publish(people(6, 17));
  await eventually(() => probe.records().length === 22, 'all 22 messages are in the sink');
  // Published as the run stops: each is either in the sink or still on the server, never dropped.
  const racing = stream.publish(people(23, 8));
  controller.abort();
  await racing;
  const result = await running;
  assert.equal(result.run.status, 'succeeded');
  const inSink = probe.records().length;
  const info = await stream.consumer(durable);
  assert.ok(inSink >= 22 && inSink <= 30);

  // A second run (not following) reads what the first left.
  assert.ok(info.num_pending + info.num_ack_pending >= 30 - inSink);
  const rest = await runPipeline({ plan: pipeline, store, stateDir: dir, encryption, specHash: 'h', logger: silentLogger, fresh: true });
  assert.equal(rest.run.totals.recordsIn, 30 - inSink);
  assert.deepEqual(idsOnce(), expectedIds(30));
  await settled(durable);
  await store.close();
});

for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
  test(`NATS restarted mid-run (${signal}): the run rides through the reconnect or fails clearly, and a rerun leaves every message in the sink exactly once`, { skip: skip ?? natsServerMissing() }, async () => {
    const server = await startPrivateNats();
    const own = await testConnection(server.url);
    const privateStream = await createTestStream(own);
    try {
      await privateStream.publish(people(1, 200));
      const options = { servers: [server.url], insecureLoopbackPlaintext: true, stream: privateStream.name, durable: 'restart', ackWait: '5s' };
      let restarted = false;
      probe.beforeWrite = async ({ batch }) => {
        if (batch !== 4 || restarted) return;
        restarted = true;
        // While batch 4 is written the reader is pulling batch 5, and batch 3's acknowledgements were just sent.
        await server.stop(signal);
        await new Promise((resolve) => setTimeout(resolve, 1500));
        await server.start();
      };
      const { dir, store } = freshStore();
      const pipeline = plan(options, 20);
      const first = await runPipeline({ plan: pipeline, store, stateDir: dir, encryption, specHash: 'h', logger: silentLogger }).catch((error: unknown) => error);
      assert.ok(restarted);
      if (first instanceof Error) {
        // Failing is allowed, but clearly: a Sluice error naming the stream.
        assert.ok(isSluiceError(first), inspect(first));
        assert.match(first.message, new RegExp(privateStream.name));
      }
      await runPipeline({ plan: pipeline, store, stateDir: dir, encryption, specHash: 'h', logger: silentLogger });
      assert.deepEqual(idsOnce(), expectedIds(200));
      await eventually(async () => {
        const info = await privateStream.consumer('restart');
        return info.num_pending === 0 && info.num_ack_pending === 0;
      }, 'the private consumer is drained');
      await store.close();
    } finally {
      await privateStream.remove();
      await own.close();
      await server.close();
    }
  });
}

test('secret planted in error: a wrong token is refused with an error that names the reference but holds no token', { skip: skip ?? natsServerMissing() }, async () => {
  const RIGHT = 'right-token-4c1f9e7a2b';
  const WRONG = 'planted-wrong-token-8d3e5f';
  const server = await startPrivateNats({ token: RIGHT });
  try {
    const invalidated: string[] = [];
    const resolver = new SecretResolver({ providers: [new EnvSecretProvider({ NATS_TOKEN: WRONG })], registry: new RedactionRegistry() });
    const secrets = { resolve: (ref: string) => resolver.resolve(ref), invalidate: (ref: string) => invalidated.push(ref) };
    const options = natsSource.spec.parse({ servers: [server.url], insecureLoopbackPlaintext: true, token: 'env://NATS_TOKEN', stream: 'S', durable: 'd' });
    const source = natsSource.create(options, { baseDir: '.', pipeline: 'p', secrets });
    const error = await source.open(undefined).then(() => assert.fail('the wrong token was accepted'), (e: unknown) => e);
    assert.ok(isSluiceError(error, 'SLUICE_SOURCE_FAILED'), inspect(error));
    assert.equal(error.retryable, false);
    assert.match(error.message, /refused the credentials from env:\/\/NATS_TOKEN/);
    for (const text of [error.message, String(error), inspect(error, { depth: 10 }), JSON.stringify(error)]) {
      assert.ok(!text.includes(WRONG) && !text.includes(RIGHT), 'the error quotes a token');
    }
    // The cached value is dropped, so a rotated token is read again on the next attempt.
    assert.deepEqual(invalidated, ['env://NATS_TOKEN']);
  } finally {
    await server.close();
  }
});
