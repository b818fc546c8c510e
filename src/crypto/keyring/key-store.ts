// Where keyring metadata lives: one row per key version, its material wrapped by the key provider's root key.
// The state store implements it (SQLite embedded, PostgreSQL in cluster mode).

export type KeyVersionState = 'primary' | 'active' | 'destroyed';

/** One version of a named key. Its material never appears here unwrapped. */
export interface KeyVersionRecord {
  keyId: string;
  version: number;
  state: KeyVersionState;
  /** The version's 32-byte material, wrapped by the provider; empty once destroyed. */
  wrapped: Buffer;
  /** Which provider wrapped it ("local", "pkcs11", …), so a keyring refuses a mismatched one. */
  provider: string;
  createdAt: string;
  /** How often the key should rotate, in days; reported by check when overdue. */
  rotationDays?: number;
}

export interface KeyStore {
  /** Adds a version; it becomes the primary one and the previous primary becomes active (decrypt only). */
  addKeyVersion(record: Omit<KeyVersionRecord, 'state'>): Promise<void>;
  /** Versions of one key, or of every key, oldest first. */
  listKeyVersions(keyId?: string): Promise<KeyVersionRecord[]>;
  /** Marks a version destroyed and erases its wrapped material. */
  destroyKeyVersion(keyId: string, version: number): Promise<void>;
}
