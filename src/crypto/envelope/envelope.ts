// Envelope encryption of objects: a fresh random data key per object, wrapped by the keyring's primary key
// version, the payload sealed under the data key and bound to the header: with C2SP chunked encryption, or as
// one sealed chunk when the object is shorter than one chunk (format version 3).
import { RandomPool } from '../random-pool.ts';
import { isSluiceError, SluiceError } from '../../errors.ts';
import { GCM_KEY_BYTES, GCM_NONCE_BYTES } from '../aes-gcm.ts';
import { ChunkedDecryptor, ChunkedEncryptor, SALT_BYTES } from '../chunked-encryption.ts';
import type { EncryptionContext, ObjectHeader } from './object-format.ts';
import { CHUNKED_FORMAT_VERSION, encodeBinding, encodeKeyBlock, keyBlockBytes, ONE_CHUNK_FORMAT_VERSION, parseHeader, planBinding, writeBinding, writeKeyBlockHead, WRITE_CHUNK_BYTES } from './object-format.ts';
import { OneChunkDecryptor, ONE_CHUNK_OVERHEAD_BYTES, sealOneChunkInto } from './one-chunk-payload.ts';
import { openWrappedDataKey, wrapDataKeyInto, WRAPPED_KEY_BYTES } from './data-key-wrap.ts';

/** Where data-key wrapping keys come from: the keyring. */
export interface KeySource {
  primary(keyId: string): Promise<{ version: number; material: Buffer }>;
  material(keyId: string, version: number): Promise<Buffer>;
  /** Creates the key if it does not exist yet. */
  ensure(keyId: string): Promise<void>;
}

/** Data keys, nonces and salts come from a pool: randomBytes() per call costs more than sealing a small object. */
const random = new RandomPool();

/** Wraps a data key for `keyId` version `keyVersion` and the object whose binding block is `binding`. */
export function wrapDataKeyFor(material: Buffer, dataKey: Buffer, keyId: string, keyVersion: number, binding: Buffer): Buffer {
  const wrapped = Buffer.allocUnsafe(WRAPPED_KEY_BYTES);
  wrapDataKeyInto(material, dataKey, keyId, keyVersion, binding, random, wrapped, 0);
  return wrapped;
}

/** Encrypts `plaintext` as one object under the primary version of `keyId`. */
export async function sealObject(plaintext: Uint8Array, context: EncryptionContext, keys: KeySource, keyId: string): Promise<Buffer> {
  return (await sealEnvelope(plaintext, context, keys, keyId)).object;
}

/** Like sealObject, and says which key version sealed it (for the object index). */
export async function sealEnvelope(plaintext: Uint8Array, context: EncryptionContext, keys: KeySource, keyId: string): Promise<{ object: Buffer; keyVersion: number }> {
  const { version, material } = await keys.primary(keyId);
  const { pieces } = sealPiecesUnder(material, version, [plaintext], context, keyId);
  // A small object (version 3) is one piece already; joining would copy it.
  return { object: pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces), keyVersion: version };
}

/**
 * Seals plaintext that arrives in pieces into one object, returned as the pieces of its bytes in order. No
 * buffer the size of the object is ever made: on these machines fresh memory costs about 13 µs per 4 KiB page
 * (../shared/crypto-perf.md), which for a 10 MB batch cost more than encrypting it.
 *
 * Pieces are read until they make one chunk. If they end first, the object is written as format version 3 (one
 * GCM seal, no key derivation): most of a small object's cost was C2SP's set-up. Otherwise it is version 2.
 * Pieces are held until then, not copied: an iterable must not reuse a piece's memory for the next one.
 */
export async function sealPieces(plaintext: Iterable<Uint8Array>, context: EncryptionContext, keys: KeySource, keyId: string): Promise<{ pieces: Buffer[]; bytes: number; keyVersion: number }> {
  const { version, material } = await keys.primary(keyId);
  return sealPiecesUnder(material, version, plaintext, context, keyId);
}

/** sealPieces once the primary version is known: synchronous, so that sealing a small object awaits less. */
function sealPiecesUnder(material: Buffer, version: number, plaintext: Iterable<Uint8Array>, context: EncryptionContext, keyId: string): { pieces: Buffer[]; bytes: number; keyVersion: number } {
  const rest = plaintext[Symbol.iterator]();
  const head: Uint8Array[] = [];
  let headBytes = 0;
  while (headBytes < WRITE_CHUNK_BYTES) {
    const next = rest.next();
    if (next.done === true) break;
    head.push(next.value);
    headBytes += next.value.length;
  }
  const dataKey = random.take(GCM_KEY_BYTES);
  try {
    if (headBytes < WRITE_CHUNK_BYTES) {
      const object = sealOneChunkObject(material, dataKey, keyId, version, context, head, headBytes);
      return { pieces: [object], bytes: object.length, keyVersion: version };
    }
    // The chunk size and the version are in the binding block, which the payload and the wrapped data key are
    // bound to: changing either fails decryption.
    const binding = encodeBinding(context, WRITE_CHUNK_BYTES, CHUNKED_FORMAT_VERSION);
    const keyBlock = encodeKeyBlock(keyId, version, wrapDataKeyFor(material, dataKey, keyId, version, binding));
    const pieces = [binding, keyBlock];
    const encryptor = new ChunkedEncryptor(dataKey, binding, { salt: random.take(SALT_BYTES), chunkBytes: WRITE_CHUNK_BYTES });
    try {
      pieces.push(encryptor.header);
      for (const piece of head) for (const sealed of encryptor.push(piece)) pieces.push(sealed);
      for (let next = rest.next(); next.done !== true; next = rest.next()) for (const sealed of encryptor.push(next.value)) pieces.push(sealed);
      pieces.push(encryptor.finish());
    } finally {
      encryptor.dispose();
    }
    let bytes = 0;
    for (const piece of pieces) bytes += piece.length;
    return { pieces, bytes, keyVersion: version };
  } finally {
    dataKey.fill(0);
  }
}

/**
 * A version 3 object, written in place into one buffer: binding block, key block, nonce, commitment, ciphertext,
 * tag. At 1 KiB, allocating and joining pieces cost about a fifth of the object; the two GCM seals and the hash
 * are most of the rest.
 */
function sealOneChunkObject(material: Buffer, dataKey: Buffer, keyId: string, keyVersion: number, context: EncryptionContext, plaintext: readonly Uint8Array[], plaintextBytes: number): Buffer {
  const plan = planBinding(context, WRITE_CHUNK_BYTES, ONE_CHUNK_FORMAT_VERSION);
  const object = Buffer.allocUnsafe(plan.bytes + keyBlockBytes(keyId, WRAPPED_KEY_BYTES) + ONE_CHUNK_OVERHEAD_BYTES + plaintextBytes);
  const bindingEnd = writeBinding(plan, object, 0);
  const binding = object.subarray(0, bindingEnd);
  const wrappedAt = writeKeyBlockHead(object, bindingEnd, keyId, keyVersion, WRAPPED_KEY_BYTES);
  const payloadAt = wrapDataKeyInto(material, dataKey, keyId, keyVersion, binding, random, object, wrappedAt);
  random.fill(object, payloadAt, GCM_NONCE_BYTES);
  const end = sealOneChunkInto(dataKey, binding, plaintext, object, payloadAt);
  if (end !== object.length) throw new SluiceError('SLUICE_CRYPTO_PARAMETERS', 'a small object came out at another length than planned');
  return object;
}

/** Unwraps an object's data key; the error names the object and the key id and version, never the key. */
export async function unwrapDataKey(header: ObjectHeader, keys: KeySource, name: string): Promise<Buffer> {
  const material = await keys.material(header.keyId, header.keyVersion);
  try {
    return openWrappedDataKey(material, header.wrappedKey, header.keyId, header.keyVersion, header.binding);
  } catch {
    throw new SluiceError('SLUICE_DECRYPT_FAILED', `${name}: its data key does not open under key '${header.keyId}' version ${header.keyVersion} (altered header, or not this keyring's object)`);
  }
}

function named(error: unknown, name: string): unknown {
  if (isSluiceError(error, 'SLUICE_DECRYPT_FAILED') && !error.message.startsWith(name)) {
    return new SluiceError('SLUICE_DECRYPT_FAILED', `${name}: ${error.message}`, { cause: error });
  }
  return error;
}

/**
 * Decrypts an object as its bytes arrive. Yields plaintext only in chunks whose tags verified; fails at the
 * end unless the whole object verified. `onHeader` sees the header (and its context) before any plaintext.
 */
export async function* openObject(bytes: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, keys: KeySource, name: string, onHeader?: (header: ObjectHeader) => void): AsyncGenerator<Buffer, void, undefined> {
  let pending = Buffer.alloc(0);
  let decryptor: ChunkedDecryptor | OneChunkDecryptor | undefined;
  let dataKey: Buffer | undefined;
  try {
    for await (const piece of bytes) {
      if (!decryptor) {
        pending = Buffer.concat([pending, piece]);
        const header = parseHeader(pending, name, false);
        if (!header) continue;
        onHeader?.(header);
        dataKey = await unwrapDataKey(header, keys, name);
        decryptor = header.version === ONE_CHUNK_FORMAT_VERSION ? new OneChunkDecryptor(dataKey, header.binding, header.chunkBytes) : new ChunkedDecryptor(dataKey, header.binding, { chunkBytes: header.chunkBytes });
        yield* decryptor.push(pending.subarray(header.payloadOffset));
        pending = Buffer.alloc(0);
      } else {
        yield* decryptor.push(piece);
      }
    }
    if (!decryptor) {
      parseHeader(pending, name, true);
      throw new SluiceError('SLUICE_OBJECT_MALFORMED', `${name} is not a readable Sluice object: its header is truncated`);
    }
    yield decryptor.finish();
  } catch (error) {
    throw named(error, name);
  } finally {
    decryptor?.dispose();
    dataKey?.fill(0);
  }
}

/** Decrypts a whole object held in memory; returns nothing unless it all verified. */
export async function openObjectBuffer(bytes: Buffer, keys: KeySource, name: string): Promise<{ context: EncryptionContext; plaintext: Buffer }> {
  let context: EncryptionContext = {};
  const parts: Buffer[] = [];
  for await (const part of openObject([bytes], keys, name, (header) => (context = header.context))) parts.push(part);
  return { context, plaintext: Buffer.concat(parts) };
}
