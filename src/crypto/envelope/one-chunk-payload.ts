// The payload of a format version 3 object (docs/formats/object.md): an object shorter than one chunk, sealed
// with one AES-256-GCM call under its data key, with a SHA-256 key commitment instead of C2SP's HKDF derivation.
// A 1 KiB object paid about 60% of its time for C2SP's two HMACs and the chunk machinery; this is one hash and
// one cipher. Only node:crypto primitives, composed as the format document specifies.
import { hash, timingSafeEqual } from 'node:crypto';
import { SluiceError } from '../../errors.ts';
import { decryptFailed, GCM_NONCE_BYTES, GCM_TAG_BYTES, openGcm, sealGcmInto } from '../aes-gcm.ts';

export const ONE_CHUNK_COMMITMENT_BYTES = 32;
/** nonce || commitment, before the ciphertext. */
export const ONE_CHUNK_HEADER_BYTES = GCM_NONCE_BYTES + ONE_CHUNK_COMMITMENT_BYTES;
const COMMITMENT_LABEL = Buffer.from('sluice/object/v3/commitment\u0000', 'latin1');

/**
 * SHA-256("sluice/object/v3/commitment" || 0x00 || data key || nonce || binding block). The key and nonce have
 * fixed lengths, so the input is unambiguous. Checked before decrypting: GCM alone is not key-committing, and an
 * object must open under exactly one data key and one binding block (Albertini et al., USENIX Security 2022).
 */
function commitment(dataKey: Uint8Array, nonce: Uint8Array, binding: Uint8Array): Buffer {
  // Assembled in one scratch buffer for a one-shot hash (a Hash object and four updates cost more, per object);
  // wiped after, as it holds the data key. Sealing and opening are synchronous, so nothing else uses it meanwhile.
  const length = COMMITMENT_LABEL.length + dataKey.length + nonce.length + binding.length;
  if (commitmentInput.length < length) commitmentInput = Buffer.alloc(length);
  let at = COMMITMENT_LABEL.copy(commitmentInput, 0);
  commitmentInput.set(dataKey, at);
  at += dataKey.length;
  commitmentInput.set(nonce, at);
  at += nonce.length;
  commitmentInput.set(binding, at);
  try {
    return hash('sha256', commitmentInput.subarray(0, length), 'buffer');
  } finally {
    commitmentInput.fill(0, 0, length);
  }
}
let commitmentInput = Buffer.alloc(512);

/** The bytes a version 3 payload adds to its plaintext: nonce, commitment and tag. */
export const ONE_CHUNK_OVERHEAD_BYTES = ONE_CHUNK_HEADER_BYTES + GCM_TAG_BYTES;

/**
 * Seals `plaintext` (in pieces, shorter than one chunk in all) as a version 3 payload into `target` at `offset`,
 * where the caller has put a fresh random nonce; writes the commitment, ciphertext and tag after it and returns
 * the end. The binding block is the GCM associated data.
 */
export function sealOneChunkInto(dataKey: Uint8Array, binding: Uint8Array, plaintext: readonly Uint8Array[], target: Buffer, offset: number): number {
  const nonce = target.subarray(offset, offset + GCM_NONCE_BYTES);
  commitment(dataKey, nonce, binding).copy(target, offset + GCM_NONCE_BYTES);
  return sealGcmInto(dataKey, nonce, [binding], plaintext, target, offset + ONE_CHUNK_HEADER_BYTES);
}

/**
 * Opens a version 3 payload (all of it): the commitment first, then the tag; no plaintext unless both verify.
 * `maxPlaintextBytes` is the chunk size from the binding block: a version 3 object is shorter than one chunk.
 */
export function openOneChunk(dataKey: Uint8Array, binding: Uint8Array, payload: Buffer, maxPlaintextBytes: number): Buffer {
  if (payload.length < ONE_CHUNK_HEADER_BYTES + GCM_TAG_BYTES) throw truncated();
  if (payload.length - ONE_CHUNK_HEADER_BYTES - GCM_TAG_BYTES >= maxPlaintextBytes) throw tooLong();
  const nonce = payload.subarray(0, GCM_NONCE_BYTES);
  if (!timingSafeEqual(commitment(dataKey, nonce, binding), payload.subarray(GCM_NONCE_BYTES, ONE_CHUNK_HEADER_BYTES))) throw decryptFailed();
  return openGcm(dataKey, nonce, payload.subarray(ONE_CHUNK_HEADER_BYTES), binding);
}

/**
 * Reads a version 3 payload as it arrives, with the interface of ChunkedDecryptor: it holds at most one chunk
 * plus its overhead and yields the plaintext only at the end, after it verified.
 */
export class OneChunkDecryptor {
  readonly #dataKey: Uint8Array;
  readonly #binding: Uint8Array;
  readonly #maxPlaintextBytes: number;
  #pieces: Buffer[] = [];
  #bytes = 0;
  #failed = false;

  constructor(dataKey: Uint8Array, binding: Uint8Array, maxPlaintextBytes: number) {
    this.#dataKey = dataKey;
    this.#binding = binding;
    this.#maxPlaintextBytes = maxPlaintextBytes;
  }

  /** Adds ciphertext; returns nothing (the one chunk is released by finish()). Refuses more than one chunk. */
  push(ciphertext: Uint8Array): Buffer[] {
    if (this.#failed) throw decryptFailed();
    this.#bytes += ciphertext.length;
    if (this.#bytes - ONE_CHUNK_HEADER_BYTES - GCM_TAG_BYTES >= this.#maxPlaintextBytes) {
      this.#failed = true;
      throw tooLong();
    }
    this.#pieces.push(Buffer.from(ciphertext));
    return [];
  }

  /** The plaintext, once the commitment and the tag verified. */
  finish(): Buffer {
    if (this.#failed) throw decryptFailed();
    this.#failed = true;
    return openOneChunk(this.#dataKey, this.#binding, Buffer.concat(this.#pieces), this.#maxPlaintextBytes);
  }

  dispose(): void {
    this.#failed = true;
    this.#pieces = [];
  }
}

function truncated(): SluiceError {
  return new SluiceError('SLUICE_DECRYPT_FAILED', 'decryption failed: the ciphertext is truncated (shorter than its nonce, commitment and tag)');
}

function tooLong(): SluiceError {
  return new SluiceError('SLUICE_DECRYPT_FAILED', 'decryption failed: a version 3 object holds less than one chunk, and this one is longer (appended data?)');
}
