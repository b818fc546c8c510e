// AES-256-SIV through Sluice's wrapper: the Wycheproof RFC 5297 vectors of its key size, and the refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { sivOpen, sivSeal } from './aes-siv.ts';
import { isSluiceError } from '../errors.ts';

interface Vector { tcId: number; key: string; aad: string; msg: string; ct: string; result: 'valid' | 'invalid' }
const file = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'test', 'vectors', 'aes_siv_cmac_test.json'), 'utf8')) as { testGroups: { keySize: number; tests: Vector[] }[] };
const hex = (s: string) => Buffer.from(s, 'hex');

test('Wycheproof AES-SIV-CMAC with 512-bit keys: valid vectors seal and open to the known answer, invalid ones fail', () => {
  let valid = 0;
  let invalid = 0;
  for (const v of file.testGroups.filter((g) => g.keySize === 512).flatMap((g) => g.tests)) {
    if (v.result === 'valid') {
      assert.equal(sivSeal(hex(v.key), hex(v.aad), hex(v.msg)).toString('hex'), v.ct, `tcId ${v.tcId}`);
      assert.equal(sivOpen(hex(v.key), hex(v.aad), hex(v.ct)).toString('hex'), v.msg, `tcId ${v.tcId}`);
      valid++;
    } else {
      assert.throws(() => sivOpen(hex(v.key), hex(v.aad), hex(v.ct)), (e) => isSluiceError(e, 'SLUICE_DECRYPT_FAILED'), `tcId ${v.tcId}`);
      invalid++;
    }
  }
  assert.ok(valid >= 39 && invalid >= 100, `${valid} valid, ${invalid} invalid`);
});

test('other key sizes are refused by the pinned wrapper', () => {
  for (const v of file.testGroups.filter((g) => g.keySize !== 512).flatMap((g) => g.tests).slice(0, 20)) {
    assert.throws(() => sivSeal(hex(v.key), hex(v.aad), hex(v.msg)), (e) => isSluiceError(e, 'SLUICE_CRYPTO_PARAMETERS'));
  }
});

test('deterministic: same key, aad and value give the same output; another aad or key gives another', () => {
  const key = randomBytes(64);
  const a = sivSeal(key, Buffer.from('d1'), Buffer.from('alice@example.com'));
  assert.ok(a.equals(sivSeal(key, Buffer.from('d1'), Buffer.from('alice@example.com'))));
  assert.ok(!a.equals(sivSeal(key, Buffer.from('d2'), Buffer.from('alice@example.com'))));
  assert.ok(!a.equals(sivSeal(randomBytes(64), Buffer.from('d1'), Buffer.from('alice@example.com'))));
  assert.throws(() => sivOpen(key, Buffer.from('d2'), a), (e) => isSluiceError(e, 'SLUICE_DECRYPT_FAILED'));
});
