// AES-256-SIV through Sluice's wrapper: the Wycheproof RFC 5297 vectors of its key size, and the refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { aessiv } from '@noble/ciphers/aes.js';
import { sivOpen, sivSeal } from './aes-siv.ts';
import { selfTest, sivSealer } from './siv-sealer.ts';
import { packValues } from './siv-batch.ts';
import type { PackedValues } from './siv-batch.ts';
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

/** Each value's output of a batch, as its own Buffer. */
const batchOutputs = (sealer: ReturnType<typeof sivSealer>, values: readonly Uint8Array[]): Buffer[] => {
  const { sealed, offsets } = sealer.sealAll(packValues(values));
  return values.map((_, i) => sealed.subarray(offsets[i], offsets[i + 1]));
};

test('sivSealer gives the Wycheproof answers for 512-bit keys, one value at a time and as a batch, one sealer per key and associated data', () => {
  let sealed = 0;
  for (const v of file.testGroups.filter((g) => g.keySize === 512).flatMap((g) => g.tests)) {
    if (v.result !== 'valid') continue;
    const sealer = sivSealer(hex(v.key), hex(v.aad));
    assert.equal(sealer.seal(hex(v.msg)).toString('hex'), v.ct, `tcId ${v.tcId}`);
    assert.equal(batchOutputs(sealer, [hex(v.msg)])[0]!.toString('hex'), v.ct, `tcId ${v.tcId} as a batch`);
    sealed++;
  }
  assert.ok(sealed >= 39, `${sealed} sealed`);
});

test('sivSealer is byte for byte noble aessiv for any key, associated data and plaintext (lengths across block boundaries)', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 64, maxLength: 64 }),
      fc.uint8Array({ maxLength: 70 }),
      fc.array(fc.uint8Array({ maxLength: 70 }), { minLength: 1, maxLength: 4 }),
      (key, aad, plaintexts) => {
        // One sealer, several values: what it precomputes must not depend on the value it seals first.
        const sealer = sivSealer(key, aad);
        for (const plaintext of plaintexts) {
          const expected = Buffer.from(aessiv(key, aad).encrypt(plaintext));
          assert.ok(sealer.seal(plaintext).equals(expected));
          assert.ok(sivOpen(key, aad, sealer.seal(plaintext)).equals(Buffer.from(plaintext)));
        }
      },
    ),
    { numRuns: 500 },
  );
});

test('sivSealer matches aessiv on long values (counter carries across bytes, scratch grows) and on an empty AD', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), fc.uint8Array({ maxLength: 40 }), fc.array(fc.uint8Array({ minLength: 200, maxLength: 3000 }), { minLength: 1, maxLength: 3 }), (key, aad, plaintexts) => {
      const sealer = sivSealer(key, aad);
      for (const plaintext of plaintexts) assert.ok(sealer.seal(plaintext).equals(Buffer.from(aessiv(key, aad).encrypt(plaintext))));
    }),
    { numRuns: 100 },
  );
  // A counter whose low byte overflows carries into the next: a value of 8 blocks counts from Q to Q+7, so V's
  // last byte 0xf9 or above carries. Find such values by trying.
  const key = randomBytes(64);
  const sealer = sivSealer(key, Buffer.alloc(0));
  let carried = 0;
  for (let i = 0; i < 5000 && carried < 3; i++) {
    const value = Buffer.from(`value-${String(i).padStart(4, '0')}-${'x'.repeat(117)}`);
    assert.equal(value.length, 128);
    const sealed = sealer.seal(value);
    if ((sealed[15] ?? 0) >= 0xf9) {
      carried++;
      assert.ok(sealed.equals(Buffer.from(aessiv(key, new Uint8Array(0)).encrypt(value))));
    }
  }
  assert.ok(carried > 0);
});

test('sivSealer refuses keys of other sizes and does not change the key it was given', () => {
  assert.throws(() => sivSealer(randomBytes(32), Buffer.alloc(0)), (e) => isSluiceError(e, 'SLUICE_CRYPTO_PARAMETERS'));
  const key = randomBytes(64);
  const copy = Buffer.from(key);
  sivSealer(key, Buffer.from('aad')).seal(Buffer.from('alice@example.com'));
  assert.ok(key.equals(copy));
});

test('a sealer that disagrees with aessiv is refused by the self-test (tries a sealer whose output differs in one byte)', () => {
  const key = randomBytes(64);
  const good = sivSealer(key, Buffer.from('d'));
  const wrong = { ...good, seal: (value: Uint8Array) => { const out = good.seal(value); if (out.length > 16) out[16] = (out[16] ?? 0) ^ 1; return out; } };
  assert.throws(() => selfTest(wrong, key, Buffer.from('d')), (e) => isSluiceError(e, 'SLUICE_CRYPTO_PARAMETERS') && /self-test/.test(e.message));
  // The batch path is checked too: a batch whose last output differs in one byte.
  const wrongBatch = { ...good, sealAll: (values: PackedValues) => { const batch = good.sealAll(values); batch.sealed[batch.sealed.length - 1]! ^= 1; return batch; } };
  assert.throws(() => selfTest(wrongBatch, key, Buffer.from('d')), (e) => isSluiceError(e, 'SLUICE_CRYPTO_PARAMETERS') && /self-test/.test(e.message));
  assert.doesNotThrow(() => selfTest(good, key, Buffer.from('d')));
});

test('a batch sealed together is byte for byte aessiv on each value: any mix of lengths, repeats, empty values and long ones', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 64, maxLength: 64 }),
      fc.uint8Array({ maxLength: 40 }),
      // Up to 10 blocks: across every round count, and past LONG_VALUE_BLOCKS (128 bytes) to the one-by-one path.
      fc.array(fc.uint8Array({ maxLength: 160 }), { maxLength: 40 }),
      (key, aad, values) => {
        const sealer = sivSealer(key, aad);
        const outputs = batchOutputs(sealer, values);
        values.forEach((value, i) => assert.ok(outputs[i]!.equals(Buffer.from(aessiv(key, aad).encrypt(value))), `value ${i} of ${values.length}`));
        // The sealer's one-value path still agrees after a batch (the batch leaves no state behind).
        if (values[0]) assert.ok(sealer.seal(values[0]).equals(outputs[0]!));
      },
    ),
    { numRuns: 300 },
  );
});

test('a batch of 128-byte values whose counters carry across bytes matches aessiv, and the batch does not change its inputs', () => {
  const key = randomBytes(64);
  const sealer = sivSealer(key, Buffer.from('domain'));
  const values = Array.from({ length: 3000 }, (_, i) => Buffer.from(`value-${String(i).padStart(4, '0')}-${'x'.repeat(117)}`));
  const copies = values.map((v) => Buffer.from(v));
  const outputs = batchOutputs(sealer, values);
  let carried = 0;
  values.forEach((value, i) => {
    assert.ok(value.equals(copies[i]!));
    if ((outputs[i]![15] ?? 0) >= 0xf9) carried++;
    assert.ok(outputs[i]!.equals(Buffer.from(aessiv(key, Buffer.from('domain')).encrypt(value))), `value ${i}`);
  });
  assert.ok(carried > 0, 'no value carried: the test needs more values');
});
