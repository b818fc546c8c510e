// The byte layout of a Sluice object (docs/formats/object.md): a binding block (magic, version, chunk size,
// encryption context), a key block (key id, key version, wrapped data key), then the payload: C2SP chunked
// encryption (versions 1 and 2) or, for an object shorter than one chunk, one sealed chunk (version 3).
import { SluiceError } from '../../errors.ts';
import { CHUNK_BYTES, MAX_CHUNK_BYTES, MIN_CHUNK_BYTES } from '../chunked-encryption.ts';

export const MAGIC = Buffer.from('SLCE', 'latin1');
/** What Sluice writes for an object of at least one chunk: a C2SP chunked payload. */
export const CHUNKED_FORMAT_VERSION = 2;
/** What Sluice writes for an object shorter than one chunk: one GCM seal with a hash commitment. */
export const ONE_CHUNK_FORMAT_VERSION = 3;
/** Versions this Sluice reads. Version 1 (C2SP's fixed 16 KiB chunks) is still read. */
const READABLE_VERSIONS = [1, 2, 3];
/**
 * The chunk size Sluice writes: 64 KiB. In Node every chunk pays a cipher set-up, so 16 KiB chunks ran at about
 * 0.65× of node:crypto sealing 64 KiB segments, and 64 KiB chunks at about 0.9× (docs/performance.md).
 */
export const WRITE_CHUNK_BYTES = 64 * 1024;
/** Bounds what a reader buffers before the payload: a header larger than this is not a Sluice object. */
export const MAX_CONTEXT_BYTES = 16 * 1024;
const MAX_WRAPPED_BYTES = 4096;

/** What an object is about, bound to its ciphertext: pipeline, dataset, classification, run, … */
export type EncryptionContext = Readonly<Record<string, string>>;

/** A parsed header. */
export interface ObjectHeader {
  /** 1 or 2: a C2SP chunked payload; 3: a one-chunk payload (one-chunk-payload.ts). */
  version: number;
  context: EncryptionContext;
  /**
   * The binding block's bytes: bound to the wrapped data key and to the payload (its C2SP context in versions 1
   * and 2, its GCM associated data and commitment in version 3), so any change to it fails decryption.
   */
  binding: Buffer;
  /** Plaintext bytes per payload chunk (16 KiB in version 1; from the header in versions 2 and 3, where a version 3 object is shorter). */
  chunkBytes: number;
  keyId: string;
  keyVersion: number;
  wrappedKey: Buffer;
  /** Where the payload starts. */
  payloadOffset: number;
}

/** The context as canonical JSON: keys sorted, so the same context always gives the same bytes. */
export function canonicalContext(context: EncryptionContext): Buffer {
  return Buffer.from(canonicalContextText(context), 'utf8');
}

function canonicalContextText(context: EncryptionContext): string {
  const keys = Object.keys(context);
  // This runs once per object, and small objects feel it. A context built in sorted order (the sinks' is) is
  // already canonical: JSON.stringify walks keys in the same order as Object.keys.
  let sorted = true;
  for (let i = 1; i < keys.length && sorted; i++) sorted = (keys[i - 1] as string) < (keys[i] as string);
  if (sorted) return JSON.stringify(context);
  let json = '{';
  for (const key of keys.sort()) json += `${json.length > 1 ? ',' : ''}${JSON.stringify(key)}:${JSON.stringify(context[key])}`;
  return json + '}';
}

/** A binding block measured before it is written: small objects are written in place, in one buffer. */
export interface BindingPlan {
  json: string;
  /** The whole block's length. */
  bytes: number;
  exponent: number;
  version: number;
}

/** Checks and measures the binding block for `context`, chunks of `chunkBytes` and format `version`. */
export function planBinding(context: EncryptionContext, chunkBytes = WRITE_CHUNK_BYTES, version = CHUNKED_FORMAT_VERSION): BindingPlan {
  const json = canonicalContextText(context);
  const jsonBytes = Buffer.byteLength(json, 'utf8');
  if (jsonBytes > MAX_CONTEXT_BYTES) throw new SluiceError('SLUICE_CRYPTO_PARAMETERS', `an encryption context may not exceed ${MAX_CONTEXT_BYTES} bytes`);
  const exponent = Math.log2(chunkBytes);
  if (!Number.isInteger(exponent) || chunkBytes < MIN_CHUNK_BYTES || chunkBytes > MAX_CHUNK_BYTES) {
    throw new SluiceError('SLUICE_CRYPTO_PARAMETERS', `the chunk size must be a power of two from ${MIN_CHUNK_BYTES} to ${MAX_CHUNK_BYTES} bytes`);
  }
  return { json, bytes: 10 + jsonBytes, exponent, version };
}

/** magic (4) || version 2 or 3 (1) || log2 of the chunk size (1) || context length (u32 BE) || context, at `offset`; returns the end. */
export function writeBinding(plan: BindingPlan, target: Buffer, offset: number): number {
  MAGIC.copy(target, offset);
  target.writeUInt8(plan.version, offset + 4);
  target.writeUInt8(plan.exponent, offset + 5);
  target.writeUInt32BE(plan.bytes - 10, offset + 6);
  target.write(plan.json, offset + 10, 'utf8');
  return offset + plan.bytes;
}

/** The binding block on its own. */
export function encodeBinding(context: EncryptionContext, chunkBytes = WRITE_CHUNK_BYTES, version = CHUNKED_FORMAT_VERSION): Buffer {
  const plan = planBinding(context, chunkBytes, version);
  const binding = Buffer.allocUnsafe(plan.bytes);
  writeBinding(plan, binding, 0);
  return binding;
}

/** The length of a key block holding a wrapped key of `wrappedBytes`. */
export function keyBlockBytes(keyId: string, wrappedBytes: number): number {
  const idBytes = Buffer.byteLength(keyId, 'utf8');
  if (idBytes === 0 || idBytes > 255) throw new SluiceError('SLUICE_CRYPTO_PARAMETERS', 'key ids are 1 to 255 bytes');
  return 1 + idBytes + 4 + 2 + wrappedBytes;
}

/**
 * key id length (u8) || key id || key version (u32 BE) || wrapped key length (u16 BE), at `offset`; returns where
 * the wrapped key goes. The caller checked the key id with keyBlockBytes.
 */
export function writeKeyBlockHead(target: Buffer, offset: number, keyId: string, keyVersion: number, wrappedBytes: number): number {
  const idBytes = target.write(keyId, offset + 1, 'utf8');
  target.writeUInt8(idBytes, offset);
  target.writeUInt32BE(keyVersion, offset + 1 + idBytes);
  target.writeUInt16BE(wrappedBytes, offset + 1 + idBytes + 4);
  return offset + 1 + idBytes + 6;
}

/** The key block: its head, then the wrapped key. */
export function encodeKeyBlock(keyId: string, keyVersion: number, wrappedKey: Buffer): Buffer {
  const block = Buffer.allocUnsafe(keyBlockBytes(keyId, wrappedKey.length));
  wrappedKey.copy(block, writeKeyBlockHead(block, 0, keyId, keyVersion, wrappedKey.length));
  return block;
}

function malformed(name: string, why: string): SluiceError {
  return new SluiceError('SLUICE_OBJECT_MALFORMED', `${name} is not a readable Sluice object: ${why}`);
}

/**
 * Parses the header at the start of `bytes`. Returns undefined when more bytes are needed; throws
 * SLUICE_OBJECT_MALFORMED for anything that cannot be a header of a version this Sluice reads. `name` names the object in errors.
 */
export function parseHeader(bytes: Buffer, name: string, complete: boolean): ObjectHeader | undefined {
  const need = (length: number): boolean => {
    if (bytes.length >= length) return true;
    if (complete) throw malformed(name, 'its header is truncated');
    return false;
  };
  if (!need(MAGIC.length)) return undefined;
  if (!bytes.subarray(0, MAGIC.length).equals(MAGIC)) throw malformed(name, 'it does not start with the Sluice magic bytes');
  if (!need(5)) return undefined;
  const version = bytes.readUInt8(4);
  if (!READABLE_VERSIONS.includes(version)) throw malformed(name, `its format version ${version} is not one this Sluice reads (${READABLE_VERSIONS.join(', ')}); upgrade Sluice`);
  // Version 1: C2SP's 16 KiB chunks. Versions 2 and 3 add a byte: log2 of the chunk size.
  const fixedEnd = version === 1 ? 9 : 10;
  if (!need(fixedEnd)) return undefined;
  let chunkBytes = CHUNK_BYTES;
  if (version !== 1) {
    const exponent = bytes.readUInt8(5);
    chunkBytes = 2 ** exponent;
    if (chunkBytes < MIN_CHUNK_BYTES || chunkBytes > MAX_CHUNK_BYTES) throw malformed(name, `its chunk size 2^${exponent} is outside 16 KiB to 1 MiB`);
  }
  const contextLength = bytes.readUInt32BE(fixedEnd - 4);
  // Lengths are checked before anything is allocated or read past them.
  if (contextLength > MAX_CONTEXT_BYTES) throw malformed(name, 'its encryption context is too long');
  const bindingEnd = fixedEnd + contextLength;
  if (!need(bindingEnd + 1)) return undefined;
  let context: EncryptionContext;
  try {
    const parsed: unknown = JSON.parse(bytes.subarray(fixedEnd, bindingEnd).toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Object.values(parsed).every((v) => typeof v === 'string')) throw new Error('not a map of strings');
    context = parsed as EncryptionContext;
  } catch {
    throw malformed(name, 'its encryption context is not valid');
  }
  const idLength = bytes.readUInt8(bindingEnd);
  if (idLength === 0) throw malformed(name, 'its key id is empty');
  const idEnd = bindingEnd + 1 + idLength;
  if (!need(idEnd + 6)) return undefined;
  const keyId = bytes.subarray(bindingEnd + 1, idEnd).toString('utf8');
  const keyVersion = bytes.readUInt32BE(idEnd);
  const wrappedLength = bytes.readUInt16BE(idEnd + 4);
  if (wrappedLength === 0 || wrappedLength > MAX_WRAPPED_BYTES) throw malformed(name, 'its wrapped key has an impossible length');
  const payloadOffset = idEnd + 6 + wrappedLength;
  if (!need(payloadOffset)) return undefined;
  return {
    version,
    context,
    binding: Buffer.from(bytes.subarray(0, bindingEnd)),
    chunkBytes,
    keyId,
    keyVersion,
    wrappedKey: Buffer.from(bytes.subarray(idEnd + 6, payloadOffset)),
    payloadOffset,
  };
}
