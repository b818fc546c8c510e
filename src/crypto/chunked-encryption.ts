// C2SP chunked encryption (c2sp.org/chunked-encryption, "Cobblestone-256"): a message in 16 KiB chunks, each
// sealed with AES-256-GCM under a key, base nonce and key commitment derived with HKDF-Expand(SHA-512) from
// an input key, a random 24-byte salt and a context. Adopted as is, so the Wycheproof vectors apply. The chunk
// size is a parameter (16 KiB by default, as C2SP fixes it): in Node each chunk costs a cipher set-up, so
// larger chunks run faster; a caller that changes it must bind the size into the context.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { SluiceError } from '../errors.ts';
import { hkdfExpand } from './hkdf-expand.ts';
import { decryptFailed, GCM_KEY_BYTES, GCM_NONCE_BYTES, GCM_TAG_BYTES, openGcm, sealGcmParts } from './aes-gcm.ts';

/** C2SP's chunk size. */
export const CHUNK_BYTES = 16 * 1024;
/** The chunk sizes a message may use: powers of two from 16 KiB to 1 MiB (decryption buffers one chunk). */
export const MIN_CHUNK_BYTES = 16 * 1024;
export const MAX_CHUNK_BYTES = 1024 * 1024;
export const SALT_BYTES = 24;
export const COMMITMENT_BYTES = 32;
/** salt || commitment, before the first chunk. */
export const HEADER_BYTES = SALT_BYTES + COMMITMENT_BYTES;
/** The spec's limit: 2^38 chunks (4 PiB). */
const MAX_CHUNKS = 2 ** 38;
const INFO_PREFIX = Buffer.from('c2sp.org/chunked-encryption@v1+AEAD_AES_256_GCM\u0000', 'latin1');

/** The per-message key, base nonce and commitment. */
interface MessageKeys {
  key: Buffer;
  baseNonce: Buffer;
  commitment: Buffer;
}

/** key || base nonce || commitment = HKDF-Expand(input key, "c2sp.org/chunked-encryption@v1+" || aead || 0x00 || salt || context). */
export function deriveMessageKeys(inputKey: Uint8Array, salt: Uint8Array, context: Uint8Array): MessageKeys {
  if (inputKey.length !== GCM_KEY_BYTES) throw new SluiceError('SLUICE_CRYPTO_PARAMETERS', `the input key must be ${GCM_KEY_BYTES} bytes`);
  if (salt.length !== SALT_BYTES) throw new SluiceError('SLUICE_CRYPTO_PARAMETERS', `the salt must be ${SALT_BYTES} bytes`);
  const okm = hkdfExpand('sha512', inputKey, Buffer.concat([INFO_PREFIX, salt, context]), GCM_KEY_BYTES + GCM_NONCE_BYTES + COMMITMENT_BYTES);
  return {
    key: okm.subarray(0, GCM_KEY_BYTES),
    baseNonce: okm.subarray(GCM_KEY_BYTES, GCM_KEY_BYTES + GCM_NONCE_BYTES),
    commitment: okm.subarray(GCM_KEY_BYTES + GCM_NONCE_BYTES),
  };
}

/** The nonce of chunk `counter`: the base nonce XOR the counter as a big-endian integer as wide as the nonce. */
export function chunkNonce(baseNonce: Uint8Array, counter: number): Buffer {
  if (counter >= MAX_CHUNKS) throw new SluiceError('SLUICE_CRYPTO_PARAMETERS', 'a message may not exceed 2^38 chunks');
  const nonce = Buffer.from(baseNonce);
  let rest = counter;
  for (let i = nonce.length - 1; rest > 0 && i >= 0; i--) {
    nonce[i] = (nonce[i] ?? 0) ^ (rest % 256);
    rest = Math.floor(rest / 256);
  }
  return nonce;
}

/** A chunk size this module accepts, or an error. */
function checkedChunkBytes(chunkBytes: number): number {
  if (!Number.isInteger(chunkBytes) || chunkBytes < MIN_CHUNK_BYTES || chunkBytes > MAX_CHUNK_BYTES || (chunkBytes & (chunkBytes - 1)) !== 0) {
    throw new SluiceError('SLUICE_CRYPTO_PARAMETERS', `the chunk size must be a power of two from ${MIN_CHUNK_BYTES} to ${MAX_CHUNK_BYTES} bytes`);
  }
  return chunkBytes;
}

/** Options of a message: a fixed salt (tests compare with known answers) and the chunk size. */
export interface ChunkedOptions {
  salt?: Uint8Array;
  /** Plaintext bytes per chunk; C2SP's 16 KiB by default. */
  chunkBytes?: number;
}

/** Encrypts a message as it arrives: header first, then a sealed chunk per full chunk, then the short final chunk. */
export class ChunkedEncryptor {
  readonly header: Buffer;
  readonly #keys: MessageKeys;
  readonly #chunkBytes: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #counter = 0;
  #finished = false;

  /** The salt is random unless given. */
  constructor(inputKey: Uint8Array, context: Uint8Array, options: ChunkedOptions = {}) {
    this.#chunkBytes = checkedChunkBytes(options.chunkBytes ?? CHUNK_BYTES);
    const salt = options.salt ?? randomBytes(SALT_BYTES);
    this.#keys = deriveMessageKeys(inputKey, salt, context);
    this.header = Buffer.concat([salt, this.#keys.commitment]);
  }

  /** Adds plaintext; returns the bytes of the chunks it completed (full chunks only), in order, in pieces. */
  push(plaintext: Uint8Array): Buffer[] {
    if (this.#finished) throw new SluiceError('SLUICE_CRYPTO_PARAMETERS', 'the message is already finished');
    const out: Buffer[] = [];
    let input = Buffer.from(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength);
    // Complete a chunk started by an earlier push first.
    if (this.#pendingBytes > 0) {
      const need = this.#chunkBytes - this.#pendingBytes;
      if (input.length < need) {
        this.#pending.push(Buffer.from(input));
        this.#pendingBytes += input.length;
        return out;
      }
      out.push(...this.#seal(Buffer.concat([...this.#pending, input.subarray(0, need)])));
      this.#pending = [];
      this.#pendingBytes = 0;
      input = input.subarray(need);
    }
    // Whole chunks straight from the input, without copying it. The last full chunk is sealed as well: the
    // final chunk is always shorter (possibly empty), so a full one is never final.
    let offset = 0;
    const size = this.#chunkBytes;
    while (input.length - offset >= size) {
      out.push(...this.#seal(input.subarray(offset, offset + size)));
      offset += size;
    }
    if (offset < input.length) {
      this.#pending = [Buffer.from(input.subarray(offset))];
      this.#pendingBytes = input.length - offset;
    }
    return out;
  }

  /** Seals the final chunk (shorter than a full chunk, possibly empty). */
  finish(): Buffer {
    if (this.#finished) throw new SluiceError('SLUICE_CRYPTO_PARAMETERS', 'the message is already finished');
    this.#finished = true;
    return Buffer.concat(this.#seal(Buffer.concat(this.#pending)));
  }

  #seal(chunk: Uint8Array): [Buffer, Buffer] {
    return sealGcmParts(this.#keys.key, chunkNonce(this.#keys.baseNonce, this.#counter++), chunk);
  }

  /** Zeroes the derived key and nonce; the encryptor is unusable afterwards. */
  dispose(): void {
    this.#finished = true;
    this.#keys.key.fill(0);
    this.#keys.baseNonce.fill(0);
  }
}

/**
 * Decrypts a message as it arrives. Plaintext comes out one verified chunk at a time; a chunk is released only
 * after its tag verifies, and the end is accepted only if the final chunk is short and verifies.
 */
export class ChunkedDecryptor {
  readonly #inputKey: Uint8Array;
  readonly #context: Uint8Array;
  readonly #sealedChunkBytes: number;
  #keys: MessageKeys | undefined;
  #buffered = Buffer.alloc(0);
  /** Pieces received since the last join: joined only when a chunk can be opened, so small reads of large chunks are not copied again and again. */
  #incoming: Buffer[] = [];
  #incomingBytes = 0;
  #counter = 0;
  #failed = false;
  #finished = false;

  constructor(inputKey: Uint8Array, context: Uint8Array, options: Pick<ChunkedOptions, 'chunkBytes'> = {}) {
    if (inputKey.length !== GCM_KEY_BYTES) throw new SluiceError('SLUICE_CRYPTO_PARAMETERS', `the input key must be ${GCM_KEY_BYTES} bytes`);
    this.#sealedChunkBytes = checkedChunkBytes(options.chunkBytes ?? CHUNK_BYTES) + GCM_TAG_BYTES;
    this.#inputKey = inputKey;
    this.#context = context;
  }

  /** Adds ciphertext; returns the plaintext of every chunk that is now known not to be the final one. */
  push(ciphertext: Uint8Array): Buffer[] {
    this.#checkUsable();
    this.#incoming.push(Buffer.from(ciphertext));
    this.#incomingBytes += ciphertext.length;
    // Nothing can be opened until there is more than a header, or more than a whole sealed chunk.
    if (this.#buffered.length + this.#incomingBytes <= (this.#keys ? this.#sealedChunkBytes : HEADER_BYTES - 1)) return [];
    this.#join();
    if (!this.#keys) {
      if (this.#buffered.length < HEADER_BYTES) return [];
      this.#keys = this.#guard(() => this.#openHeader());
    }
    const out: Buffer[] = [];
    let offset = 0;
    // A full sealed chunk followed by at least one more byte cannot be the final chunk.
    const sealedSize = this.#sealedChunkBytes;
    while (this.#buffered.length - offset > sealedSize) {
      const sealed = this.#buffered.subarray(offset, offset + sealedSize);
      out.push(this.#guard(() => this.#open(sealed)));
      offset += sealedSize;
    }
    this.#buffered = this.#buffered.subarray(offset);
    return out;
  }

  /** Ends the message: the rest must be one short final chunk that verifies. */
  finish(): Buffer {
    this.#checkUsable();
    this.#finished = true;
    this.#join();
    return this.#guard(() => {
      if (!this.#keys) throw truncated('it is shorter than its header');
      const rest = this.#buffered;
      if (rest.length < GCM_TAG_BYTES || rest.length >= this.#sealedChunkBytes) throw truncated('its final chunk is missing');
      return this.#open(rest);
    });
  }

  #join(): void {
    if (this.#incoming.length === 0) return;
    this.#buffered = Buffer.concat([this.#buffered, ...this.#incoming]);
    this.#incoming = [];
    this.#incomingBytes = 0;
  }

  /** Zeroes the derived key and nonce; the decryptor is unusable afterwards. */
  dispose(): void {
    this.#failed = true;
    this.#keys?.key.fill(0);
    this.#keys?.baseNonce.fill(0);
  }

  #openHeader(): MessageKeys {
    const salt = this.#buffered.subarray(0, SALT_BYTES);
    const commitment = this.#buffered.subarray(SALT_BYTES, HEADER_BYTES);
    const keys = deriveMessageKeys(this.#inputKey, salt, this.#context);
    // The commitment is checked before any chunk: a ciphertext opens under exactly one key and context.
    if (!timingSafeEqual(keys.commitment, commitment)) throw decryptFailed();
    this.#buffered = this.#buffered.subarray(HEADER_BYTES);
    return keys;
  }

  #open(sealed: Uint8Array): Buffer {
    const keys = this.#keys as MessageKeys;
    return openGcm(keys.key, chunkNonce(keys.baseNonce, this.#counter++), sealed);
  }

  /** Once anything failed, the decryptor keeps failing: no clean end after an error. */
  #guard<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      this.#failed = true;
      throw error;
    }
  }

  #checkUsable(): void {
    if (this.#failed) throw decryptFailed();
    if (this.#finished) throw new SluiceError('SLUICE_CRYPTO_PARAMETERS', 'the message is already finished');
  }
}

function truncated(why: string): SluiceError {
  return new SluiceError('SLUICE_DECRYPT_FAILED', `decryption failed: the ciphertext is truncated (${why})`);
}

/** Encrypts a whole message. */
export function encryptChunked(inputKey: Uint8Array, context: Uint8Array, plaintext: Uint8Array, options: ChunkedOptions = {}): Buffer {
  const encryptor = new ChunkedEncryptor(inputKey, context, options);
  return Buffer.concat([encryptor.header, ...encryptor.push(plaintext), encryptor.finish()]);
}

/** Decrypts a whole message; nothing is returned unless every chunk and the end verified. */
export function decryptChunked(inputKey: Uint8Array, context: Uint8Array, ciphertext: Uint8Array, options: Pick<ChunkedOptions, 'chunkBytes'> = {}): Buffer {
  const decryptor = new ChunkedDecryptor(inputKey, context, options);
  const parts = decryptor.push(ciphertext);
  try {
    parts.push(decryptor.finish());
  } catch (error) {
    for (const part of parts) part.fill(0);
    throw error;
  }
  return Buffer.concat(parts);
}
