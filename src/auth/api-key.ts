// API keys: `slc_<id>_<secret>`, the secret 256 random bits shown once; only SHA-256 of the secret is stored and
// it is compared in constant time. A fast hash is right here (unlike for passwords): the secret is random and
// long, so there is nothing to guess (as GitHub and Stripe tokens do it).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AccessStore, ApiKeyRecord } from './access-store.ts';
import type { Permission } from './permissions.ts';

export const API_KEY_PREFIX = 'slc_';
const ID_BYTES = 9;
const SECRET_BYTES = 32;
// base64url of 9 and 32 bytes: 12 and 43 characters.
const API_KEY_FORMAT = /^slc_([A-Za-z0-9_-]{12})_([A-Za-z0-9_-]{43})$/;

/** A key as created: the full value (shown once, then forgotten) and the record stored for it. */
export interface NewApiKey {
  value: string;
  record: ApiKeyRecord;
}

function secretHash(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** Makes a new key; the caller stores `record` and shows `value` once. */
export function createApiKey(options: { name: string; createdBy: string; scopes?: readonly Permission[]; expiresAt?: Date; now?: Date }): NewApiKey {
  // The id is the key's public name. Both parts have fixed lengths, so a '_' inside either is unambiguous.
  const id = randomBytes(ID_BYTES).toString('base64url');
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  const record: ApiKeyRecord = {
    id,
    name: options.name,
    hash: secretHash(secret),
    scopes: [...(options.scopes ?? [])],
    createdAt: (options.now ?? new Date()).toISOString(),
    createdBy: options.createdBy,
    ...(options.expiresAt ? { expiresAt: options.expiresAt.toISOString() } : {}),
  };
  return { value: `${API_KEY_PREFIX}${id}_${secret}`, record };
}

/** Whether a bearer credential looks like a Sluice API key (and not a JWT). */
export function looksLikeApiKey(credential: string): boolean {
  return credential.startsWith(API_KEY_PREFIX);
}

export type ApiKeyCheck = { ok: true; key: ApiKeyRecord } | { ok: false; reason: 'malformed' | 'unknown' | 'revoked' | 'expired'; keyId?: string };

// Compared against when the id is unknown, so an unknown id costs what a wrong secret costs.
const DUMMY_HASH = secretHash('');

/** Checks a presented key against the store: constant-time hash comparison, then revocation and expiry. */
export async function checkApiKey(store: AccessStore, value: string, now: Date = new Date()): Promise<ApiKeyCheck> {
  const match = API_KEY_FORMAT.exec(value);
  if (!match) return { ok: false, reason: 'malformed' };
  const [, id = '', secret = ''] = match;
  const record = await store.getApiKey(id);
  const presented = secretHash(secret);
  const equal = timingSafeEqual(presented, record?.hash.length === presented.length ? record.hash : DUMMY_HASH);
  if (!record || !equal) return { ok: false, reason: 'unknown', ...(record ? { keyId: id } : {}) };
  if (record.revokedAt !== undefined) return { ok: false, reason: 'revoked', keyId: id };
  if (record.expiresAt !== undefined && Date.parse(record.expiresAt) <= now.getTime()) return { ok: false, reason: 'expired', keyId: id };
  return { ok: true, key: record };
}
