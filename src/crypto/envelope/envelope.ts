// Envelope encryption of objects: a fresh random data key per object, wrapped by the keyring's primary key
// version, the payload sealed with C2SP chunked encryption under the data key and bound to the header.
import { RandomPool } from '../random-pool.ts';
import { isSluiceError, SluiceError } from '../../errors.ts';
import { GCM_KEY_BYTES, GCM_NONCE_BYTES, openGcm, sealGcm } from '../aes-gcm.ts';
import { ChunkedDecryptor, ChunkedEncryptor, SALT_BYTES } from '../chunked-encryption.ts';
import type { EncryptionContext, ObjectHeader } from './object-format.ts';
import { encodeBinding, encodeKeyBlock, parseHeader, WRITE_CHUNK_BYTES } from './object-format.ts';

/** Where data-key wrapping keys come from: the keyring. */
export interface KeySource {
  primary(keyId: string): Promise<{ version: number; material: Buffer }>;
  material(keyId: string, version: number): Promise<Buffer>;
  /** Creates the key if it does not exist yet. */
  ensure(keyId: string): Promise<void>;
}

/** The associated data of a wrapped data key: it belongs to this key version and this object's binding block. */
function dataKeyAad(keyId: string, keyVersion: number, binding: Buffer): Buffer {
  const version = Buffer.alloc(4);
  version.writeUInt32BE(keyVersion);
  return Buffer.concat([Buffer.from(`sluice/data-key/v1\u0000${keyId}\u0000`, 'utf8'), version, binding]);
}

/** Wraps a data key for `keyId` version `keyVersion` and the object whose binding block is `binding`. */
export function wrapDataKeyFor(material: Buffer, dataKey: Buffer, keyId: string, keyVersion: number, binding: Buffer): Buffer {
  return wrapDataKey(material, dataKey, dataKeyAad(keyId, keyVersion, binding));
}

/** Data keys, nonces and salts come from a pool: randomBytes() per call costs more than sealing a small object. */
const random = new RandomPool();

function wrapDataKey(material: Buffer, dataKey: Buffer, aad: Buffer): Buffer {
  const nonce = random.take(GCM_NONCE_BYTES);
  return Buffer.concat([nonce, sealGcm(material, nonce, dataKey, aad)]);
}

/** Encrypts `plaintext` as one object under the primary version of `keyId`. */
export async function sealObject(plaintext: Uint8Array, context: EncryptionContext, keys: KeySource, keyId: string): Promise<Buffer> {
  return (await sealEnvelope(plaintext, context, keys, keyId)).object;
}

/** Like sealObject, and says which key version sealed it (for the object index). */
export async function sealEnvelope(plaintext: Uint8Array, context: EncryptionContext, keys: KeySource, keyId: string): Promise<{ object: Buffer; keyVersion: number }> {
  const { pieces, keyVersion } = await sealPieces([plaintext], context, keys, keyId);
  return { object: Buffer.concat(pieces), keyVersion };
}

/**
 * Seals plaintext that arrives in pieces into one object, returned as the pieces of its bytes in order. No
 * buffer the size of the object is ever made: on these machines fresh memory costs about 13 µs per 4 KiB page
 * (../shared/crypto-perf.md), which for a 10 MB batch cost more than encrypting it.
 */
export async function sealPieces(plaintext: Iterable<Uint8Array>, context: EncryptionContext, keys: KeySource, keyId: string): Promise<{ pieces: Buffer[]; bytes: number; keyVersion: number }> {
  const { version, material } = await keys.primary(keyId);
  const dataKey = random.take(GCM_KEY_BYTES);
  try {
    // The chunk size is in the binding block, which is the payload's C2SP context: changing it fails decryption.
    const binding = encodeBinding(context, WRITE_CHUNK_BYTES);
    const keyBlock = encodeKeyBlock(keyId, version, wrapDataKey(material, dataKey, dataKeyAad(keyId, version, binding)));
    const encryptor = new ChunkedEncryptor(dataKey, binding, { salt: random.take(SALT_BYTES), chunkBytes: WRITE_CHUNK_BYTES });
    try {
      const pieces = [binding, keyBlock, encryptor.header];
      for (const piece of plaintext) for (const sealed of encryptor.push(piece)) pieces.push(sealed);
      pieces.push(encryptor.finish());
      return { pieces, bytes: pieces.reduce((n, p) => n + p.length, 0), keyVersion: version };
    } finally {
      encryptor.dispose();
    }
  } finally {
    dataKey.fill(0);
  }
}

/** Unwraps an object's data key; the error names the object and the key id and version, never the key. */
export async function unwrapDataKey(header: ObjectHeader, keys: KeySource, name: string): Promise<Buffer> {
  const material = await keys.material(header.keyId, header.keyVersion);
  const wrapped = header.wrappedKey;
  try {
    return openGcm(material, wrapped.subarray(0, GCM_NONCE_BYTES), wrapped.subarray(GCM_NONCE_BYTES), dataKeyAad(header.keyId, header.keyVersion, header.binding));
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
  let decryptor: ChunkedDecryptor | undefined;
  let dataKey: Buffer | undefined;
  try {
    for await (const piece of bytes) {
      if (!decryptor) {
        pending = Buffer.concat([pending, piece]);
        const header = parseHeader(pending, name, false);
        if (!header) continue;
        onHeader?.(header);
        dataKey = await unwrapDataKey(header, keys, name);
        decryptor = new ChunkedDecryptor(dataKey, header.binding, { chunkBytes: header.chunkBytes });
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
