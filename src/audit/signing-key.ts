// The audit log's Ed25519 signing key, held by the keyring: the seed of each version of the keyring key 'audit'
// is derived from that version's material with HKDF (RFC 5869), so the private key is never stored anywhere the
// keyring's own material is not, and rotating the keyring key rotates the signing key.
import { createPrivateKey, createPublicKey, hkdfSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { KeySource } from '../crypto/envelope/envelope.ts';

/** The keyring key whose versions give the signing keys. */
export const AUDIT_KEY_ID = 'audit';

// RFC 8410 §7: a PKCS#8 Ed25519 private key is this fixed prefix followed by the 32-byte seed.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** The Ed25519 private key of one version of the audit key. */
export function signingKeyFrom(material: Uint8Array): KeyObject {
  const seed = Buffer.from(hkdfSync('sha256', material, Buffer.alloc(0), 'sluice/audit/ed25519-seed/v1', 32));
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/** The signing key of the primary version (created on first use). */
export async function auditSigningKey(keys: KeySource): Promise<{ version: number; privateKey: KeyObject; publicKey: KeyObject }> {
  await keys.ensure(AUDIT_KEY_ID);
  const { version, material } = await keys.primary(AUDIT_KEY_ID);
  const privateKey = signingKeyFrom(material);
  return { version, privateKey, publicKey: createPublicKey(privateKey) };
}
