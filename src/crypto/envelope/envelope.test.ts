// Envelope objects with a real keyring (SQLite store, local provider): round trips, rotation, and every bad
// input the format promises to refuse, each with its own error naming the object and key id, never the key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { SqliteStateStore } from '../../store/sqlite/sqlite-state-store.ts';
import { Keyring } from '../keyring/keyring.ts';
import { LocalKeyProvider } from '../providers/local-provider.ts';
import { openObject, openObjectBuffer, sealObject, unwrapDataKey, wrapDataKeyFor } from './envelope.ts';
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
  future[4] = 9;
  await assert.rejects(openObjectBuffer(future, keyring, 'c'), fails('SLUICE_OBJECT_MALFORMED', 'version 9'));
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

for (const [format, size] of [['version 3', 40_000], ['version 2', 100_000]] as const) test(`${format}: a tampered byte anywhere (context, key block, wrapped key, payload) fails; nothing decrypts`, async () => {
  const { keyring } = await keyringWith();
  const sealed = await sealObject(randomBytes(size), CONTEXT, keyring, 'default');
  assert.equal(sealed[4], format === 'version 3' ? 3 : 2);
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
      const sorted = Object.fromEntries(Object.keys(context).sort().map((k) => [k, context[k] as string]));
      const expected = Buffer.from(JSON.stringify(sorted), 'utf8');
      // Both the shuffled context and one already in sorted order (which takes the one-stringify path).
      return canonicalContext(context).equals(expected) && canonicalContext(sorted).equals(expected);
    }),
  );
});

test('objects shorter than one chunk are written as version 3, the rest as version 2, and all open', async () => {
  const { keyring } = await keyringWith();
  for (const [size, version] of [[0, 3], [1, 3], [1024, 3], [WRITE_CHUNK_BYTES - 1, 3], [WRITE_CHUNK_BYTES, 2], [WRITE_CHUNK_BYTES + 1, 2]] as const) {
    const plaintext = randomBytes(size);
    const sealed = await sealObject(plaintext, CONTEXT, keyring, 'default');
    assert.equal(sealed[4], version, `size ${size}`);
    assert.ok((await openObjectBuffer(sealed, keyring, 'obj')).plaintext.equals(plaintext));
  }
});

test('version 3: every truncation of the payload fails, and bytes appended after the end fail', async () => {
  const { keyring } = await keyringWith();
  const sealed = await sealObject(randomBytes(300), CONTEXT, keyring, 'default');
  const header = parseHeader(sealed, 'x', true);
  assert.ok(header);
  for (let length = header.payloadOffset; length < sealed.length; length++) {
    await assert.rejects(openObjectBuffer(sealed.subarray(0, length), keyring, 'cut'), fails('SLUICE_DECRYPT_FAILED', 'cut'));
  }
  for (const tail of [Buffer.alloc(1), randomBytes(16), Buffer.from(sealed.subarray(header.payloadOffset))]) {
    await assert.rejects(openObjectBuffer(Buffer.concat([sealed, tail]), keyring, 'long'), fails('SLUICE_DECRYPT_FAILED', 'long'));
  }
});

test('version 3: an endless stream after a small object is refused after one chunk, not buffered (tries 1 GiB appended)', async () => {
  const { keyring } = await keyringWith();
  const sealed = await sealObject(randomBytes(300), CONTEXT, keyring, 'default');
  let pulled = 0;
  function* endless(): Generator<Buffer> {
    yield sealed;
    for (; pulled < 16 * 1024; pulled++) yield Buffer.alloc(64 * 1024);
  }
  await assert.rejects(async () => {
    for await (const piece of openObject(endless(), keyring, 'stream')) assert.fail(`released ${piece.length} bytes`);
  }, fails('SLUICE_DECRYPT_FAILED', 'stream'));
  assert.ok(pulled <= 2, `read ${pulled} pieces of 64 KiB past the object`);
});

test('the format version byte is authenticated: a version 3 object read as version 2, and the reverse, fail (downgrade attempt)', async () => {
  const { keyring } = await keyringWith();
  const small = await sealObject(randomBytes(300), CONTEXT, keyring, 'default');
  const large = await sealObject(randomBytes(100_000), CONTEXT, keyring, 'default');
  const down = Buffer.from(small);
  down[4] = 2;
  const up = Buffer.from(large);
  up[4] = 3;
  await assert.rejects(openObjectBuffer(down, keyring, 'down'), fails('SLUICE_DECRYPT_FAILED', 'down'));
  await assert.rejects(openObjectBuffer(up, keyring, 'up'), fails('SLUICE_DECRYPT_FAILED', 'up'));
});

test("version 3: another object's payload under this header fails (splice attempt), as does a payload moved between contexts", async () => {
  const { keyring } = await keyringWith();
  const a = await sealObject(Buffer.from('object a'), CONTEXT, keyring, 'default');
  const b = await sealObject(Buffer.from('object b'), CONTEXT, keyring, 'default');
  const ha = parseHeader(a, 'a', true);
  const hb = parseHeader(b, 'b', true);
  assert.ok(ha && hb);
  const spliced = Buffer.concat([a.subarray(0, ha.payloadOffset), b.subarray(hb.payloadOffset)]);
  await assert.rejects(openObjectBuffer(spliced, keyring, 'spliced'), fails('SLUICE_DECRYPT_FAILED', 'spliced'));
  // The same data key and payload under another context: the key block is re-wrapped for the new binding block
  // (as someone holding the key version could), and the payload still refuses the context it was not sealed for.
  const { version, material } = await keyring.primary('default');
  const other = parseHeader(await sealObject(Buffer.from('c'), { ...CONTEXT, run: 'r2' }, keyring, 'default'), 'c', true);
  assert.ok(other);
  const dataKey = await unwrapDataKey(ha, keyring, 'a');
  const moved = Buffer.concat([other.binding, encodeKeyBlock('default', version, wrapDataKeyFor(material, dataKey, 'default', version, other.binding)), a.subarray(ha.payloadOffset)]);
  await assert.rejects(openObjectBuffer(moved, keyring, 'moved'), fails('SLUICE_DECRYPT_FAILED', 'moved'));
});

test('version 3: a changed commitment fails though nonce, ciphertext and tag are intact (tries each commitment byte)', async () => {
  const { keyring } = await keyringWith();
  const sealed = await sealObject(Buffer.from('committed'), CONTEXT, keyring, 'default');
  const header = parseHeader(sealed, 'x', true);
  assert.ok(header);
  // nonce (12) || commitment (32) || ciphertext || tag
  for (let i = header.payloadOffset + 12; i < header.payloadOffset + 44; i++) {
    const changed = Buffer.from(sealed);
    changed[i] = (changed[i] ?? 0) ^ 0x01;
    await assert.rejects(openObjectBuffer(changed, keyring, 'obj'), fails('SLUICE_DECRYPT_FAILED'), `byte ${i}`);
  }
});
