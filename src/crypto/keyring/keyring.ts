// The keyring: named keys with versions. The primary version encrypts; older ones only decrypt. Each version's
// material is random, wrapped by the key provider, stored in the key store, and unwrapped on demand.
import { randomBytes } from 'node:crypto';
import { SluiceError } from '../../errors.ts';
import { GCM_KEY_BYTES } from '../aes-gcm.ts';
import type { KeyProvider } from '../providers/key-provider.ts';
import type { KeyStore, KeyVersionRecord } from './key-store.ts';

const KEY_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;
/** How long a process trusts its idea of a key's primary version before asking the store again. */
const PRIMARY_TTL_MS = 30_000;

/** The bytes a version's wrapping is bound to: a blob cannot be moved to another key or version. */
function wrapContext(keyId: string, version: number): Buffer {
  return Buffer.from(`sluice/key-version/v1\u0000${keyId}\u0000${version}`, 'utf8');
}

export function checkKeyId(keyId: string): void {
  if (!KEY_ID.test(keyId)) throw new SluiceError('SLUICE_USAGE', `key ids are lowercase letters, digits, - and _ (at most 63), not '${keyId}'`);
}

export class Keyring {
  readonly #store: KeyStore;
  readonly #provider: KeyProvider;
  readonly #cache = new Map<string, Buffer>();
  #rootChecked = false;
  /** The primary version per key, re-read from the store at most every PRIMARY_TTL_MS (another process may rotate). */
  readonly #primaries = new Map<string, { version: number; readAt: number }>();

  constructor(store: KeyStore, provider: KeyProvider) {
    this.#store = store;
    this.#provider = provider;
  }

  /** The provider that wraps this keyring's versions: a run's pipeline threads reach it through calls. */
  get provider(): KeyProvider {
    return this.#provider;
  }

  async list(keyId?: string): Promise<KeyVersionRecord[]> {
    return this.#store.listKeyVersions(keyId);
  }

  /** Creates key `keyId` with its first version. */
  async create(keyId: string, options: { rotationDays?: number } = {}): Promise<number> {
    checkKeyId(keyId);
    if ((await this.#store.listKeyVersions(keyId)).length > 0) throw new SluiceError('SLUICE_USAGE', `key '${keyId}' exists already; use 'sluice keys rotate ${keyId}' for a new version`);
    return this.#addVersion(keyId, 1, options.rotationDays);
  }

  /** Makes a new primary version; the old primary stays for decryption. */
  async rotate(keyId: string): Promise<number> {
    const versions = await this.#versions(keyId);
    const last = versions[versions.length - 1] as KeyVersionRecord;
    return this.#addVersion(keyId, last.version + 1, last.rotationDays);
  }

  /** Creates the key if it does not exist yet (the default key of a new state folder). */
  async ensure(keyId: string): Promise<void> {
    if (this.#primaries.has(keyId)) return;
    if ((await this.#store.listKeyVersions(keyId)).length > 0) return;
    try {
      await this.#addVersion(keyId, 1, undefined);
    } catch (error) {
      // Another process created it at the same moment: theirs stands (a version is never overwritten).
      if ((await this.#store.listKeyVersions(keyId)).length === 0) throw error;
    }
  }

  /** The primary version and its material, for encryption. */
  async primary(keyId: string): Promise<{ version: number; material: Buffer }> {
    const known = this.#primaries.get(keyId);
    if (known && Date.now() - known.readAt < PRIMARY_TTL_MS) return { version: known.version, material: await this.material(keyId, known.version) };
    const primary = (await this.#versions(keyId)).find((v) => v.state === 'primary');
    if (!primary) throw new SluiceError('SLUICE_KEY_UNKNOWN', `key '${keyId}' has no primary version; rotate it to make one`);
    this.#primaries.set(keyId, { version: primary.version, readAt: Date.now() });
    return { version: primary.version, material: await this.material(keyId, primary.version) };
  }

  /** The material of one version, for decryption. */
  async material(keyId: string, version: number): Promise<Buffer> {
    const cacheKey = `${keyId}\u0000${version}`;
    const cached = this.#cache.get(cacheKey);
    if (cached) return cached;
    const record = (await this.#store.listKeyVersions(keyId)).find((v) => v.version === version);
    if (!record) throw new SluiceError('SLUICE_KEY_UNKNOWN', `key '${keyId}' has no version ${version} in this keyring`);
    if (record.state === 'destroyed') throw new SluiceError('SLUICE_KEY_DESTROYED', `key '${keyId}' version ${version} was destroyed; what it protected cannot be read`);
    if (record.provider !== this.#provider.name) {
      throw new SluiceError('SLUICE_KEY_PROVIDER', `key '${keyId}' version ${version} was wrapped by the '${record.provider}' provider, but '${this.#provider.name}' is configured`);
    }
    const material = await this.#provider.unwrap(record.wrapped, wrapContext(keyId, version)).catch((error: unknown) => {
      throw new SluiceError('SLUICE_KEY_PROVIDER', `the root key cannot unwrap key '${keyId}' version ${version}: is SLUICE_MASTER_KEY (or the key file) the one this keyring was made with?`, { cause: error });
    });
    this.#cache.set(cacheKey, material);
    return material;
  }

  /** Zeroes every unwrapped key held in memory. */
  close(): void {
    for (const material of this.#cache.values()) material.fill(0);
    this.#cache.clear();
    this.#provider.close();
  }

  async #versions(keyId: string): Promise<KeyVersionRecord[]> {
    const versions = await this.#store.listKeyVersions(keyId);
    if (versions.length === 0) throw new SluiceError('SLUICE_KEY_UNKNOWN', `there is no key '${keyId}'; create it with 'sluice keys create ${keyId}'`);
    return versions;
  }

  /**
   * Before wrapping anything new, proves the provider's root key is the one the keyring was made with: a new
   * key wrapped under another root would split the keyring across two roots, half of it unreadable.
   */
  async #checkRoot(): Promise<void> {
    if (this.#rootChecked) return;
    const sample = (await this.#store.listKeyVersions()).find((v) => v.state !== 'destroyed' && v.provider === this.#provider.name);
    if (sample) await this.material(sample.keyId, sample.version);
    this.#rootChecked = true;
  }

  async #addVersion(keyId: string, version: number, rotationDays: number | undefined): Promise<number> {
    await this.#checkRoot();
    const material = randomBytes(GCM_KEY_BYTES);
    try {
      const wrapped = await this.#provider.wrap(material, wrapContext(keyId, version));
      await this.#store.addKeyVersion({ keyId, version, wrapped, provider: this.#provider.name, createdAt: new Date().toISOString(), ...(rotationDays !== undefined ? { rotationDays } : {}) });
      this.#primaries.delete(keyId);
    } finally {
      material.fill(0);
    }
    return version;
  }
}
