// AES-256-GCM, pinned: 32-byte keys, 12-byte nonces, 16-byte tags passed explicitly every time (Node 20
// otherwise accepts tags as short as 4 bytes, DEP0182), and plaintext released only after the tag verifies.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { SluiceError } from '../errors.ts';

export const GCM_KEY_BYTES = 32;
export const GCM_NONCE_BYTES = 12;
export const GCM_TAG_BYTES = 16;
const ALGORITHM = 'aes-256-gcm';

function checkParameters(key: Uint8Array, nonce: Uint8Array): void {
  if (key.length !== GCM_KEY_BYTES) throw new SluiceError('SLUICE_CRYPTO_PARAMETERS', `AES-256-GCM keys are ${GCM_KEY_BYTES} bytes`);
  // NIST SP 800-38D §8.2: 96-bit IVs only; other lengths go through GHASH and weaken the nonce guarantees.
  if (nonce.length !== GCM_NONCE_BYTES) throw new SluiceError('SLUICE_CRYPTO_PARAMETERS', `AES-256-GCM nonces are ${GCM_NONCE_BYTES} bytes`);
}

/** Encrypts `plaintext`; returns ciphertext || 16-byte tag. */
export function sealGcm(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Buffer {
  return Buffer.concat(sealGcmParts(key, nonce, plaintext, aad));
}

/** Like sealGcm, as [ciphertext, tag] without copying them together (large chunks written as they are). */
export function sealGcmParts(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): [Buffer, Buffer] {
  checkParameters(key, nonce);
  const cipher = createCipheriv(ALGORITHM, key, nonce, { authTagLength: GCM_TAG_BYTES });
  if (aad !== undefined && aad.length > 0) cipher.setAAD(aad);
  const body = cipher.update(plaintext);
  // GCM is a stream mode: final() adds no bytes, it only computes the tag.
  const tail = cipher.final();
  return [tail.length === 0 ? body : Buffer.concat([body, tail]), cipher.getAuthTag()];
}

/**
 * Seals `plaintext`, given in pieces, into `target` at `offset`: ciphertext, then the tag; returns the end. The
 * associated data may come in parts too (GCM authenticates them as one string; OpenSSL takes AAD in several
 * updates before any plaintext). For small objects written in place, where every allocation shows.
 */
export function sealGcmInto(key: Uint8Array, nonce: Uint8Array, aad: readonly Uint8Array[], plaintext: readonly Uint8Array[], target: Buffer, offset: number): number {
  checkParameters(key, nonce);
  const cipher = createCipheriv(ALGORITHM, key, nonce, { authTagLength: GCM_TAG_BYTES });
  for (const part of aad) if (part.length > 0) cipher.setAAD(part);
  let end = offset;
  for (const piece of plaintext) if (piece.length > 0) end += cipher.update(piece).copy(target, end);
  // GCM is a stream mode: final() adds no bytes, it only computes the tag.
  cipher.final();
  return end + cipher.getAuthTag().copy(target, end);
}

/**
 * Decrypts ciphertext || tag. Throws SLUICE_DECRYPT_FAILED, saying nothing more, when it does not authenticate;
 * no plaintext byte is returned unless the whole message verified.
 */
export function openGcm(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Buffer {
  checkParameters(key, nonce);
  if (sealed.length < GCM_TAG_BYTES) throw decryptFailed();
  const decipher = createDecipheriv(ALGORITHM, key, nonce, { authTagLength: GCM_TAG_BYTES });
  decipher.setAuthTag(sealed.subarray(sealed.length - GCM_TAG_BYTES));
  if (aad !== undefined && aad.length > 0) decipher.setAAD(aad);
  // update() returns plaintext before final() has checked the tag: hold it until final() succeeds.
  const body = decipher.update(sealed.subarray(0, sealed.length - GCM_TAG_BYTES));
  try {
    const tail = decipher.final();
    return tail.length === 0 ? body : Buffer.concat([body, tail]);
  } catch {
    body.fill(0);
    throw decryptFailed();
  }
}

/** The one decryption error: it never says why, so it cannot serve as an oracle. */
export function decryptFailed(): SluiceError {
  return new SluiceError('SLUICE_DECRYPT_FAILED', 'decryption failed: wrong key or context, or the data was altered');
}
