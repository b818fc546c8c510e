// C2SP chunked encryption (Cobblestone-256): every Wycheproof vector through the real decryptor, streaming and
// whole; raw-mode re-encryption against the known ciphertexts; round trips and tamper classes as properties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { ChunkedDecryptor, CHUNK_BYTES, chunkNonce, decryptChunked, deriveMessageKeys, encryptChunked, HEADER_BYTES, SALT_BYTES } from './chunked-encryption.ts';
import { sealGcm } from './aes-gcm.ts';
import { isSluiceError } from '../errors.ts';

interface Vector { tcId: number; comment: string; key: string; ctx: string; ct: string; aeadKey?: string; baseNonce?: string; msgLength: number; msgSha512: string; result: 'valid' | 'invalid'; flags: string[] }
const file = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'test', 'vectors', 'c2sp_chunked_encryption_aes_256_gcm_test.json'), 'utf8')) as { testGroups: { tests: Vector[] }[] };
const vectors = file.testGroups.flatMap((g) => g.tests);
const hex = (s: string) => Buffer.from(s, 'hex');
const sha512 = (b: Buffer) => createHash('sha512').update(b).digest('hex');
const ciphertextOf = (v: Vector) => inflateSync(hex(v.ct));

/** Streams `ct` into a decryptor in pieces of `step` bytes; returns what came out and the error, if any. */
function stream(v: Vector, step: number): { out: Buffer; error?: unknown; failsAgain: boolean } {
  const ct = ciphertextOf(v);
  const parts: Buffer[] = [];
  let decryptor: ChunkedDecryptor;
  try {
    decryptor = new ChunkedDecryptor(hex(v.key), hex(v.ctx));
  } catch (error) {
    return { out: Buffer.alloc(0), error, failsAgain: true };
  }
  try {
    for (let i = 0; i < ct.length; i += step) parts.push(...decryptor.push(ct.subarray(i, i + step)));
    parts.push(decryptor.finish());
    return { out: Buffer.concat(parts), failsAgain: false };
  } catch (error) {
    let failsAgain = false;
    try {
      decryptor.push(Buffer.alloc(1));
    } catch {
      failsAgain = true;
    }
    return { out: Buffer.concat(parts), error, failsAgain };
  }
}

test('Wycheproof Cobblestone-256: valid vectors decrypt to the known length and SHA-512, invalid ones fail', () => {
  assert.equal(vectors.length, 35);
  for (const v of vectors) {
    for (const step of [1 << 20, 7919]) {
      const { out, error, failsAgain } = stream(v, step);
      if (v.result === 'valid') {
        assert.equal(error, undefined, `tcId ${v.tcId} (${v.comment})`);
        assert.equal(out.length, v.msgLength, `tcId ${v.tcId}`);
        assert.equal(sha512(out), v.msgSha512, `tcId ${v.tcId}`);
      } else {
        assert.ok(isSluiceError(error, 'SLUICE_DECRYPT_FAILED') || isSluiceError(error, 'SLUICE_CRYPTO_PARAMETERS'), `tcId ${v.tcId} (${v.comment}) must fail`);
        assert.ok(failsAgain, `tcId ${v.tcId}: keeps failing after an error`);
        // A streaming decryptor may release at most the validly encrypted prefix, never more.
        const prefix = v.flags.includes('PartialPlaintext') ? v.msgLength : 0;
        assert.ok(out.length <= prefix, `tcId ${v.tcId}: released ${out.length} bytes, prefix is ${prefix}`);
        // What was released, if it is the whole valid prefix, is exactly that prefix.
        if (out.length > 0 && out.length === v.msgLength) assert.equal(sha512(out), v.msgSha512, `tcId ${v.tcId}: the released prefix`);
      }
      if (v.result === 'invalid') {
        assert.throws(() => decryptChunked(hex(v.key), hex(v.ctx), ciphertextOf(v)));
      }
    }
  }
});

test('Wycheproof Cobblestone-256: derivation gives the vectors’ AEAD key and base nonce, and raw re-encryption matches', () => {
  for (const v of vectors.filter((x) => x.result === 'valid' && x.aeadKey !== undefined && x.baseNonce !== undefined)) {
    const ct = ciphertextOf(v);
    const keys = deriveMessageKeys(hex(v.key), ct.subarray(0, SALT_BYTES), hex(v.ctx));
    assert.equal(keys.key.toString('hex'), v.aeadKey, `tcId ${v.tcId}`);
    assert.equal(keys.baseNonce.toString('hex'), v.baseNonce, `tcId ${v.tcId}`);
    const message = decryptChunked(hex(v.key), hex(v.ctx), ct);
    // The salt-injected encryption must reproduce the vector byte for byte.
    assert.ok(encryptChunked(hex(v.key), hex(v.ctx), message, { salt: ct.subarray(0, SALT_BYTES) }).equals(ct), `tcId ${v.tcId}`);
  }
});

test('chunk nonces XOR the counter into the low bytes, across byte boundaries', () => {
  const base = Buffer.alloc(12, 0xff);
  assert.equal(chunkNonce(base, 0).toString('hex'), 'ffffffffffffffffffffffff');
  assert.equal(chunkNonce(base, 1).toString('hex'), 'fffffffffffffffffffffffe');
  assert.equal(chunkNonce(base, 256).toString('hex'), 'fffffffffffffffffffffeff');
  assert.equal(chunkNonce(Buffer.alloc(12), 2 ** 38 - 1).toString('hex'), '00000000000000' + '3fffffffff');
  assert.throws(() => chunkNonce(base, 2 ** 38), (e) => isSluiceError(e, 'SLUICE_CRYPTO_PARAMETERS'));
});

/** C2SP's chunk size and the one Sluice objects use: every property runs at both. */
const CHUNK_SIZES = [CHUNK_BYTES, 64 * 1024];

for (const chunk of CHUNK_SIZES) {
  const sealedChunk = chunk + 16;
  const options = { chunkBytes: chunk };
  const sizes = [0, 1, chunk - 1, chunk, chunk + 1, 3 * chunk, 3 * chunk + 17];
  const kib = `${chunk / 1024} KiB chunks`;

  test(`${kib}: round trip at every size around chunk boundaries, pushed in arbitrary pieces`, () => {
    fc.assert(
      fc.property(fc.constantFrom(...sizes), fc.integer({ min: 1, max: 3 * chunk }), fc.uint8Array({ maxLength: 64 }), (size, piece, context) => {
        const key = randomBytes(32);
        const message = randomBytes(size);
        const sealed = encryptChunked(key, context, message, options);
        assert.equal(sealed.length, HEADER_BYTES + Math.floor(size / chunk) * sealedChunk + (size % chunk) + 16);
        const decryptor = new ChunkedDecryptor(key, context, options);
        const parts: Buffer[] = [];
        for (let i = 0; i < sealed.length; i += piece) parts.push(...decryptor.push(sealed.subarray(i, i + piece)));
        parts.push(decryptor.finish());
        return Buffer.concat(parts).equals(message);
      }),
      { seed: 38, numRuns: chunk === CHUNK_BYTES ? 200 : 60 },
    );
  });

  /** Tamper classes from the format's threat list; each must fail to decrypt. */
  const H = HEADER_BYTES;
  const S = sealedChunk;
  const tampers: { name: string; apply: (sealed: Buffer, other: Buffer, index: number) => Buffer }[] = [
    { name: 'a flipped bit', apply: (s, _o, i) => Object.assign(Buffer.from(s), { [i % s.length]: (s[i % s.length] ?? 0) ^ 0x80 }) },
    { name: 'a truncated tail', apply: (s, _o, i) => s.subarray(0, s.length - 1 - (i % Math.min(s.length - 1, 100))) },
    { name: 'truncated to a chunk boundary', apply: (s) => s.subarray(0, H + S) },
    { name: 'two chunks swapped', apply: (s) => Buffer.concat([s.subarray(0, H), s.subarray(H + S, H + 2 * S), s.subarray(H, H + S), s.subarray(H + 2 * S)]) },
    { name: 'a chunk duplicated', apply: (s) => Buffer.concat([s.subarray(0, H + S), s.subarray(H, H + S), s.subarray(H + S)]) },
    { name: 'a chunk spliced from another object under the same key', apply: (s, o) => Buffer.concat([s.subarray(0, H), o.subarray(H, H + S), s.subarray(H + S)]) },
    { name: 'bytes appended after the end', apply: (s, _o, i) => Buffer.concat([s, randomBytes(1 + (i % 40))]) },
    { name: 'a whole valid chunk appended after the end', apply: (s, o) => Buffer.concat([s, o.subarray(H, H + S)]) },
  ];

  for (const tamper of tampers) {
    test(`${kib}: tamper: ${tamper.name} fails to decrypt, and releases no plaintext past the tampering`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 1 << 30 }), (index) => {
          const key = randomBytes(32);
          const message = randomBytes(3 * chunk + 100);
          const sealed = encryptChunked(key, Buffer.from('ctx'), message, options);
          const other = encryptChunked(key, Buffer.from('ctx'), randomBytes(3 * chunk + 100), options);
          const tampered = tamper.apply(sealed, other, index);
          assert.throws(() => decryptChunked(key, Buffer.from('ctx'), tampered, options), (e) => isSluiceError(e, 'SLUICE_DECRYPT_FAILED'));
          return true;
        }),
        { seed: 26, numRuns: chunk === CHUNK_BYTES ? 25 : 10 },
      );
    });
  }
}

test('a message read with another chunk size than it was written with fails (tries a reader told the wrong size)', () => {
  const key = randomBytes(32);
  const sealed = encryptChunked(key, Buffer.from('ctx'), randomBytes(3 * 64 * 1024), { chunkBytes: 64 * 1024 });
  assert.throws(() => decryptChunked(key, Buffer.from('ctx'), sealed), (e) => isSluiceError(e, 'SLUICE_DECRYPT_FAILED'));
  assert.throws(() => encryptChunked(key, Buffer.alloc(0), Buffer.alloc(1), { chunkBytes: 48 * 1024 }), (e) => isSluiceError(e, 'SLUICE_CRYPTO_PARAMETERS'));
  assert.throws(() => new ChunkedDecryptor(key, Buffer.alloc(0), { chunkBytes: 2 * 1024 * 1024 }), (e) => isSluiceError(e, 'SLUICE_CRYPTO_PARAMETERS'));
});

test('a raw chunk sealed with the right key and nonce but as a full final chunk is still refused as truncated', () => {
  const key = randomBytes(32);
  const salt = randomBytes(SALT_BYTES);
  const keys = deriveMessageKeys(key, salt, Buffer.alloc(0));
  const full = sealGcm(keys.key, chunkNonce(keys.baseNonce, 0), randomBytes(CHUNK_BYTES));
  const forged = Buffer.concat([salt, keys.commitment, full]);
  assert.throws(() => decryptChunked(key, Buffer.alloc(0), forged), /truncated/);
});

test('a wrong key or a wrong context is refused at the commitment, before any chunk', () => {
  const key = randomBytes(32);
  const sealed = encryptChunked(key, Buffer.from('pipeline=a'), randomBytes(100));
  assert.throws(() => new ChunkedDecryptor(randomBytes(32), Buffer.from('pipeline=a')).push(sealed.subarray(0, HEADER_BYTES)), (e) => isSluiceError(e, 'SLUICE_DECRYPT_FAILED'));
  assert.throws(() => new ChunkedDecryptor(key, Buffer.from('pipeline=b')).push(sealed.subarray(0, HEADER_BYTES)), (e) => isSluiceError(e, 'SLUICE_DECRYPT_FAILED'));
});
