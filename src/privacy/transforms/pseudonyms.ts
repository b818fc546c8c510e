// Keyed pseudonyms: HMAC-SHA256 of a value under a key derived for one domain (by default the pipeline), so
// the same value gives the same pseudonym within a data set, nobody without the key can test a guess, and two
// data sets cannot be linked by their pseudonyms. Not reversible: use tokenize when the value must come back.
import { createHmac } from 'node:crypto';
import { hkdfExpand } from '../../crypto/hkdf-expand.ts';
import type { KeySource } from '../../crypto/envelope/envelope.ts';

/** Every pseudonym starts with this and the key version, so it is recognisable and its key is known. */
export const PSEUDONYM_PREFIX = 'hmac_';
const HMAC_KEY_BYTES = 32;

/** A pseudonymizer on one key version and domain. */
export interface Pseudonymizer {
  version: number;
  pseudonym(value: string): string;
}

/** The HMAC key of a key version for a domain: derived, so the version's material serves one purpose only. */
export function pseudonymKey(material: Buffer, domain: string): Buffer {
  return hkdfExpand('sha256', material, Buffer.from(`sluice/pseudonym-key/v1\u0000${domain}`, 'utf8'), HMAC_KEY_BYTES);
}

/** A pseudonymizer on the primary version of `keyId` (created if missing). */
export async function openPseudonymizer(keys: KeySource, keyId: string, domain: string): Promise<Pseudonymizer> {
  await keys.ensure(keyId);
  const { version, material } = await keys.primary(keyId);
  const key = pseudonymKey(material, domain);
  const prefix = `${PSEUDONYM_PREFIX}${version}_`;
  return {
    version,
    pseudonym: (value) => prefix + createHmac('sha256', key).update(value, 'utf8').digest('base64url'),
  };
}
