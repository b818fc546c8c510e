// Where the built-in secret store keeps its rows: one per secret, its value sealed by a keyring key. The state
// store implements it (SQLite embedded, PostgreSQL in cluster mode).

/** A stored secret. Its value never appears here unsealed. */
export interface SecretRecord {
  name: string;
  /** 1 when set, +1 at every rotation. */
  version: number;
  /** The keyring key and version that seal the value. */
  keyId: string;
  keyVersion: number;
  /** nonce ‖ ciphertext ‖ tag (AES-256-GCM), bound to the name and version. */
  sealed: Buffer;
  createdAt: string;
  /** When the current value was set: createdAt until the first rotation. */
  rotatedAt: string;
  lastReadAt?: string;
  /** How old the value may grow before `check` reports it, in days. */
  maxAgeDays?: number;
}

export interface SecretRecordStore {
  /**
   * Writes a secret if the stored version is still `expected` (undefined: it must not exist yet). Returns false
   * when another writer got there first, so two rotations never silently overwrite each other.
   */
  putSecret(record: SecretRecord, expected: number | undefined): Promise<boolean>;
  getSecret(name: string): Promise<SecretRecord | undefined>;
  /** Every secret, by name. */
  listSecrets(): Promise<SecretRecord[]>;
  deleteSecret(name: string): Promise<boolean>;
  markSecretRead(name: string, at: string): Promise<void>;
  /** How many secrets a key version still seals (destroy refuses while any do). */
  countSecrets(keyId: string, keyVersion: number): Promise<number>;
  /** Re-seals a secret under another key version, if it is still at `version`. */
  resealSecret(name: string, version: number, keyVersion: number, sealed: Buffer): Promise<boolean>;
}
