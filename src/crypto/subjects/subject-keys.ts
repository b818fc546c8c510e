// Per-subject keys for crypto-shredding: each data subject's restricted fields are sealed under a key of its
// own, wrapped by the dataset key; erasing the subject destroys that key, and with it every copy of those
// fields, in every object and every backup.
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { RandomPool } from '../random-pool.ts';
import { SluiceError } from '../../errors.ts';
import { GCM_KEY_BYTES, GCM_NONCE_BYTES, openGcm, sealGcm } from '../aes-gcm.ts';
import { hkdfExpand } from '../hkdf-expand.ts';
import type { KeySource } from '../envelope/envelope.ts';
import type { SubjectKeyStore } from './subject-key-store.ts';
import type { KeyStore } from '../keyring/key-store.ts';

/** Every subject-encrypted value starts with this. */
export const ENCRYPTED_PREFIX = 'enc_';
const ENCRYPTED = /^enc_([1-9][0-9]{0,9})_([A-Za-z0-9_-]+)$/;
const REF_BYTES = 16;
/** Subject keys held in memory at most (a batch needs a few thousand; millions of subjects stay in the store). */
const CACHE_LIMIT = 100_000;

function refKeyAad(keyId: string, version: number): Buffer {
  return Buffer.from(`sluice/subject-ref-key/v1\u0000${keyId}\u0000${version}`, 'utf8');
}

/**
 * The secret that turns subject ids into references: random, created once per key, stored wrapped by a version
 * of the key. It never changes with rotation, so a subject keeps one reference, and one tombstone once erased.
 */
async function loadRefKey(store: SubjectKeyStore, keys: KeySource, keyId: string): Promise<Buffer> {
  let row = await store.getRefKey(keyId);
  if (!row) {
    const { version, material } = await keys.primary(keyId);
    const secret = randomBytes(32);
    const nonce = randomBytes(GCM_NONCE_BYTES);
    await store.putRefKey(keyId, version, Buffer.concat([nonce, sealGcm(material, nonce, secret, refKeyAad(keyId, version))]));
    secret.fill(0);
    row = await store.getRefKey(keyId);
    if (!row) throw new SluiceError('SLUICE_STATE_STORE', `the subject reference key of '${keyId}' vanished right after it was stored`);
  }
  const material = await keys.material(keyId, row.keyVersion);
  const secret = openGcm(material, row.wrapped.subarray(0, GCM_NONCE_BYTES), row.wrapped.subarray(GCM_NONCE_BYTES), refKeyAad(keyId, row.keyVersion));
  try {
    return hkdfExpand('sha256', secret, Buffer.from('sluice/subject-ref/v1', 'utf8'), 32);
  } finally {
    secret.fill(0);
  }
}

/** The keyed hash that finds a subject's row: the subject id is never stored. */
function subjectRef(key: Buffer, subjectId: string): Buffer {
  return createHmac('sha256', key).update(subjectId, 'utf8').digest().subarray(0, REF_BYTES);
}

function wrapAad(keyId: string, version: number, ref: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`sluice/subject-key/v1\u0000${keyId}\u0000${version}\u0000`, 'utf8'), ref]);
}

function erasedError(): SluiceError {
  return new SluiceError('SLUICE_SUBJECT_ERASED', 'this value belongs to an erased data subject: its key was destroyed');
}

/** Seals values under per-subject keys; `prepare` fetches (or creates) a batch's keys, then `seal` is sync. */
export class SubjectSealer {
  readonly #store: SubjectKeyStore;
  readonly #keys: KeySource;
  readonly #keyId: string;
  #version = 0;
  #material: Buffer | undefined;
  #refKey: Buffer | undefined;
  readonly #cache = new Map<string, { ref: Buffer; key: Buffer | 'erased' }>();
  readonly #random = new RandomPool();

  constructor(store: SubjectKeyStore, keys: KeySource, keyId: string) {
    this.#store = store;
    this.#keys = keys;
    this.#keyId = keyId;
  }

  async open(): Promise<void> {
    await this.#keys.ensure(this.#keyId);
    const primary = await this.#keys.primary(this.#keyId);
    this.#version = primary.version;
    this.#material = primary.material;
    this.#refKey = await loadRefKey(this.#store, this.#keys, this.#keyId);
  }

  /** Loads or creates the keys of these subjects (stored in one batch). */
  async prepare(subjectIds: readonly string[]): Promise<void> {
    const material = this.#material;
    const ref = this.#refKey;
    if (!material || !ref) throw new SluiceError('SLUICE_STEP_FAILED', 'the subject keys were used before they were opened');
    if (this.#cache.size > CACHE_LIMIT) this.#forget();
    const wanted = new Map<string, Buffer>();
    for (const id of subjectIds) if (!this.#cache.has(id) && !wanted.has(id)) wanted.set(id, subjectRef(ref, id));
    if (wanted.size === 0) return;
    const byRef = new Map((await this.#store.getSubjectKeys(this.#keyId, [...wanted.values()])).map((r) => [r.ref.toString('hex'), r]));
    const created: { ref: Buffer; keyVersion: number; wrapped: Buffer }[] = [];
    for (const [id, subject] of wanted) {
      const row = byRef.get(subject.toString('hex'));
      if (row && !row.wrapped) this.#cache.set(id, { ref: subject, key: 'erased' });
      else if (row?.wrapped) {
        const rowMaterial = row.keyVersion === this.#version ? material : await this.#keys.material(this.#keyId, row.keyVersion);
        const wrapped = row.wrapped;
        this.#cache.set(id, { ref: subject, key: openGcm(rowMaterial, wrapped.subarray(0, GCM_NONCE_BYTES), wrapped.subarray(GCM_NONCE_BYTES), wrapAad(this.#keyId, row.keyVersion, subject)) });
      } else {
        const key = this.#random.take(GCM_KEY_BYTES);
        const nonce = this.#random.take(GCM_NONCE_BYTES);
        created.push({ ref: subject, keyVersion: this.#version, wrapped: Buffer.concat([nonce, sealGcm(material, nonce, key, wrapAad(this.#keyId, this.#version, subject))]) });
        this.#cache.set(id, { ref: subject, key });
      }
    }
    if (created.length > 0) {
      // Another writer may have created some of these first: theirs win, so those are loaded again.
      const lost = await this.#store.putSubjectKeys(this.#keyId, created);
      if (lost.length > 0) {
        const retry: string[] = [];
        for (const [id, entry] of this.#cache) {
          if (lost.some((ref) => ref.equals(entry.ref))) {
            if (entry.key !== 'erased') entry.key.fill(0);
            this.#cache.delete(id);
            retry.push(id);
          }
        }
        await this.prepare(retry);
      }
    }
  }

  /** Seals `value` under the subject's key: `enc_<version>_<base64url(ref || nonce || ciphertext || tag)>`. */
  seal(subjectId: string, value: string): string {
    const entry = this.#cache.get(subjectId);
    if (!entry) throw new SluiceError('SLUICE_STEP_FAILED', 'a subject key was used before its batch was prepared');
    if (entry.key === 'erased') throw erasedError();
    const nonce = this.#random.take(GCM_NONCE_BYTES);
    const sealed = sealGcm(entry.key, nonce, Buffer.from(value, 'utf8'), entry.ref);
    return `${ENCRYPTED_PREFIX}${this.#version}_${Buffer.concat([entry.ref, nonce, sealed]).toString('base64url')}`;
  }

  close(): void {
    this.#forget();
    this.#refKey?.fill(0);
  }

  #forget(): void {
    for (const entry of this.#cache.values()) if (entry.key !== 'erased') entry.key.fill(0);
    this.#cache.clear();
  }
}

/** Opens a subject-encrypted value; SLUICE_SUBJECT_ERASED once its subject was erased. */
export async function openSubjectValue(value: string, store: SubjectKeyStore, keys: KeySource, keyId: string): Promise<string> {
  const match = ENCRYPTED.exec(value);
  if (!match) throw new SluiceError('SLUICE_TOKEN_INVALID', 'not a subject-encrypted value (enc_<version>_<base64url>)');
  const bytes = Buffer.from(match[2] ?? '', 'base64url');
  if (bytes.length < REF_BYTES + GCM_NONCE_BYTES + 16) throw new SluiceError('SLUICE_TOKEN_INVALID', 'the encrypted value is truncated');
  const ref = bytes.subarray(0, REF_BYTES);
  const [row] = await store.getSubjectKeys(keyId, [ref]);
  if (!row) throw new SluiceError('SLUICE_KEY_UNKNOWN', `no subject key for this value under key '${keyId}'`);
  if (!row.wrapped) throw erasedError();
  const material = await keys.material(keyId, row.keyVersion);
  const subjectKey = openGcm(material, row.wrapped.subarray(0, GCM_NONCE_BYTES), row.wrapped.subarray(GCM_NONCE_BYTES), wrapAad(keyId, row.keyVersion, ref));
  try {
    return openGcm(subjectKey, bytes.subarray(REF_BYTES, REF_BYTES + GCM_NONCE_BYTES), bytes.subarray(REF_BYTES + GCM_NONCE_BYTES), ref).toString('utf8');
  } finally {
    subjectKey.fill(0);
  }
}

/** What an erasure did, for the requester's records. Holds no subject id, only its keyed references. */
export interface ErasureReceipt {
  receipt: string;
  keyId: string;
  erasedAt: string;
  /** The subject's reference (hex): a keyed hash of the id, the only thing kept about them. */
  subjectRefs: string[];
  keysDestroyed: number;
}

/**
 * Erases a subject: destroys their key, and leaves a tombstone if they have none yet, so that no later run
 * gives them one. The receipt holds the subject's reference, never the id.
 */
export async function eraseSubject(subjectId: string, store: SubjectKeyStore & KeyStore, keys: KeySource, keyId: string): Promise<ErasureReceipt> {
  if ((await store.listKeyVersions(keyId)).length === 0) throw new SluiceError('SLUICE_KEY_UNKNOWN', `there is no key '${keyId}'`);
  const refKey = await loadRefKey(store, keys, keyId);
  const ref = subjectRef(refKey, subjectId);
  refKey.fill(0);
  const { version } = await keys.primary(keyId);
  const erasedAt = new Date().toISOString();
  const keysDestroyed = await store.eraseSubjectKeys(keyId, [ref], version, erasedAt);
  return { receipt: randomUUID(), keyId, erasedAt, subjectRefs: [ref.toString('hex')], keysDestroyed };
}

/** Moves every live subject key (and the reference key) of `keyId` under its primary version; returns how many. */
export async function rewrapSubjectKeys(store: SubjectKeyStore, keys: KeySource, keyId: string): Promise<number> {
  const primary = await keys.primary(keyId);
  let moved = 0;
  const ref = await store.getRefKey(keyId);
  if (ref && ref.keyVersion !== primary.version) {
    const secret = openGcm(await keys.material(keyId, ref.keyVersion), ref.wrapped.subarray(0, GCM_NONCE_BYTES), ref.wrapped.subarray(GCM_NONCE_BYTES), refKeyAad(keyId, ref.keyVersion));
    const nonce = randomBytes(GCM_NONCE_BYTES);
    await store.rewrapRefKey(keyId, primary.version, Buffer.concat([nonce, sealGcm(primary.material, nonce, secret, refKeyAad(keyId, primary.version))]));
    secret.fill(0);
    moved++;
  }
  for (;;) {
    const rows = await store.listSubjectKeysNotUnder(keyId, primary.version, 10_000);
    if (rows.length === 0) return moved;
    for (const row of rows) {
      const wrapped = row.wrapped as Buffer;
      const subjectKey = openGcm(await keys.material(keyId, row.keyVersion), wrapped.subarray(0, GCM_NONCE_BYTES), wrapped.subarray(GCM_NONCE_BYTES), wrapAad(keyId, row.keyVersion, row.ref));
      const nonce = randomBytes(GCM_NONCE_BYTES);
      await store.rewrapSubjectKey(keyId, row.ref, primary.version, Buffer.concat([nonce, sealGcm(primary.material, nonce, subjectKey, wrapAad(keyId, primary.version, row.ref))]));
      subjectKey.fill(0);
      moved++;
    }
  }
}
