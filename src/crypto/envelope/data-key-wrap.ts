// An object's data key, wrapped with AES-256-GCM under a keyring key version (docs/formats/object.md, "Key
// block"): nonce (12) || ciphertext (32) || tag (16), bound to the key id, the version and the object's binding
// block, so a wrapped key opens only for its own key version and its own object.
import { createCipheriv } from 'node:crypto';
import { GCM_KEY_BYTES, GCM_NONCE_BYTES, GCM_TAG_BYTES, openGcm } from '../aes-gcm.ts';
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
 * associated data goes to GCM in two parts, the prefix and the binding block: GCM authenticates them as one
 * string (OpenSSL accepts AAD in several updates), which is what unwrapDataKey passes joined.
 */
export function wrapDataKeyInto(material: Buffer, dataKey: Buffer, keyId: string, keyVersion: number, binding: Buffer, random: RandomPool, target: Buffer, offset: number): number {
  if (material.length !== GCM_KEY_BYTES || dataKey.length !== GCM_KEY_BYTES) throw new SluiceError('SLUICE_CRYPTO_PARAMETERS', `key versions and data keys are ${GCM_KEY_BYTES} bytes`);
  random.fill(target, offset, GCM_NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', material, target.subarray(offset, offset + GCM_NONCE_BYTES), { authTagLength: GCM_TAG_BYTES });
  cipher.setAAD(cachedAadPrefix(keyId, keyVersion));
  cipher.setAAD(binding);
  let end = offset + GCM_NONCE_BYTES + cipher.update(dataKey).copy(target, offset + GCM_NONCE_BYTES);
  cipher.final();
  end += cipher.getAuthTag().copy(target, end);
  return end;
}

/** Opens a wrapped data key; throws (with no detail) when it does not authenticate. */
export function openWrappedDataKey(material: Buffer, wrapped: Buffer, keyId: string, keyVersion: number, binding: Buffer): Buffer {
  return openGcm(material, wrapped.subarray(0, GCM_NONCE_BYTES), wrapped.subarray(GCM_NONCE_BYTES), Buffer.concat([aadPrefix(keyId, keyVersion), binding]));
}
