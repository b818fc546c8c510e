// A key provider holds the root key and wraps and unwraps key material with it. Implementations: local (here),
// PKCS#11, Vault Transit and AWS KMS (planned). The root key never leaves the provider object.

export interface KeyProvider {
  /** "local", "pkcs11", …: recorded with every wrapped version. */
  readonly name: string;
  /** Wraps `material`, binding `aad` (key id and version) so a blob cannot be moved to another version. */
  wrap(material: Buffer, aad: Buffer): Promise<Buffer>;
  /** Unwraps a blob made by `wrap` with the same `aad`, or fails with SLUICE_DECRYPT_FAILED. */
  unwrap(blob: Buffer, aad: Buffer): Promise<Buffer>;
  /** Forgets the root key (zeroes what Node lets us zero). */
  close(): void;
}
