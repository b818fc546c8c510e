// AES-256-SIV (RFC 5297), deterministic authenticated encryption, from @noble/ciphers (audited): node:crypto
// has no SIV. Pinned to 64-byte keys (two AES-256 keys); used for tokens, which must be deterministic. Tokens
// are opened here; a column's values are sealed by siv-sealer.ts, which is checked against these.
import { aessiv } from '@noble/ciphers/aes.js';
import { SluiceError } from '../errors.ts';
import { decryptFailed } from './aes-gcm.ts';

export const SIV_KEY_BYTES = 64;
export const SIV_TAG_BYTES = 16;

function checkKey(key: Uint8Array): void {
  if (key.length !== SIV_KEY_BYTES) throw new SluiceError('SLUICE_CRYPTO_PARAMETERS', `AES-256-SIV keys are ${SIV_KEY_BYTES} bytes`);
}

/** SIV (16 bytes) || ciphertext. The same key, associated data and plaintext always give the same output. */
export function sivSeal(key: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Buffer {
  checkKey(key);
  return Buffer.from(aessiv(key, aad).encrypt(plaintext));
}

/** Opens SIV || ciphertext, or fails with the generic SLUICE_DECRYPT_FAILED. */
export function sivOpen(key: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Buffer {
  checkKey(key);
  if (sealed.length < SIV_TAG_BYTES) throw decryptFailed();
  try {
    return Buffer.from(aessiv(key, aad).decrypt(sealed));
  } catch {
    throw decryptFailed();
  }
}
