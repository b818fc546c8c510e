// A cluster run into S3-compatible storage (s3rver on loopback): two workers write each task's batches as sealed
// objects named by run, task and batch, the state store records exactly the objects in the bucket, and every
// object opens to its records, each input record once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { CUSTOMER_CONTRACT_FIELDS, runCli } from './support/cli-harness.ts';
import { serviceMissing } from './support/services.ts';
import { LOCAL_POSTGRES } from './support/postgres-scratch.ts';
import { clusterFolder, startWorker, stopWorkers, workerReady } from './support/cluster-harness.ts';
import { startPrivateNats } from './support/nats-server.ts';
import type { PrivateNats } from './support/nats-server.ts';
import type { WorkerProcess } from './support/cluster-harness.ts';
import { S3RVER_KEY, startS3Server } from './support/s3-server.ts';
import type { S3TestServer } from './support/s3-server.ts';
import { writeCustomers } from './support/generate-customers.ts';
import { PostgresStateStore } from '../src/store/postgres/postgres-state-store.ts';
import { Keyring } from '../src/crypto/keyring/keyring.ts';
import { LocalKeyProvider, parseRootKey } from '../src/crypto/providers/local-provider.ts';
import { openObjectBuffer } from '../src/crypto/envelope/envelope.ts';

const skip = await serviceMissing('postgresql');
let nats: PrivateNats;
let s3: S3TestServer;
before(async () => {
  if (skip) return;
  nats = await startPrivateNats();
  s3 = await startS3Server();
});
after(async () => {
  await nats?.close();
  await s3?.close();
});

test('a cluster run on two workers writes sealed objects to S3 named by run, task and batch; the store records exactly those objects, and each record is in them once', { skip, timeout: 180_000 }, async () => {
  const folder = await clusterFolder(nats.port, { taskBytes: 256 * 1024 });
  const { dir } = folder;
  const saved = { key: process.env.SLUICE_MASTER_KEY, id: process.env.S3_TEST_KEY, secret: process.env.S3_TEST_SECRET };
  const rootKey = randomBytes(32).toString('hex');
  process.env.SLUICE_MASTER_KEY = rootKey;
  process.env.S3_TEST_KEY = S3RVER_KEY;
  process.env.S3_TEST_SECRET = S3RVER_KEY;
  const workers: WorkerProcess[] = [];
  try {
    const bucket = await s3.newBucket('cluster');
    await writeCustomers(join(dir, 'customers.jsonl'), 12_000);
    await writeFile(
      join(dir, 'pipeline.yaml'),
      `pipeline: tos3
source:
  file: { path: customers.jsonl }
contract:
  fields:
${CUSTOMER_CONTRACT_FIELDS}steps:
  - mask: { fields: [card_number], keepLast: 4 }
sinks:
  - s3: { bucket: ${bucket}, prefix: runs/, endpoint: ${s3.endpoint}, insecureLoopbackHttp: true, accessKeyId: env://S3_TEST_KEY, secretAccessKey: env://S3_TEST_SECRET, clearance: restricted }
runtime:
  batchSize: 1000
`,
    );
    assert.equal((await runCli(dir, 'keys', 'init')).code, 0);
    for (const name of ['s3-a', 's3-b']) workers.push(startWorker(dir, name));
    await Promise.all(workers.map((w) => workerReady(w)));
    const ran = await runCli(dir, 'run', '--cluster', '--progress', 'none', 'pipeline.yaml');
    assert.equal(ran.code, 0, ran.stdout + ran.stderr);
    assert.match(ran.stdout, /records in\s+12,000/);
    assert.match(ran.stdout, /on 2 worker\(s\)/);

    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'runs/' }));
    const keys = (listed.Contents ?? []).map((o) => o.Key ?? '').sort();
    assert.ok(keys.length > 2 && keys.every((key) => /^runs\/tos3\/[^/]+\/part-t\d{6}-\d{6}\.jsonl\.sluice$/.test(key)), keys.join('\n'));

    const store = await PostgresStateStore.open({ connectionString: `postgresql://${LOCAL_POSTGRES.user}@${LOCAL_POSTGRES.host}:${LOCAL_POSTGRES.port}/${LOCAL_POSTGRES.database}`, schema: folder.schema });
    const keyring = new Keyring(store, new LocalKeyProvider(parseRootKey(rootKey, 'test')));
    try {
      const [run] = await store.listRuns({ pipeline: 'tos3' });
      const recorded = (await store.listObjects({ runId: run!.id })).map((o) => o.location).sort();
      assert.deepEqual(recorded, keys.map((key) => `s3://${bucket}/${key}`), 'the store records exactly the objects in the bucket');
      const ids: string[] = [];
      for (const key of keys) {
        const body = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        const raw = Buffer.from(await body.Body!.transformToByteArray());
        assert.ok(!raw.includes('"email"') && !raw.includes('customer_id'), 'no record text in plaintext at rest');
        const { plaintext } = await openObjectBuffer(raw, keyring, key);
        for (const line of plaintext.toString('utf8').split('\n')) if (line !== '') ids.push((JSON.parse(line) as { customer_id: string }).customer_id);
      }
      assert.equal(ids.length, 12_000);
      assert.equal(new Set(ids).size, 12_000);
    } finally {
      keyring.close();
      await store.close();
    }
  } finally {
    await stopWorkers(workers);
    for (const [name, value] of [['SLUICE_MASTER_KEY', saved.key], ['S3_TEST_KEY', saved.id], ['S3_TEST_SECRET', saved.secret]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await folder.close();
  }
});
