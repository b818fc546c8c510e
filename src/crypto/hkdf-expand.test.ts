// HKDF-Expand: RFC 5869 known answers (through Extract = HMAC(salt, IKM)), and agreement with node's full HKDF.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHmac, hkdfSync } from 'node:crypto';
import fc from 'fast-check';
import { hkdfExpand } from './hkdf-expand.ts';
import { isSluiceError } from '../errors.ts';

interface Vector { tcId: number; ikm: string; salt: string; info: string; size: number; okm: string; result: string }
const vectors = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'test', 'vectors', 'hkdf_sha256_test.json'), 'utf8')) as { testGroups: { tests: Vector[] }[] };
const hex = (s: string) => Buffer.from(s, 'hex');
// RFC 5869 §2.2: an absent salt is HashLen zero bytes.
const extract = (salt: Buffer, ikm: Buffer) => createHmac('sha256', salt.length > 0 ? salt : Buffer.alloc(32)).update(ikm).digest();

test('Wycheproof HKDF-SHA256: Extract then our Expand gives the known OKM; oversized outputs are refused', () => {
  let ran = 0;
  for (const v of vectors.testGroups.flatMap((g) => g.tests)) {
    const prk = extract(hex(v.salt), hex(v.ikm));
    if (v.result === 'valid') {
      assert.deepEqual(hkdfExpand('sha256', prk, hex(v.info), v.size), hex(v.okm), `tcId ${v.tcId}`);
      ran++;
    } else {
      assert.throws(() => hkdfExpand('sha256', prk, hex(v.info), v.size), (e) => isSluiceError(e, 'SLUICE_CRYPTO_PARAMETERS'), `tcId ${v.tcId}`);
    }
  }
  assert.ok(ran > 50);
});

test('property: our Expand after Extract equals node:crypto hkdfSync, for SHA-256 and SHA-512', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.uint8Array({ maxLength: 80 }), fc.integer({ min: 1, max: 300 }), fc.constantFrom('sha256' as const, 'sha512' as const), (ikm, salt, info, length, hash) => {
      const prk = createHmac(hash, salt).update(ikm).digest();
      const ours = hkdfExpand(hash, prk, info, length);
      const node = Buffer.from(hkdfSync(hash, ikm, salt, info, length));
      return ours.equals(node);
    }),
    { seed: 5869, numRuns: 2000 },
  );
});
