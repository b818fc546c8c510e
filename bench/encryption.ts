// Encryption at rest against node:crypto in the same run: a 64 MiB object, 1 KiB objects, and 1 KiB records
// streamed into batch objects (the pipeline's case). `npx tsx bench/encryption.ts`. The harness issue adds the
// AWS Encryption SDK and Fernet baselines.
import { createCipheriv, randomBytes } from 'node:crypto';
import { Keyring } from '../src/crypto/keyring/keyring.ts';
import { LocalKeyProvider } from '../src/crypto/providers/local-provider.ts';
import { SqliteStateStore } from '../src/store/sqlite/sqlite-state-store.ts';
import { sealObject } from '../src/crypto/envelope/envelope.ts';

const keyring = new Keyring(new SqliteStateStore(':memory:'), new LocalKeyProvider(randomBytes(32)));
await keyring.ensure('default');
const CONTEXT = { pipeline: 'bench', dataset: 'd', classification: 'internal', run: 'r', batch: '1', format: 'jsonl' };

function gcmSegments(data: Buffer, segment: number): Buffer {
  const key = randomBytes(32);
  const parts: Buffer[] = [];
  for (let offset = 0, i = 0; offset < data.length || i === 0; offset += segment, i++) {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 });
    parts.push(cipher.update(data.subarray(offset, offset + segment)), cipher.final(), cipher.getAuthTag());
  }
  return Buffer.concat(parts);
}

async function median(rounds: number, work: () => unknown): Promise<number> {
  const times: number[] = [];
  await work();
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    await work();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)] ?? 0;
}

const large = randomBytes(64 * 1024 * 1024);
const envelopeLarge = await median(5, () => sealObject(large, CONTEXT, keyring, 'default'));
const gcm64 = await median(5, () => gcmSegments(large, 64 * 1024));
const gcm16 = await median(5, () => gcmSegments(large, 16 * 1024));
const mbps = (ms: number) => ((64 * 1024 * 1024) / 1e6 / (ms / 1000)).toFixed(0);
console.log(`64 MiB: envelope ${mbps(envelopeLarge)} MB/s; node:crypto GCM 64 KiB segments ${mbps(gcm64)} MB/s (ratio ${(gcm64 / envelopeLarge).toFixed(2)}); 16 KiB segments ${mbps(gcm16)} MB/s (ratio ${(gcm16 / envelopeLarge).toFixed(2)})`);

const small = randomBytes(1024);
const N = 20_000;
const envelopeSmall = await median(3, async () => {
  for (let i = 0; i < N; i++) await sealObject(small, CONTEXT, keyring, 'default');
});
const gcmSmall = await median(3, () => {
  for (let i = 0; i < N; i++) gcmSegments(small, 64 * 1024);
});
console.log(`1 KiB objects: envelope ${((envelopeSmall * 1000) / N).toFixed(1)} µs/object; node:crypto one GCM message ${((gcmSmall * 1000) / N).toFixed(1)} µs/object (ratio ${(gcmSmall / envelopeSmall).toFixed(2)})`);

const records = Array.from({ length: 10_000 }, () => randomBytes(768).toString('base64'));
const streamed = await median(5, async () => {
  let text = '';
  for (const record of records) text += `{"v":"${record}"}\n`;
  await sealObject(Buffer.from(text), CONTEXT, keyring, 'default');
});
console.log(`1 KiB records streamed into batch objects of 10,000: ${Math.round(records.length / (streamed / 1000)).toLocaleString('en-US')} records/s (serialize + seal)`);
keyring.close();
