// An object's data key, wrapped with AES-256-GCM under a keyring key version (docs/formats/object.md, "Key
// block"): nonce (12) || ciphertext (32) || tag (16), bound to the key id, the version and the object's binding
// block, so a wrapped key opens only for its own key version and its own object.
import { decryptFailed, GCM_KEY_BYTES, GCM_NONCE_BYTES, GCM_TAG_BYTES, openGcm, sealGcmInto } from '../aes-gcm.ts';
import { SluiceError } from '../../errors.ts';
import type { RandomPool } from '../random-pool.ts';

export const WRAPPED_KEY_BYTES = GCM_NONCE_BYTES + GCM_KEY_BYTES + GCM_TAG_BYTES;

/** "sluice/data-key/v1" || 0x00 || key id || 0x00 || key version (u32 BE): the associated data before the binding block. */
function aadPrefix(keyId: string, keyVersion: number): Buffer {
  const label = `sluice/data-key/v1\u0000${keyId}\u0000`;
  const prefix = Buffer.allocUnsafe(Buffer.byteLength(label, 'utf8') + 4);
  prefix.writeUInt32BE(keyVersion, prefix.write(label, 0, 'utf8'));
  return prefix;
}

/** Prefixes per key id and version, made once each: a 1 KiB object feels every allocation. */
const prefixes = new Map<string, Buffer>();
function cachedAadPrefix(keyId: string, keyVersion: number): Buffer {
  const name = `${keyId}\u0000${keyVersion}`;
  let prefix = prefixes.get(name);
  if (prefix === undefined) {
    prefix = aadPrefix(keyId, keyVersion);
    prefixes.set(name, prefix);
  }
  return prefix;
}

/**
 * Wraps `dataKey` into `target` at `offset` (nonce from `random`, then ciphertext and tag); returns the end. The
 * associated data goes to GCM in two parts, the prefix and the binding block, authenticated as one string: what
 * openWrappedDataKey passes joined.
 */
export function wrapDataKeyInto(material: Buffer, dataKey: Buffer, keyId: string, keyVersion: number, binding: Buffer, random: RandomPool, target: Buffer, offset: number): number {
  if (dataKey.length !== GCM_KEY_BYTES) throw new SluiceError('SLUICE_CRYPTO_PARAMETERS', `data keys are ${GCM_KEY_BYTES} bytes`);
  random.fill(target, offset, GCM_NONCE_BYTES);
  const nonce = target.subarray(offset, offset + GCM_NONCE_BYTES);
  return sealGcmInto(material, nonce, [cachedAadPrefix(keyId, keyVersion), binding], [dataKey], target, offset + GCM_NONCE_BYTES);
}

/** Opens a wrapped data key; throws SLUICE_DECRYPT_FAILED (with no detail) when it does not authenticate. */
export function openWrappedDataKey(material: Buffer, wrapped: Buffer, keyId: string, keyVersion: number, binding: Buffer): Buffer {
  // Whatever else a key block could hold, only a 32-byte key wrapped this way opens here.
  if (wrapped.length !== WRAPPED_KEY_BYTES) throw decryptFailed();
  return openGcm(material, wrapped.subarray(0, GCM_NONCE_BYTES), wrapped.subarray(GCM_NONCE_BYTES), Buffer.concat([aadPrefix(keyId, keyVersion), binding]));
}
