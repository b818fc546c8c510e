// Encryption at rest: Sluice's envelope objects against node:crypto AES-256-GCM in 64 KiB segments (the
// in-process limit), `openssl speed` (the machine's limit), the AWS Encryption SDK (raw AES keyring, committing
// suite without signatures) and the npm fernet package, all in this run. Times are CPU time (the targets are
// per core; the AWS SDK otherwise borrows the second core through libuv's threadpool).
import { createCipheriv, hash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { buildClient, CommitmentPolicy, RawAesKeyringNode, RawAesWrappingSuiteIdentifier, AlgorithmSuiteIdentifier } from '@aws-crypto/client-node';
import fernet from 'fernet';
import { Keyring } from '../../src/crypto/keyring/keyring.ts';
import { LocalKeyProvider } from '../../src/crypto/providers/local-provider.ts';
import { SqliteStateStore } from '../../src/store/sqlite/sqlite-state-store.ts';
import { sealObject, sealPieces } from '../../src/crypto/envelope/envelope.ts';
import { Sink } from '../../src/connectors/sink.ts';
import { LinePacker } from '../../src/connectors/line-packer.ts';
import type { SinkBatch } from '../../src/connectors/sink.ts';
import type { BenchRow, BenchSuite } from '../harness.ts';
import { timeInterleaved, timeIt } from '../harness.ts';
import type { Timing } from '../harness.ts';

/** A sink whose connector keeps nothing: what Sink.write costs without a disk. */
class DiscardingSink extends Sink {
  protected async _open(): Promise<void> {}
  protected async _write(batch: SinkBatch): Promise<string> {
    return `discard:${batch.batch}`;
  }
  describe(): string {
    return 'discard';
  }
}

// In sorted key order, as a sink builds its objects' contexts (sink.ts).
const CONTEXT = { batch: '1', classification: 'internal', dataset: 'd', format: 'jsonl', pipeline: 'bench', run: 'r' };

/** node:crypto AES-256-GCM over `data` in segments, each a message of its own, returned as the pieces of the output. */
function gcmSegments(data: Buffer, key: Buffer, segment: number): Buffer[] {
  const parts: Buffer[] = [];
  for (let offset = 0, i = 0; offset < data.length || i === 0; offset += segment, i++) {
    const cipher = createCipheriv('aes-256-gcm', key, randomBytes(12), { authTagLength: 16 });
    parts.push(cipher.update(data.subarray(offset, offset + segment)), cipher.final(), cipher.getAuthTag());
  }
  return parts;
}

/** The AWS SDK's streaming encryption of `data` (written in 1 MiB pieces), returned as the pieces it emitted. */
async function awsStream(encryptStream: EncryptStream, keyring: RawAesKeyringNode, data: Buffer, options: { suiteId: AlgorithmSuiteIdentifier; frameLength?: number }): Promise<Buffer[]> {
  const stream = encryptStream(keyring, options);
  const pieces: Buffer[] = [];
  stream.on('data', (piece: Buffer) => pieces.push(piece));
  const ended = new Promise<void>((resolve, reject) => {
    stream.on('end', () => resolve());
    stream.on('error', reject);
  });
  for (let offset = 0; offset < data.length; offset += 1 << 20) stream.write(data.subarray(offset, offset + (1 << 20)));
  stream.end();
  await ended;
  return pieces;
}
type EncryptStream = ReturnType<typeof buildClient>['encryptStream'];

/** `openssl speed -evp aes-256-gcm` at one size, in MB/s (it prints thousands of bytes per second). */
function opensslSpeed(bytes: number): number {
  const out = execFileSync('openssl', ['speed', '-evp', 'aes-256-gcm', '-bytes', String(bytes), '-seconds', '1'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const line = out.trim().split('\n').pop() ?? '';
  return Number(/([\d.]+)k\s*$/.exec(line)?.[1] ?? 0) / 1000;
}

export const encryptionSuite: BenchSuite = {
  name: 'encryption',
  description: 'Envelope objects (large and 1 KiB) and streamed records against node:crypto, openssl speed, the AWS Encryption SDK and fernet',
  async run({ quick }) {
    const rows: BenchRow[] = [];
    const rounds = quick ? 3 : 5;
    const keyring = new Keyring(new SqliteStateStore(':memory:'), new LocalKeyProvider(randomBytes(32)));
    await keyring.ensure('default');
    const { encrypt, encryptStream } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
    const awsKeyring = new RawAesKeyringNode({ keyName: 'bench', keyNamespace: 'bench', unencryptedMasterKey: new Uint8Array(randomBytes(32)), wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING });
    const awsSuite = AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY;
    const token = new fernet.Token({ secret: new fernet.Secret(randomBytes(32).toString('base64')), ttl: 0 });

    // 1 KiB objects, measured first: the large objects' runs leave hundreds of MB of garbage (the AWS SDK's most)
    // whose collection then fell on whichever side of the small comparison ran next.
    const smallRows: BenchRow[] = [];
    const small = randomBytes(1024);
    const n = quick ? 2000 : 10_000;
    const us = (ms: number, count: number) => (ms * 1000) / count;
    const awsCount = quick ? 100 : 300;
    const fernetCount = quick ? 300 : 1000;
    const smallText = small.toString('base64');
    // Each side on its own, with a warm-up and a median of several rounds. Alternating their rounds was tried: the
    // AWS SDK's and fernet's garbage was then collected in Sluice's time, which looked 1.7× slower for it.
    const envSmall = await timeIt(rounds, async () => {
      for (let i = 0; i < n; i++) await sealObject(small, CONTEXT, keyring, 'default');
    }, 'cpu');
    // Measured straight after the envelope, before the AWS SDK's and fernet's garbage, as the envelope is.
    // The least a format with a fresh data key per object pays: one AES-256-GCM seal of the 1 KiB under a new key
    // (key and nonce drawn from a pool of random bytes, as the envelope draws them), and nothing else. Then the
    // least the format #3 asks for pays: that seal, the data key wrapped under a key-encryption key (a second
    // GCM seal, 32 bytes) and a SHA-256 key commitment, with no header, no keyring and no context encoding. Both
    // show how much of the envelope's time is node:crypto's cost per cipher (making the context, the key
    // schedule, the buffers it returns), which no format built on node:crypto avoids.
    const pool = randomBytes(88 * n);
    const kek = randomBytes(32);
    const commitmentInput = Buffer.alloc(32 + 12 + 64);
    const sealUnder = (key: Buffer, nonce: Buffer, plaintext: Buffer) => {
      const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 });
      cipher.update(plaintext);
      cipher.final();
      return cipher.getAuthTag();
    };
    const gcmSmall = await timeIt(rounds, () => {
      for (let i = 0; i < n; i++) sealUnder(pool.subarray(88 * i, 88 * i + 32), pool.subarray(88 * i + 32, 88 * i + 44), small);
    }, 'cpu');
    const primitivesSmall = await timeIt(rounds, () => {
      for (let i = 0; i < n; i++) {
        const dataKey = pool.subarray(88 * i, 88 * i + 32);
        const nonce = pool.subarray(88 * i + 32, 88 * i + 44);
        sealUnder(kek, pool.subarray(88 * i + 44, 88 * i + 56), dataKey);
        dataKey.copy(commitmentInput, 0);
        nonce.copy(commitmentInput, 32);
        hash('sha256', commitmentInput, 'buffer');
        sealUnder(dataKey, nonce, small);
      }
    }, 'cpu');
    const awsSmall = await timeIt(rounds, async () => {
      for (let i = 0; i < awsCount; i++) await encrypt(awsKeyring, small, { suiteId: awsSuite });
    }, 'cpu');
    const fernetSmall = await timeIt(rounds, () => {
      for (let i = 0; i < fernetCount; i++) token.encode(smallText);
    }, 'cpu');
    const e = us(envSmall.median, n);
    const awsRatio = us(awsSmall.median, awsCount) / e;
    // The encryption issue (#3) asks 60× of this figure, the benchmark issue (#4) 40×: one row for each.
    for (const [issue, at] of [['#3', 60], ['#4', 40]] as const) {
      smallRows.push({ suite: 'encryption', name: `1 KiB object: envelope vs AWS Encryption SDK (${issue})`, value: e, unit: 'µs/object', spread: [us(envSmall.min, n), us(envSmall.max, n)], baseline: { name: 'AWS SDK', value: us(awsSmall.median, awsCount) }, ratio: awsRatio, target: { text: `≥ ${at}×`, met: awsRatio >= at } });
    }
    smallRows.push({ suite: 'encryption', name: '1 KiB object: envelope vs fernet', value: e, unit: 'µs/object', baseline: { name: 'fernet', value: us(fernetSmall.median, fernetCount) }, ratio: us(fernetSmall.median, fernetCount) / e, target: { text: '≥ 20×', met: us(fernetSmall.median, fernetCount) / e >= 20 } });
    const awsUs = us(awsSmall.median, awsCount);
    const fernetUs = us(fernetSmall.median, fernetCount);
    for (const [what, timing] of [['one AES-256-GCM seal under a fresh key, nothing else (any per-object format)', gcmSmall], ["the format's primitives alone: data-key wrap, SHA-256 commitment, payload seal", primitivesSmall]] as const) {
      const floor = us(timing.median, n);
      smallRows.push({ suite: 'encryption', name: `1 KiB floor: ${what}, vs AWS Encryption SDK`, value: floor, unit: 'µs/object', baseline: { name: 'AWS SDK', value: awsUs }, ratio: awsUs / floor });
      smallRows.push({ suite: 'encryption', name: `1 KiB floor: ${what}, vs fernet`, value: floor, unit: 'µs/object', baseline: { name: 'fernet', value: fernetUs }, ratio: fernetUs / floor });
    }
    smallRows.push({ suite: 'encryption', name: "1 KiB object: envelope against the format's primitives alone", value: e, unit: 'µs/object', baseline: { name: 'primitives', value: us(primitivesSmall.median, n) }, ratio: us(primitivesSmall.median, n) / e });

    // Large objects.
    const size = (quick ? 16 : 64) * 1024 * 1024;
    const large = randomBytes(size);
    const mbps = (ms: number, bytes = size) => bytes / 1e6 / (ms / 1000);
    const limit = opensslSpeed(65536);
    // Each side produces the ciphertext of a large object the way it is meant to be used for one: Sluice's sinks
    // write an object's pieces as they are sealed (sealPieces) and never join them; node:crypto's segments are
    // kept as pieces too; the AWS SDK streams (encryptStream, its API for large data, and faster here than its
    // one-shot encrypt, which is shown beside). Joining 64 MiB into one Buffer costs every side the same page
    // faults on these VMs (../shared/crypto-perf.md); sealObject's joined figure is shown for that reason.
    // Both allocate a new 64 KiB piece per chunk, so whether a round finds warm heap or fresh pages moves each by
    // up to 2x here: their rounds alternate, and there are more of them (each takes tens of ms).
    const [envelope, gcm] = (await timeInterleaved(rounds * 3, [() => sealPieces([large], CONTEXT, keyring, 'default'), () => gcmSegments(large, randomBytes(32), 65536)], 'cpu')) as [Timing, Timing];
    const joined = await timeIt(Math.min(rounds, 3), () => sealObject(large, CONTEXT, keyring, 'default'), 'cpu');
    // The SDK as users run it (default 4 KiB frames) carries the target; its best case (64 KiB frames) is shown too.
    const aws = await timeIt(Math.min(rounds, 3), () => awsStream(encryptStream, awsKeyring, large, { suiteId: awsSuite }), 'cpu');
    const awsOneShot = await timeIt(Math.min(rounds, 3), () => encrypt(awsKeyring, large, { suiteId: awsSuite }), 'cpu');
    const awsBig = await timeIt(Math.min(rounds, 3), () => awsStream(encryptStream, awsKeyring, large, { suiteId: awsSuite, frameLength: 65536 }), 'cpu');
    const fernetBytes = 1024 * 1024;
    const fernetText = large.subarray(0, fernetBytes).toString('base64');
    const fernetLarge = await timeIt(1, () => token.encode(fernetText), 'cpu');
    const label = `${size / 1048576} MiB object`;
    const env = mbps(envelope.median);
    rows.push({ suite: 'encryption', name: `${label}: openssl speed (machine limit, 64 KiB)`, value: limit, unit: 'MB/s' });
    rows.push({ suite: 'encryption', name: `${label}: envelope (streamed pieces, as sinks write) vs node:crypto GCM 64 KiB segments`, value: env, unit: 'MB/s', spread: [mbps(envelope.max), mbps(envelope.min)], baseline: { name: 'node:crypto', value: mbps(gcm.median) }, ratio: env / mbps(gcm.median), target: { text: '≥ 0.80×', met: env / mbps(gcm.median) >= 0.8 } });
    rows.push({ suite: 'encryption', name: `${label}: envelope vs AWS Encryption SDK (0x0478, default 4 KiB frames, encryptStream)`, value: env, unit: 'MB/s', baseline: { name: 'AWS SDK', value: mbps(aws.median) }, ratio: env / mbps(aws.median), target: { text: '≥ 6×', met: env / mbps(aws.median) >= 6 } });
    rows.push({ suite: 'encryption', name: `${label}: envelope vs AWS Encryption SDK (0x0478, default frames, one-shot encrypt)`, value: env, unit: 'MB/s', baseline: { name: 'AWS SDK', value: mbps(awsOneShot.median) }, ratio: env / mbps(awsOneShot.median) });
    rows.push({ suite: 'encryption', name: `${label}: envelope vs AWS Encryption SDK (0x0478, 64 KiB frames, its best case)`, value: env, unit: 'MB/s', baseline: { name: 'AWS SDK', value: mbps(awsBig.median) }, ratio: env / mbps(awsBig.median) });
    rows.push({ suite: 'encryption', name: `${label}: envelope joined into one Buffer (sealObject) vs AWS one-shot`, value: mbps(joined.median), unit: 'MB/s', baseline: { name: 'AWS SDK', value: mbps(awsOneShot.median) }, ratio: mbps(joined.median) / mbps(awsOneShot.median) });
    rows.push({ suite: 'encryption', name: `${label}: envelope vs fernet (1 MiB message)`, value: env, unit: 'MB/s', baseline: { name: 'fernet', value: mbps(fernetLarge.median, fernetBytes) }, ratio: env / mbps(fernetLarge.median, fernetBytes) });
    rows.push({ suite: 'encryption', name: `${label}: envelope as a share of openssl speed`, value: (env / limit) * 100, unit: '%' });

    rows.push(...smallRows);

    // Records streamed into batch objects. The target is the envelope layer's: serialized records (JSON Lines
    // text packed into 64 KiB pieces by the sink's LinePacker) sealed into one object. Beside it, the whole
    // Sink.write (project, JSON.stringify, pack, seal) into a connector that keeps nothing, so no disk is measured.
    const records = Array.from({ length: 10_000 }, () => ({ v: randomBytes(760).toString('base64') }));
    const lines = records.map((r) => JSON.stringify(r));
    // A round takes about 20 ms here, so a few more of them steady the median on a shared machine.
    const envelopeOnly = await timeIt(rounds * 3, async () => {
      const packer = new LinePacker();
      const pieces: Buffer[] = [];
      for (const line of lines) packer.add(line, pieces);
      const last = packer.finish();
      if (last) pieces.push(last);
      await sealPieces(pieces, CONTEXT, keyring, 'default');
    }, 'cpu');
    const envelopeRate = records.length / (envelopeOnly.median / 1000);
    rows.push({ suite: 'encryption', name: '1 KiB serialized records streamed into batch objects (envelope layer)', value: envelopeRate, unit: 'records/s', target: { text: '≥ 500,000/s', met: envelopeRate >= 500_000 } });
    const sink = new DiscardingSink({ name: 'bench', clearance: 'internal', fields: ['v'] });
    await sink.open({ pipeline: 'bench', runId: 'r' }, { keys: keyring, keyId: 'default' });
    let batch = 0;
    const streamed = await timeIt(rounds, () => sink.write(++batch, records), 'cpu');
    const rate = records.length / (streamed.median / 1000);
    rows.push({ suite: 'encryption', name: '1 KiB records through Sink.write (project + JSON.stringify + seal)', value: rate, unit: 'records/s' });
    keyring.close();
    return rows;
  },
};
