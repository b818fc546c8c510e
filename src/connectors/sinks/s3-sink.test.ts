// The s3 sink against s3rver in-process: objects at rest are ciphertext and open with the keyring, big batches
// go up in parts byte for byte, rewrites replace, prune and discard remove only what they should, SSE headers
// go on the wire, and a missing bucket, refused credentials or an unknown CA fail clearly without leaking.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { pino } from 'pino';
import { s3Sink, S3Sink } from './s3-sink.ts';
import { S3Connection } from '../s3/s3-connection.ts';
import type { SinkBatch, SinkSettings } from '../sink.ts';
import type { CreateContext, SecretSource } from '../../spec/component.ts';
import { openObjectBuffer } from '../../crypto/envelope/envelope.ts';
import { isSluiceError } from '../../errors.ts';
import { newRunId } from '../../runtime/run-id.ts';
import { runPipeline } from '../../runtime/executor.ts';
import { planPipeline } from '../../plan/plan.ts';
import { validateSpec } from '../../spec/validate.ts';
import { fileOnlyLocator } from '../../spec/location.ts';
import { ComponentRegistry } from '../../spec/registry.ts';
import { SqliteStateStore } from '../../store/sqlite/sqlite-state-store.ts';
import { SecretResolver } from '../../secrets/resolve/secret-resolver.ts';
import { EnvSecretProvider } from '../../secrets/resolve/env-provider.ts';
import { RedactionRegistry } from '../../secrets/redaction.ts';
import type { DataRecord } from '../../runtime/record.ts';
import { S3RVER_KEY, startS3Server } from '../../../test/support/s3-server.ts';
import type { S3TestServer } from '../../../test/support/s3-server.ts';
import { selfSignedCertificate } from '../../../test/support/tls-fixture.ts';
import { spkiPin } from '../../tls/client-tls.ts';
import { testEncryption } from '../../../test/support/test-keyring.ts';
import { datasets, memorySource } from '../../../test/support/memory-components.ts';

const server = await startS3Server();
after(() => server.close());
const encryption = await testEncryption();

/** A real resolver over environment-like values, with invalidations logged. */
function secretsOf(values: Record<string, string>): SecretSource & { invalidated: string[] } {
  const resolver = new SecretResolver({ providers: [new EnvSecretProvider(values)], registry: new RedactionRegistry() });
  const invalidated: string[] = [];
  return {
    invalidated,
    resolve: (reference) => resolver.resolve(reference),
    invalidate(reference) {
      invalidated.push(reference);
      resolver.invalidate(reference);
    },
  };
}
const goodSecrets = () => secretsOf({ S3_KEY: S3RVER_KEY, S3_SECRET: S3RVER_KEY });

function options(target: S3TestServer, bucket: string, extra: Record<string, unknown> = {}) {
  return s3Sink.spec.parse({ bucket, endpoint: target.endpoint, insecureLoopbackHttp: target.endpoint.startsWith('http:'), accessKeyId: 'env://S3_KEY', secretAccessKey: 'env://S3_SECRET', ...extra });
}

const settings = (fields = ['id', 'email', 'note']): SinkSettings => ({ name: 'crm', clearance: 'restricted', fields });
const context = (secrets: SecretSource = goodSecrets(), baseDir = tmpdir()): CreateContext => ({ baseDir, pipeline: 'pipe', secrets });

function record(fields: Record<string, unknown>): DataRecord {
  return Object.assign(Object.create(null) as DataRecord, fields);
}

async function objectBytes(bucket: string, key: string): Promise<Buffer> {
  const out = await server.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
}

async function keysIn(bucket: string, prefix = ''): Promise<string[]> {
  const connection = await S3Connection.open(options(server, bucket), context(), 'SLUICE_SINK_WRITE_FAILED');
  const keys: string[] = [];
  for await (const page of connection.list(prefix)) for (const object of page.objects) keys.push(object.Key ?? '');
  connection.close();
  return keys.sort();
}

async function put(bucket: string, key: string, body = 'x'): Promise<void> {
  await server.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

function linesOf(plaintext: Buffer): Record<string, unknown>[] {
  return plaintext.toString('utf8').split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
}

test('a stored object is ciphertext: no plaintext field value appears in the raw bytes (at-rest disclosure), and it opens with the keyring to its records', async () => {
  const bucket = await server.newBucket();
  const sink = s3Sink.create(options(server, bucket, { prefix: 'exports' }), settings(['id', 'email']), context());
  const run = { pipeline: 'pipe', runId: newRunId() };
  await sink.open(run, encryption);
  const stored = await sink.write(1, [record({ id: 'c1', email: 'canary-7f3a@example.com', note: 'not for this sink' }), record({ id: 'c2', email: 'second-9b1e@example.com' })]);
  await sink.close();
  const key = `exports/pipe/${run.runId}/part-000001.jsonl.sluice`;
  assert.equal(stored?.location, `s3://${bucket}/${key}`);
  assert.deepEqual(await keysIn(bucket), [key]);
  const raw = await objectBytes(bucket, key);
  assert.equal(raw.subarray(0, 4).toString('latin1'), 'SLCE');
  for (const plaintext of ['canary-7f3a', 'second-9b1e', '@example.com', '"email"', 'not for this sink']) assert.ok(!raw.includes(plaintext), `${plaintext} is not in the stored bytes`);
  const { plaintext, context: bound } = await openObjectBuffer(raw, encryption.keys, key);
  assert.deepEqual(linesOf(plaintext), [{ id: 'c1', email: 'canary-7f3a@example.com' }, { id: 'c2', email: 'second-9b1e@example.com' }]);
  assert.deepEqual(bound, { pipeline: 'pipe', run: run.runId, dataset: 'crm', classification: 'restricted', batch: '1', format: 'jsonl' });
});

test('a rewritten batch replaces its object (a replayed batch is not duplicated)', async () => {
  const bucket = await server.newBucket();
  const sink = s3Sink.create(options(server, bucket), settings(), context());
  const run = { pipeline: 'pipe', runId: newRunId() };
  await sink.open(run, encryption);
  await sink.write(1, [record({ id: 'first' })]);
  await sink.write(1, [record({ id: 'again' })]);
  await sink.write(2, [record({ id: 'next' })]);
  await sink.close();
  const keys = await keysIn(bucket);
  assert.deepEqual(keys, [`pipe/${run.runId}/part-000001.jsonl.sluice`, `pipe/${run.runId}/part-000002.jsonl.sluice`]);
  const first = await openObjectBuffer(await objectBytes(bucket, keys[0] ?? ''), encryption.keys, 'part-1');
  assert.deepEqual(linesOf(first.plaintext), [{ id: 'again' }]);
});

/** An s3 sink that also keeps the digest of each sealed object it was handed, to compare with what was stored. */
class DigestingS3Sink extends S3Sink {
  readonly digests = new Map<number, string>();
  protected override async _write(batch: SinkBatch): Promise<string> {
    const hash = createHash('sha256');
    for (const piece of batch.pieces) hash.update(piece);
    this.digests.set(batch.batch, hash.digest('hex'));
    return super._write(batch);
  }
}

test('a batch over 5 MiB goes up in parts, with its SSE header, and is stored byte-identical (sha256)', async () => {
  const bucket = await server.newBucket();
  const sink = new DigestingS3Sink(options(server, bucket, { serverSideEncryption: 'AES256' }), settings(['id', 'note']), context());
  const run = { pipeline: 'pipe', runId: newRunId() };
  await sink.open(run, encryption);
  const records = Array.from({ length: 6000 }, (_, i) => record({ id: `r${i}`, note: randomBytes(500).toString('hex') }));
  const from = server.requests.length;
  await sink.write(1, records);
  await sink.close();
  const key = `pipe/${run.runId}/part-000001.jsonl.sluice`;
  const stored = await objectBytes(bucket, key);
  assert.ok(stored.length > 5 * 1024 * 1024, `the object is ${stored.length} bytes`);
  assert.equal(createHash('sha256').update(stored).digest('hex'), sink.digests.get(1));
  const requests = server.requests.slice(from).filter((request) => request.url.startsWith(`/${bucket}/${key}`));
  const initiate = requests.find((request) => request.method === 'POST' && /[?&]uploads(=|&|$)/.test(request.url));
  assert.ok(initiate, 'a multipart upload was started');
  assert.equal(initiate.headers['x-amz-server-side-encryption'], 'AES256');
  assert.ok(requests.filter((request) => request.method === 'PUT' && request.url.includes('partNumber=')).length >= 2, 'in two parts or more');
  const { plaintext } = await openObjectBuffer(stored, encryption.keys, key);
  assert.deepEqual(linesOf(plaintext).map((r) => r.id), records.map((r) => r.id));
});

test('server-side encryption with a KMS key sends both SSE headers with the upload', async () => {
  const bucket = await server.newBucket();
  const sink = s3Sink.create(options(server, bucket, { serverSideEncryption: 'aws:kms', kmsKeyId: 'alias/sluice-test' }), settings(), context());
  await sink.open({ pipeline: 'pipe', runId: newRunId() }, encryption);
  const from = server.requests.length;
  await sink.write(1, [record({ id: 'c1' })]);
  await sink.close();
  const upload = server.requests.slice(from).find((request) => request.method === 'PUT' && request.url.startsWith(`/${bucket}/pipe/`));
  assert.ok(upload, 'the object was PUT');
  assert.equal(upload.headers['x-amz-server-side-encryption'], 'aws:kms');
  assert.equal(upload.headers['x-amz-server-side-encryption-aws-kms-key-id'], 'alias/sluice-test');
});

test('prune removes the objects of expired runs of this pipeline only: not the kept run, newer runs, other folders or pipelines', async () => {
  const bucket = await server.newBucket();
  const old1 = '20200101T000000Z-aaaaaa';
  const old2 = '20200102T000000Z-bbbbbb';
  const keep = '20200103T000000Z-cccccc';
  const recent = newRunId();
  const planted = [
    `x/pipe/${old1}/part-000001.jsonl.sluice`,
    `x/pipe/${old1}/part-000002.jsonl.sluice`,
    `x/pipe/${old2}/part-000001.jsonl.sluice`,
    `x/pipe/${keep}/part-000001.jsonl.sluice`,
    `x/pipe/${recent}/part-000001.jsonl.sluice`,
    'x/pipe/not-a-run/part-000001.jsonl.sluice',
    `x/pipe2/${old1}/part-000001.jsonl.sluice`,
    `y/pipe/${old1}/part-000001.jsonl.sluice`,
  ];
  for (const key of planted) await put(bucket, key);
  const sink = s3Sink.create(options(server, bucket, { prefix: 'x/' }), settings(), context());
  await sink.open({ pipeline: 'pipe', runId: keep }, encryption);
  const pruned = await sink.prune(new Date('2021-01-01T00:00:00Z'), keep);
  await sink.close();
  assert.deepEqual(pruned.sort(), [old1, old2]);
  assert.deepEqual(await keysIn(bucket), planted.filter((key) => !key.startsWith(`x/pipe/${old1}/`) && !key.startsWith(`x/pipe/${old2}/`)).sort());
});

test('discard removes one run\'s objects; a run id that names another folder is refused and removes nothing', async () => {
  const bucket = await server.newBucket();
  const abandoned = '20200101T000000Z-aaaaaa';
  const current = newRunId();
  for (const key of [`pipe/${abandoned}/part-000001.jsonl.sluice`, `pipe/${abandoned}/part-000002.jsonl.sluice`, `pipe/${current}/part-000001.jsonl.sluice`, `pipe/${abandoned}-other/part-000001.jsonl.sluice`]) await put(bucket, key);
  const sink = s3Sink.create(options(server, bucket), settings(), context());
  await sink.open({ pipeline: 'pipe', runId: current }, encryption);
  assert.equal(await sink.discard(abandoned), true);
  for (const attack of ['..', '.', '', '../other', `${abandoned}/../${current}`]) {
    await assert.rejects(sink.discard(attack), (error) => isSluiceError(error, 'SLUICE_SINK_PATH_ESCAPE'), JSON.stringify(attack));
  }
  await sink.close();
  assert.deepEqual(await keysIn(bucket), [`pipe/${abandoned}-other/part-000001.jsonl.sluice`, `pipe/${current}/part-000001.jsonl.sluice`]);
});

test('a missing bucket fails when the sink opens, with an error naming the bucket', async () => {
  const sink = s3Sink.create(options(server, 'no-such-bucket-4d1c'), settings(), context());
  await assert.rejects(sink.open({ pipeline: 'pipe', runId: newRunId() }, encryption), (error) => {
    assert.ok(isSluiceError(error, 'SLUICE_SINK_WRITE_FAILED'));
    assert.match(error.message, /bucket 'no-such-bucket-4d1c' does not exist at http:\/\/127\.0\.0\.1:\d+; create it/);
    assert.equal(error.retryable, false);
    return true;
  });
  await sink.close();
});

test('refused credentials fail with an error carrying neither the planted secret nor the key id (credential leak attack), and their cached values are dropped', async () => {
  const bucket = await server.newBucket();
  const plantedKeyId = 'AKIAPLANTEDKEYID7Q2W';
  const plantedSecret = 'planted-secret-access-key-3c9e81f0aa';
  const secrets = secretsOf({ S3_KEY: plantedKeyId, S3_SECRET: plantedSecret });
  const sink = s3Sink.create(options(server, bucket), settings(), context(secrets));
  await assert.rejects(sink.open({ pipeline: 'pipe', runId: newRunId() }, encryption), (error) => {
    assert.ok(isSluiceError(error, 'SLUICE_SINK_WRITE_FAILED'));
    assert.match(error.message, /denied access to bucket '.*' \(HTTP 403\).*check the secrets env:\/\/S3_KEY, env:\/\/S3_SECRET/);
    for (const shown of [error.message, JSON.stringify(error), inspect(error, { depth: 8 })]) assert.ok(!shown.includes(plantedSecret), 'the secret key never shows');
    assert.ok(!error.message.includes(plantedKeyId), 'the key id is not in the message');
    return true;
  });
  assert.deepEqual(secrets.invalidated.sort(), ['env://S3_KEY', 'env://S3_SECRET']);
  await sink.close();
});

const certificate = selfSignedCertificate();
const caDir = mkdtempSync(join(tmpdir(), 'sluice-s3-ca-'));
writeFileSync(join(caDir, 'ca.pem'), certificate.cert);
const tlsServer = await startS3Server({ tls: certificate });
after(() => tlsServer.close());

test('an https endpoint whose self-signed certificate is not in tls.ca, or whose key is not pinned, is refused (man-in-the-middle attack); with its CA it works', async () => {
  const bucket = await tlsServer.newBucket();
  const run = { pipeline: 'pipe', runId: newRunId() };
  const untrusting = s3Sink.create(options(tlsServer, bucket), settings(), context(goodSecrets(), caDir));
  await assert.rejects(untrusting.open(run, encryption), (error) => {
    assert.ok(isSluiceError(error, 'SLUICE_SINK_WRITE_FAILED'));
    assert.match(error.message, /TLS certificate of https:\/\/127\.0\.0\.1:\d+ was not accepted \(\w+\); if a private CA issued it, set tls\.ca/);
    return true;
  });
  await untrusting.close();
  const mispinned = s3Sink.create(options(tlsServer, bucket, { tls: { ca: 'ca.pem', pins: [`sha256/${'A'.repeat(43)}=`] } }), settings(), context(goodSecrets(), caDir));
  await assert.rejects(mispinned.open(run, encryption), (error) => isSluiceError(error, 'SLUICE_SINK_WRITE_FAILED') && /carries none of the pinned public keys .*add its pin to tls\.pins/.test(error.message));
  await mispinned.close();
  const trusting = s3Sink.create(options(tlsServer, bucket, { tls: { ca: 'ca.pem' } }), settings(), context(goodSecrets(), caDir));
  await trusting.open(run, encryption);
  const stored = await trusting.write(1, [record({ id: 'c1' })]);
  await trusting.close();
  assert.equal(stored?.location, `s3://${bucket}/pipe/${run.runId}/part-000001.jsonl.sluice`);
});

test(
  'an https endpoint whose key is among tls.pins (as spkiPin computes them from the certificate) is accepted',
  async () => {
    const bucket = await tlsServer.newBucket();
    const pins = [spkiPin(new X509Certificate(certificate.cert))];
    const pinned = s3Sink.create(options(tlsServer, bucket, { tls: { ca: 'ca.pem', pins } }), settings(), context(goodSecrets(), caDir));
    try {
      await pinned.open({ pipeline: 'pipe', runId: newRunId() }, encryption);
    } finally {
      await pinned.close();
    }
  },
);

test('end to end: runPipeline writes every batch to S3, each object opens to its records, and retention prunes an expired run', async () => {
  const bucket = await server.newBucket();
  const expired = '20200101T000000Z-aaaaaa';
  await put(bucket, `runs/test/${expired}/part-000001.jsonl.sluice`);
  datasets.set('s3-e2e', Array.from({ length: 35 }, (_, i) => ({ id: `c${i + 1}`, email: `user${i + 1}@example.com` })));
  const registry = new ComponentRegistry([memorySource, s3Sink]);
  const document = {
    pipeline: 'test',
    retention: '30d',
    source: { memory: { dataset: 's3-e2e' } },
    contract: { fields: { id: { type: 'string', class: 'internal' }, email: { type: 'string', class: 'restricted', pii: 'email' } } },
    sinks: [{ s3: { bucket, prefix: 'runs/', endpoint: server.endpoint, insecureLoopbackHttp: true, accessKeyId: 'env://S3_KEY', secretAccessKey: 'env://S3_SECRET', clearance: 'restricted' } }],
    runtime: { batchSize: 10 },
  };
  const dir = mkdtempSync(join(tmpdir(), 'sluice-s3-run-'));
  const validated = validateSpec(document, registry, fileOnlyLocator('test.yaml'), dir);
  assert.deepEqual(validated.issues, []);
  assert.ok(validated.spec);
  const store = new SqliteStateStore(join(dir, 'state.db'));
  try {
    const result = await runPipeline({ plan: planPipeline(validated.spec), store, stateDir: dir, encryption, specHash: 'h', logger: pino({ level: 'silent' }), secrets: goodSecrets() });
    assert.equal(result.run.status, 'succeeded');
    assert.equal(result.pruned, 1);
    assert.deepEqual(result.outputs, [{ sink: 's3', location: `s3://${bucket}/runs/test/${result.run.id}/` }]);
    const keys = await keysIn(bucket);
    assert.deepEqual(keys, [1, 2, 3, 4].map((batch) => `runs/test/${result.run.id}/part-00000${batch}.jsonl.sluice`));
    const ids: unknown[] = [];
    for (const key of keys) {
      const raw = await objectBytes(bucket, key);
      assert.ok(!raw.includes('@example.com'), 'no email in plaintext at rest');
      ids.push(...linesOf((await openObjectBuffer(raw, encryption.keys, key)).plaintext).map((r) => r.id));
    }
    assert.deepEqual(ids, Array.from({ length: 35 }, (_, i) => `c${i + 1}`));
  } finally {
    await store.close();
  }
});
