// Where per-subject keys live: one row per (key, subject reference), the subject key wrapped by a version of
// the dataset key. The subject id itself is never stored: rows are found by a keyed hash of it.

/** A subject key row: the wrapped key, or nothing once the subject was erased. */
export interface SubjectKeyRecord {
  /** Keyed hash of the subject id (16 bytes). */
  ref: Buffer;
  keyVersion: number;
  /** The wrapped subject key; undefined once erased. */
  wrapped?: Buffer;
  erasedAt?: string;
}

export interface SubjectKeyStore {
  /** The rows for these references (absent ones are simply missing from the result). */
  getSubjectKeys(keyId: string, refs: readonly Buffer[]): Promise<SubjectKeyRecord[]>;
  /**
   * Adds rows; a reference that exists already keeps its first key (two writers cannot fork a subject).
   * Returns the references that were not added because they existed.
   */
  putSubjectKeys(keyId: string, records: readonly { ref: Buffer; keyVersion: number; wrapped: Buffer }[]): Promise<Buffer[]>;
  /**
   * Erases the keys of these references (overwrites the wrapped key) and leaves a tombstone for references not
   * seen yet, so a subject erased before their first record is never given a key. Returns the keys destroyed.
   */
  eraseSubjectKeys(keyId: string, refs: readonly Buffer[], keyVersion: number, erasedAt: string): Promise<number>;
  /** How many live subject keys (and the reference key) are wrapped under a version: destroy counts them. */
  countSubjectKeys(keyId: string, keyVersion: number): Promise<number>;
  /** The wrapped secret that turns subject ids into references; it never changes for a key. */
  getRefKey(keyId: string): Promise<{ keyVersion: number; wrapped: Buffer } | undefined>;
  /** Stores it once; returns false when another writer stored one first. */
  putRefKey(keyId: string, keyVersion: number, wrapped: Buffer): Promise<boolean>;
  /** Live subject keys not wrapped under `version` (for rewrap), at most `limit`. */
  listSubjectKeysNotUnder(keyId: string, version: number, limit: number): Promise<SubjectKeyRecord[]>;
  /** Replaces a live subject key's wrapping (rewrap); an erased one stays erased. */
  rewrapSubjectKey(keyId: string, ref: Buffer, keyVersion: number, wrapped: Buffer): Promise<void>;
  /** Replaces the reference key's wrapping (rewrap). */
  rewrapRefKey(keyId: string, keyVersion: number, wrapped: Buffer): Promise<void>;
}
