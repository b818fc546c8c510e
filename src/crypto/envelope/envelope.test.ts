// Envelope objects with a real keyring (SQLite store, local provider): round trips, rotation, and every bad
// input the format promises to refuse, each with its own error naming the object and key id, never the key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { SqliteStateStore } from '../../store/sqlite/sqlite-state-store.ts';
import { Keyring } from '../keyring/keyring.ts';
import { LocalKeyProvider } from '../providers/local-provider.ts';
import { openObjectBuffer, sealObject, wrapDataKeyFor } from './envelope.ts';
import { canonicalContext, encodeKeyBlock, MAGIC, parseHeader, WRITE_CHUNK_BYTES } from './object-format.ts';
import { encryptChunked } from '../chunked-encryption.ts';
import { isSluiceError } from '../../errors.ts';
import type { ErrorCode } from '../../errors.ts';

const CONTEXT = { pipeline: 'p', dataset: 'analytics', classification: 'internal', run: 'r1' };

async function keyringWith(root = randomBytes(32)) {
  const store = new SqliteStateStore(':memory:');
  const keyring = new Keyring(store, new LocalKeyProvider(Buffer.from(root)));
  await keyring.create('default');
  return { store, keyring, root };
}

function fails(code: ErrorCode, ...mustName: string[]) {
  return (error: unknown) => isSluiceError(error, code) && mustName.every((s) => error.message.includes(s));
}

test('round trip at sizes around chunk boundaries, with the context read back', async () => {
  const { keyring } = await keyringWith();
  for (const size of [0, 1, 16383, 16384, 16385, WRITE_CHUNK_BYTES - 1, WRITE_CHUNK_BYTES, WRITE_CHUNK_BYTES + 1, 300_000]) {
    const plaintext = randomBytes(size);
    const sealed = await sealObject(plaintext, CONTEXT, keyring, 'default');
    const opened = await openObjectBuffer(sealed, keyring, 'part-1');
    assert.ok(opened.plaintext.equals(plaintext), `size ${size}`);
    assert.deepEqual(opened.context, CONTEXT);
  }
});

test('after rotation old objects still open, new ones use the new version; a destroyed version is "destroyed"', async () => {
  const { keyring, store } = await keyringWith();
  const old = await sealObject(Buffer.from('old'), CONTEXT, keyring, 'default');
  assert.equal(await keyring.rotate('default'), 2);
  const fresh = await sealObject(Buffer.from('new'), CONTEXT, keyring, 'default');
  assert.equal(parseHeader(fresh, 'x', true)?.keyVersion, 2);
  assert.equal((await openObjectBuffer(old, keyring, 'old')).plaintext.toString(), 'old');
  await store.destroyKeyVersion('default', 1);
  const reopened = new Keyring(store, new LocalKeyProvider(Buffer.alloc(32)));
  await assert.rejects(openObjectBuffer(old, reopened, 'old-object'), fails('SLUICE_KEY_DESTROYED', "'default'", 'version 1'));
});

test('a wrong root key is refused by name (no plaintext, no key in the message)', async () => {
  const { keyring, store, root } = await keyringWith();
  const sealed = await sealObject(Buffer.from('secret'), CONTEXT, keyring, 'default');
  const wrong = new Keyring(store, new LocalKeyProvider(randomBytes(32)));
  await assert.rejects(openObjectBuffer(sealed, wrong, 'obj'), (error) => isSluiceError(error, 'SLUICE_KEY_PROVIDER') && !error.message.includes(root.toString('hex')) && !error.message.includes(root.toString('base64')));
});

test('an object from another keyring (same key id) fails on its data key, naming the object and key', async () => {
  const a = await keyringWith();
  const b = await keyringWith();
  const sealed = await sealObject(Buffer.from('secret'), CONTEXT, a.keyring, 'default');
  await assert.rejects(openObjectBuffer(sealed, b.keyring, 'part-000001.jsonl'), fails('SLUICE_DECRYPT_FAILED', 'part-000001.jsonl', "'default'"));
});

test('not a Sluice object, a truncated header, an unknown format version: SLUICE_OBJECT_MALFORMED naming the object', async () => {
  const { keyring } = await keyringWith();
  const sealed = await sealObject(Buffer.from('secret'), CONTEXT, keyring, 'default');
  await assert.rejects(openObjectBuffer(Buffer.from('{"plain":"json"}\n'), keyring, 'a.jsonl'), fails('SLUICE_OBJECT_MALFORMED', 'a.jsonl', 'magic'));
  await assert.rejects(openObjectBuffer(sealed.subarray(0, 20), keyring, 'b'), fails('SLUICE_OBJECT_MALFORMED', 'truncated'));
  const future = Buffer.from(sealed);
  future[4] = 3;
  await assert.rejects(openObjectBuffer(future, keyring, 'c'), fails('SLUICE_OBJECT_MALFORMED', 'version 3'));
  const hugeChunks = Buffer.from(sealed);
  hugeChunks[5] = 30;
  await assert.rejects(openObjectBuffer(hugeChunks, keyring, 'd'), fails('SLUICE_OBJECT_MALFORMED', 'chunk size 2^30'));
  await assert.rejects(openObjectBuffer(Buffer.alloc(0), keyring, 'empty'), fails('SLUICE_OBJECT_MALFORMED'));
});

test('an unknown key id or version in the header is SLUICE_KEY_UNKNOWN', async () => {
  const { keyring } = await keyringWith();
  const sealed = await sealObject(Buffer.from('secret'), CONTEXT, keyring, 'default');
  const header = parseHeader(sealed, 'x', true);
  assert.ok(header);
  const versionAt = header.binding.length + 1 + 'default'.length;
  const bumped = Buffer.from(sealed);
  bumped.writeUInt32BE(7, versionAt);
  await assert.rejects(openObjectBuffer(bumped, keyring, 'obj'), fails('SLUICE_KEY_UNKNOWN', 'version 7'));
});

test('a tampered byte anywhere (context, key block, wrapped key, payload) fails; nothing decrypts', async () => {
  const { keyring } = await keyringWith();
  const sealed = await sealObject(randomBytes(40_000), CONTEXT, keyring, 'default');
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 5, max: sealed.length - 1 }), fc.integer({ min: 1, max: 255 }), async (index, mask) => {
      const tampered = Buffer.from(sealed);
      tampered[index] = (tampered[index] ?? 0) ^ mask;
      await assert.rejects(openObjectBuffer(tampered, keyring, 'obj'), (error) => ['SLUICE_DECRYPT_FAILED', 'SLUICE_OBJECT_MALFORMED', 'SLUICE_KEY_UNKNOWN'].includes((error as { code?: string }).code ?? ''));
    }),
    { seed: 1, numRuns: 300 },
  );
});

test('swapping the key blocks of two objects fails: a data key belongs to its own object', async () => {
  const { keyring } = await keyringWith();
  const a = await sealObject(Buffer.from('object a'), CONTEXT, keyring, 'default');
  const b = await sealObject(Buffer.from('object b'), { ...CONTEXT, run: 'r2' }, keyring, 'default');
  const ha = parseHeader(a, 'a', true);
  const hb = parseHeader(b, 'b', true);
  assert.ok(ha && hb);
  const spliced = Buffer.concat([a.subarray(0, ha.binding.length), b.subarray(hb.binding.length, hb.payloadOffset), a.subarray(ha.payloadOffset)]);
  await assert.rejects(openObjectBuffer(spliced, keyring, 'spliced'), fails('SLUICE_DECRYPT_FAILED'));
});

test('format version 1 objects (16 KiB chunks, no chunk-size byte) written by earlier Sluice still open', async () => {
  const { keyring } = await keyringWith();
  const { version, material } = await keyring.primary('default');
  const json = canonicalContext(CONTEXT);
  const fixed = Buffer.alloc(9);
  MAGIC.copy(fixed, 0);
  fixed.writeUInt8(1, 4);
  fixed.writeUInt32BE(json.length, 5);
  const binding = Buffer.concat([fixed, json]);
  const dataKey = randomBytes(32);
  const plaintext = randomBytes(50_000);
  const v1 = Buffer.concat([binding, encodeKeyBlock('default', version, wrapDataKeyFor(material, dataKey, 'default', version, binding)), encryptChunked(dataKey, binding, plaintext)]);
  const opened = await openObjectBuffer(v1, keyring, 'old.jsonl.sluice');
  assert.ok(opened.plaintext.equals(plaintext));
  assert.deepEqual(opened.context, CONTEXT);
  assert.equal(parseHeader(v1, 'old', true)?.chunkBytes, 16 * 1024);
});

test('the chunk-size byte is authenticated: another valid size in the header fails to decrypt (tries 32 KiB)', async () => {
  const { keyring } = await keyringWith();
  const sealed = await sealObject(randomBytes(200_000), CONTEXT, keyring, 'default');
  assert.equal(sealed[4], 2);
  assert.equal(2 ** (sealed[5] ?? 0), WRITE_CHUNK_BYTES);
  const resized = Buffer.from(sealed);
  resized[5] = 15;
  await assert.rejects(openObjectBuffer(resized, keyring, 'obj'), fails('SLUICE_DECRYPT_FAILED', 'obj'));
});

test('canonical context: the same bytes as JSON of the sorted object, for any keys and values (property)', () => {
  fc.assert(
    fc.property(fc.dictionary(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' })), (context) => {
      const sorted = Object.fromEntries(Object.keys(context).sort().map((k) => [k, context[k]]));
      return canonicalContext(context).equals(Buffer.from(JSON.stringify(sorted), 'utf8'));
    }),
  );
});
