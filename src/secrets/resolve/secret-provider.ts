// What a secret provider implements: read one reference's value. The resolver around it adds the
// guarantees (time bound, caching no longer than the lease, registration for redaction, errors that name
// the reference and never the value), so a provider cannot skip them.
import type { SecretReference, SecretScheme } from '../reference.ts';

/** A value as a provider read it. */
export interface ResolvedValue {
  value: string;
  /** How long the provider lets the value be used (a Vault lease), in seconds; none means the resolver's TTL. */
  leaseSeconds?: number;
}

export interface SecretProvider {
  readonly scheme: SecretScheme;
  /**
   * Reads the value. Throws SluiceError SLUICE_SECRET_NOT_FOUND, _DENIED or _UNAVAILABLE with a message that
   * names the reference (reference.text) and never a value. Should stop when `signal` aborts.
   */
  resolve(reference: SecretReference, signal: AbortSignal): Promise<ResolvedValue>;
  close?(): void | Promise<void>;
}
