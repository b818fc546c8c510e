// The s3 source against s3rver in-process: plain JSON Lines objects in key order, resumable at (key, line) from
// any batch end, gzip, malformed lines with their s3:// refs, sealed objects refused, large objects streamed,
// replaced objects refused on resume, and clear failures for a missing bucket or refused credentials.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { pino } from 'pino';
import { s3Source } from './s3-source.ts';
import type { SourceBatch, SourcePosition } from '../source.ts';
import { s3Sink } from '../sinks/s3-sink.ts';
import type { CreateContext, SecretSource } from '../../spec/component.ts';
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
import { S3RVER_KEY, startS3Server } from '../../../test/support/s3-server.ts';
import { testEncryption } from '../../../test/support/test-keyring.ts';
import { collected, collectingSink, reader as collectorKeys, sinkRecords } from '../../../test/support/memory-components.ts';

const server = await startS3Server();
after(() => server.close());

function secretsOf(values: Record<string, string>): SecretSource {
  return new SecretResolver({ providers: [new EnvSecretProvider(values)], registry: new RedactionRegistry() });
}
const context = (secrets = secretsOf({ S3_KEY: S3RVER_KEY, S3_SECRET: S3RVER_KEY })): CreateContext => ({ baseDir: tmpdir(), pipeline: 'pipe', secrets });
const connection = { endpoint: server.endpoint, insecureLoopbackHttp: true, accessKeyId: 'env://S3_KEY', secretAccessKey: 'env://S3_SECRET' };

function source(bucket: string, extra: Record<string, unknown> = {}, secrets?: SecretSource) {
  return s3Source.create(s3Source.spec.parse({ bucket, ...connection, ...extra }), context(secrets));
}

async function put(bucket: string, key: string, body: string | Buffer): Promise<void> {
  await server.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from(body) }));
}

/** The records of some batches as plain objects (records carry no prototype), to compare with literals. */
const recordsOf = (batches: SourceBatch[]) => batches.flatMap((b) => b.records.map((r) => ({ ...(r as object) })));

/** Every batch from `from` on. */
async function readAll(bucket: string, extra: Record<string, unknown> = {}, from?: SourcePosition, batchSize = 2): Promise<SourceBatch[]> {
  const reader = await source(bucket, extra).open(from, { follow: false });
  const batches: SourceBatch[] = [];
  try {
    for await (const batch of reader.batches(batchSize)) batches.push(batch);
  } finally {
    await reader.close();
  }
  return batches;
}

const jsonl = (...records: object[]) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';

test('plain JSON Lines objects are read in key order across objects; other suffixes, folder markers and other prefixes are skipped; refs are s3://bucket/key:line', async () => {
  const bucket = await server.newBucket();
  await put(bucket, 'in/b.jsonl', jsonl({ id: 4 }, { id: 5 }) + '\n');
  await put(bucket, 'in/a.jsonl', jsonl({ id: 1 }, { id: 2 }, { id: 3 }));
  await put(bucket, 'in/c.csv', 'id\n9\n');
  await put(bucket, 'in/sub/', '');
  await put(bucket, 'in/d.jsonl', '{"id":6}');
  await put(bucket, 'other/x.jsonl', jsonl({ id: 99 }));
  const batches = await readAll(bucket, { prefix: 'in/', suffix: '.jsonl' });
  assert.deepEqual(recordsOf(batches), [1, 2, 3, 4, 5, 6].map((id) => ({ id })));
  assert.deepEqual(batches.flatMap((b) => b.refs), ['a.jsonl:1', 'a.jsonl:2', 'a.jsonl:3', 'b.jsonl:1', 'b.jsonl:2', 'd.jsonl:1'].map((ref) => `s3://${bucket}/in/${ref}`));
  assert.deepEqual(batches.map((b) => b.records.length), [2, 2, 2]);
  // A batch may span objects; it ends where its last record ends.
  const { key, offset, line, tail } = batches[1]?.end ?? {};
  assert.deepEqual({ key, offset, line }, { key: 'in/b.jsonl', offset: 9, line: 1 });
  assert.equal(tail, createHash('sha256').update('{"id":4}\n').digest('hex'), 'with the digest of the bytes before it');
});

test('resume at (key, line): from every batch end, the rest is exactly what a full read yields after it', async () => {
  const bucket = await server.newBucket();
  await put(bucket, 'p/1.jsonl', jsonl({ n: 1 }, { n: 2 }, { n: 3 }));
  await put(bucket, 'p/2.jsonl', '\n' + jsonl({ n: 4 }));
  await put(bucket, 'p/3.jsonl.gz', gzipSync(jsonl({ n: 5 }, { n: 6 }, { n: 7 })));
  await put(bucket, 'p/4.jsonl', jsonl({ n: 8 }));
  for (const batchSize of [1, 2, 3]) {
    const full = await readAll(bucket, { prefix: 'p/' }, undefined, batchSize);
    const all = recordsOf(full);
    assert.deepEqual(all, [1, 2, 3, 4, 5, 6, 7, 8].map((n) => ({ n })));
    let seen = 0;
    for (const batch of full) {
      seen += batch.records.length;
      const rest = await readAll(bucket, { prefix: 'p/' }, JSON.parse(JSON.stringify(batch.end)) as SourcePosition, batchSize);
      assert.deepEqual(recordsOf(rest), all.slice(seen), `batch size ${batchSize}, resumed after ${seen}`);
      assert.deepEqual(rest.flatMap((b) => b.refs), full.flatMap((b) => b.refs).slice(seen));
    }
  }
});

test('an object replaced or removed since the saved position is refused on resume; a forged position is refused at open', async () => {
  const bucket = await server.newBucket();
  await put(bucket, 'p/1.jsonl', jsonl({ n: 1 }, { n: 2 }, { n: 3 }));
  const [first] = await readAll(bucket, { prefix: 'p/' });
  assert.ok(first);
  await put(bucket, 'p/1.jsonl', jsonl({ n: 10 }, { n: 20 }, { n: 30 }));
  await assert.rejects(readAll(bucket, { prefix: 'p/' }, first.end), (error) => isSluiceError(error, 'SLUICE_RESUME_MISMATCH') && /was replaced/.test(error.message));
  await server.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'p/1.jsonl' }));
  await assert.rejects(readAll(bucket, { prefix: 'p/' }, first.end), (error) => isSluiceError(error, 'SLUICE_RESUME_MISMATCH') && /is gone/.test(error.message));
  const forged = [{ ...first.end, offset: -1 }, { ...first.end, key: 'elsewhere/1.jsonl' }, { offset: 3, line: 1 }, { ...first.end, tail: 7 }] as SourcePosition[];
  for (const from of forged) await assert.rejects(source(bucket, { prefix: 'p/' }).open(from), (error) => isSluiceError(error, 'SLUICE_RESUME_MISMATCH'), JSON.stringify(from));
});

test('an object edited only after the saved position (the line that failed fixed) resumes there; an edit before it is refused', async () => {
  const bucket = await server.newBucket();
  const pad = 'p'.repeat(3000);
  // Long lines, so the digested tail (4 KiB) reaches back across more than one line and into the resumed range.
  await put(bucket, 'f/1.jsonl', jsonl({ n: 1, pad }, { n: 2, pad }, { n: 3, pad }) + '{"n":4,broken\n' + jsonl({ n: 5 }));
  const reader = await source(bucket, { prefix: 'f/' }).open(undefined);
  const batches: SourceBatch[] = [];
  await assert.rejects(
    (async () => {
      for await (const batch of reader.batches(2)) batches.push(batch);
    })(),
    (error) => isSluiceError(error, 'SLUICE_INPUT_MALFORMED'),
  );
  await reader.close();
  const committed = batches[0];
  assert.ok(committed && typeof committed.end.tail === 'string', 'a plain object position carries a tail digest');
  await put(bucket, 'f/1.jsonl', jsonl({ n: 1, pad }, { n: 2, pad }, { n: 3, pad }, { n: 4 }, { n: 5 }));
  const rest = await readAll(bucket, { prefix: 'f/' }, committed.end);
  assert.deepEqual(recordsOf(rest), [{ n: 3, pad }, { n: 4 }, { n: 5 }]);
  // Resumed again from a batch end of the resumed read: the window reached back far enough to digest it.
  assert.equal(typeof rest[0]?.end.tail, 'string');
  await put(bucket, 'f/1.jsonl', jsonl({ n: 1, pad: 'q'.repeat(3000) }, { n: 2, pad }, { n: 3, pad }, { n: 4 }));
  await assert.rejects(readAll(bucket, { prefix: 'f/' }, committed.end), (error) => isSluiceError(error, 'SLUICE_RESUME_MISMATCH') && /differs before that position/.test(error.message));
});

test('malformed lines: onMalformed fail names s3://bucket/key:line without quoting the line; quarantine sets them aside and reads on', async () => {
  const bucket = await server.newBucket();
  await put(bucket, 'm/a.jsonl', '{"id":1}\n{"id":2,"ssn":"078-05-1120"\n[1,2]\n{"id":4}\n');
  await assert.rejects(readAll(bucket, { prefix: 'm/' }), (error) => {
    assert.ok(isSluiceError(error, 'SLUICE_INPUT_MALFORMED'));
    assert.ok(error.message.startsWith(`s3://${bucket}/m/a.jsonl:2: not valid JSON`), error.message);
    assert.ok(!error.message.includes('078-05-1120'), 'the line is not quoted');
    return true;
  });
  const batches = await readAll(bucket, { prefix: 'm/', onMalformed: 'quarantine' }, undefined, 10);
  assert.deepEqual(recordsOf(batches), [{ id: 1 }, { id: 4 }]);
  assert.deepEqual(batches.flatMap((b) => b.malformed.map((m) => m.ref)), [`s3://${bucket}/m/a.jsonl:2`, `s3://${bucket}/m/a.jsonl:3`]);
  assert.match(batches[0]?.malformed[1]?.reason ?? '', /an array, not a JSON object/);
});

test('a __proto__ key in a line stays data (prototype pollution attack)', async () => {
  const bucket = await server.newBucket();
  await put(bucket, 'x.jsonl', '{"__proto__":{"polluted":true},"id":1}\n');
  const [batch] = await readAll(bucket);
  const record = batch?.records[0] as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(record), null);
  assert.deepEqual(Object.keys(record), ['__proto__', 'id']);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('a sealed Sluice object under the prefix is refused with a clear error rather than read as text; a suffix skips it', async () => {
  const bucket = await server.newBucket();
  const sink = s3Sink.create(s3Sink.spec.parse({ bucket, prefix: 'mixed/', ...connection }), { name: 's', clearance: 'internal', fields: ['id'] }, context());
  await sink.open({ pipeline: 'pipe', runId: newRunId() }, await testEncryption());
  await sink.write(1, [Object.assign(Object.create(null) as Record<string, unknown>, { id: 'sealed' })]);
  await sink.close();
  await put(bucket, 'mixed/plain.jsonl', jsonl({ id: 'plain' }));
  await assert.rejects(readAll(bucket, { prefix: 'mixed/' }), (error) => isSluiceError(error, 'SLUICE_INPUT_UNREADABLE') && /is a sealed Sluice object; the s3 source reads plain JSON Lines objects only/.test(error.message));
  const batches = await readAll(bucket, { prefix: 'mixed/', suffix: '.jsonl' });
  assert.deepEqual(recordsOf(batches), [{ id: 'plain' }]);
});

test('a corrupt gzip object fails naming it', async () => {
  const bucket = await server.newBucket();
  await put(bucket, 'bad.jsonl.gz', gzipSync(jsonl({ id: 1 })).subarray(0, 12));
  await assert.rejects(readAll(bucket), (error) => isSluiceError(error, 'SLUICE_INPUT_UNREADABLE') && error.message.includes(`s3://${bucket}/bad.jsonl.gz`));
});

test('a large object is streamed: the first batch arrives having read only a part of it', async () => {
  const bucket = await server.newBucket();
  const line = JSON.stringify({ id: 'x', pad: 'y'.repeat(1000) }) + '\n';
  const body = Buffer.from(line.repeat(8000));
  await put(bucket, 'big.jsonl', body);
  const reader = await source(bucket).open(undefined);
  try {
    const iterator = reader.batches(10)[Symbol.asyncIterator]();
    const first = await iterator.next();
    assert.equal(first.done, false);
    assert.equal(first.value?.records.length, 10);
    const { done } = reader.progress();
    assert.ok(done < body.length / 2, `read ${done} of ${body.length} bytes for the first batch`);
    await iterator.return?.();
  } finally {
    await reader.close();
  }
});

test('a missing bucket fails when the source opens, naming the bucket', async () => {
  await assert.rejects(source('no-such-bucket-77aa').open(undefined), (error) => isSluiceError(error, 'SLUICE_SOURCE_FAILED') && /bucket 'no-such-bucket-77aa' does not exist/.test(error.message));
});

test('refused credentials fail the source without the planted secret in the error (credential leak attack)', async () => {
  const bucket = await server.newBucket();
  const planted = 'planted-source-secret-51d0c2e7';
  const secrets = secretsOf({ S3_KEY: 'AKIAPLANTEDSOURCE001', S3_SECRET: planted });
  await assert.rejects(source(bucket, {}, secrets).open(undefined), (error) => {
    assert.ok(isSluiceError(error, 'SLUICE_SOURCE_FAILED'));
    assert.match(error.message, /denied access .*check the secrets env:\/\/S3_KEY, env:\/\/S3_SECRET/);
    assert.ok(!error.message.includes(planted) && !error.message.includes('AKIAPLANTEDSOURCE001'));
    return true;
  });
});

test('end to end: runPipeline reads S3 objects into a sink, resuming a failed run where its last batch committed', async () => {
  const bucket = await server.newBucket();
  const customer = (n: number) => ({ id: `c${n}`, email: `u${n}@example.com` });
  await put(bucket, 'crm/2024-01.jsonl', jsonl(...[1, 2, 3, 4, 5, 6, 7].map(customer)) + '{"id":"c8",broken\n');
  await put(bucket, 'crm/2024-02.jsonl', jsonl(customer(9), customer(10)));
  const registry = new ComponentRegistry([s3Source, collectingSink]);
  const encryption = await testEncryption();
  collectorKeys.keys = encryption.keys;
  collected.clear();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-s3-source-run-'));
  const store = new SqliteStateStore(join(dir, 'state.db'));
  const run = async () => {
    const document = {
      pipeline: 'from-s3',
      source: { s3: { bucket, prefix: 'crm/', ...connection } },
      contract: { fields: { id: { type: 'string', class: 'internal' }, email: { type: 'string', class: 'confidential', pii: 'email' } } },
      sinks: [{ collect: { name: 'out', clearance: 'confidential' } }],
      runtime: { batchSize: 3 },
    };
    const validated = validateSpec(document, registry, fileOnlyLocator('p.yaml'), dir);
    assert.deepEqual(validated.issues, []);
    assert.ok(validated.spec);
    return runPipeline({ plan: planPipeline(validated.spec), store, stateDir: dir, encryption, specHash: 'h', logger: pino({ level: 'silent' }), secrets: secretsOf({ S3_KEY: S3RVER_KEY, S3_SECRET: S3RVER_KEY }) });
  };
  try {
    await assert.rejects(run(), (error) => isSluiceError(error, 'SLUICE_INPUT_MALFORMED') && error.message.startsWith(`s3://${bucket}/crm/2024-01.jsonl:8`));
    assert.deepEqual(sinkRecords('out').map((r) => r.id), ['c1', 'c2', 'c3', 'c4', 'c5', 'c6']);
    // The line is fixed in place: the object changes, but only after the committed position, so the run resumes.
    await put(bucket, 'crm/2024-01.jsonl', jsonl(...[1, 2, 3, 4, 5, 6, 7, 8].map(customer)));
    const result = await run();
    assert.equal(result.run.status, 'succeeded');
    assert.equal(result.resumedAfterBatch, 2);
    assert.deepEqual(sinkRecords('out').map((r) => r.id), Array.from({ length: 10 }, (_, i) => `c${i + 1}`));
  } finally {
    await store.close();
  }
});
