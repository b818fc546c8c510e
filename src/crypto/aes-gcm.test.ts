// AES-256-GCM through Sluice's wrapper: the Wycheproof vectors of its profile, and refusal of everything else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { openGcm, sealGcm } from './aes-gcm.ts';
import { isSluiceError } from '../errors.ts';

interface Vector { tcId: number; key: string; iv: string; aad: string; msg: string; ct: string; tag: string; result: 'valid' | 'invalid'; flags: string[] }
interface Group { keySize: number; ivSize: number; tagSize: number; tests: Vector[] }
const vectors = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'test', 'vectors', 'aes_gcm_test.json'), 'utf8')) as { testGroups: Group[] };
const hex = (s: string) => Buffer.from(s, 'hex');

test('Wycheproof AES-GCM, 256-bit keys, 96-bit nonces: valid vectors seal and open to the known answer, invalid ones are refused', () => {
  let valid = 0;
  let invalid = 0;
  for (const group of vectors.testGroups.filter((g) => g.keySize === 256 && g.ivSize === 96 && g.tagSize === 128)) {
    for (const v of group.tests) {
      const sealed = Buffer.concat([hex(v.ct), hex(v.tag)]);
      if (v.result === 'valid') {
        assert.deepEqual(sealGcm(hex(v.key), hex(v.iv), hex(v.msg), hex(v.aad)), sealed, `tcId ${v.tcId} seal`);
        assert.deepEqual(openGcm(hex(v.key), hex(v.iv), sealed, hex(v.aad)), hex(v.msg), `tcId ${v.tcId} open`);
        valid++;
      } else {
        assert.throws(() => openGcm(hex(v.key), hex(v.iv), sealed, hex(v.aad)), (e) => isSluiceError(e, 'SLUICE_DECRYPT_FAILED'), `tcId ${v.tcId}`);
        invalid++;
      }
    }
  }
  assert.ok(valid >= 30 && invalid >= 20, `${valid} valid and ${invalid} invalid vectors ran`);
});

test('Wycheproof AES-GCM with other key or nonce sizes: the pinned wrapper refuses them as parameters', () => {
  let refused = 0;
  for (const group of vectors.testGroups.filter((g) => g.keySize !== 256 || g.ivSize !== 96)) {
    for (const v of group.tests) {
      const sealed = Buffer.concat([hex(v.ct), hex(v.tag)]);
      assert.throws(() => openGcm(hex(v.key), hex(v.iv), sealed, hex(v.aad)), (e) => isSluiceError(e, 'SLUICE_CRYPTO_PARAMETERS'), `tcId ${v.tcId}`);
      refused++;
    }
  }
  assert.ok(refused > 200);
});

test('a truncated tag (4, 8 or 15 bytes) is refused, though Node would accept a short tag if it were not pinned', () => {
  const key = randomBytes(32);
  const nonce = randomBytes(12);
  const sealed = sealGcm(key, nonce, Buffer.from('attack at dawn'));
  const body = sealed.subarray(0, sealed.length - 16);
  for (const tagLength of [4, 8, 15]) {
    const forged = Buffer.concat([body, sealed.subarray(sealed.length - 16, sealed.length - 16 + tagLength)]);
    assert.throws(() => openGcm(key, nonce, forged), (e) => isSluiceError(e, 'SLUICE_DECRYPT_FAILED'));
  }
});

test('a flipped bit anywhere, a wrong key or wrong associated data: decryption fails with one generic error', () => {
  const key = randomBytes(32);
  const nonce = randomBytes(12);
  const aad = Buffer.from('pipeline=p');
  const sealed = sealGcm(key, nonce, Buffer.from('secret payload'), aad);
  for (let byte = 0; byte < sealed.length; byte++) {
    const tampered = Buffer.from(sealed);
    tampered[byte] = (tampered[byte] ?? 0) ^ 0x01;
    assert.throws(() => openGcm(key, nonce, tampered, aad), { message: 'decryption failed: wrong key or context, or the data was altered' });
  }
  assert.throws(() => openGcm(randomBytes(32), nonce, sealed, aad), (e) => isSluiceError(e, 'SLUICE_DECRYPT_FAILED'));
  assert.throws(() => openGcm(key, nonce, sealed, Buffer.from('pipeline=q')), (e) => isSluiceError(e, 'SLUICE_DECRYPT_FAILED'));
});
