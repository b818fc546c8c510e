// Resolves references to Secret values just in time, for the component that needs them: bounded in time,
// cached no longer than the provider's lease or the configured TTL, and registered for redaction before
// anyone can print them.
import { SluiceError, isSluiceError } from '../../errors.ts';
import { parseSecretReference } from '../reference.ts';
import type { SecretReference, SecretScheme } from '../reference.ts';
import { Secret } from '../secret.ts';
import { redactions } from '../redaction.ts';
import type { RedactionRegistry } from '../redaction.ts';
import type { SecretProvider } from './secret-provider.ts';

export interface SecretResolverOptions {
  providers: readonly SecretProvider[];
  /** How long a value without a lease is reused before it is read again. Default 5 minutes. */
  ttlMs?: number;
  /** How long one resolution may take before it fails (a provider that hangs). Default 10 s. */
  timeoutMs?: number;
  registry?: RedactionRegistry;
  /** Told about a value too short to be scrubbed from output (a warning for the log). */
  onShortValue?: (reference: string) => void;
  now?: () => number;
}

interface CacheEntry {
  secret: Secret;
  expiresAt: number;
  leased: boolean;
}

const SECRET_CODES = new Set(['SLUICE_SECRET_NOT_FOUND', 'SLUICE_SECRET_DENIED', 'SLUICE_SECRET_UNAVAILABLE', 'SLUICE_SECRET_REFERENCE']);

export class SecretResolver {
  readonly #providers = new Map<SecretScheme, SecretProvider>();
  readonly #cache = new Map<string, CacheEntry>();
  readonly #pending = new Map<string, Promise<Secret>>();
  readonly #ttlMs: number;
  readonly #timeoutMs: number;
  readonly #registry: RedactionRegistry;
  readonly #options: SecretResolverOptions;

  constructor(options: SecretResolverOptions) {
    for (const provider of options.providers) this.#providers.set(provider.scheme, provider);
    this.#ttlMs = options.ttlMs ?? 5 * 60_000;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#registry = options.registry ?? redactions;
    this.#options = options;
  }

  /** The secret a reference names. Throws SLUICE_SECRET_* errors that name the reference, never a value. */
  async resolve(reference: string | SecretReference): Promise<Secret> {
    const parsed = typeof reference === 'string' ? parseSecretReference(reference) : reference;
    const now = this.#now();
    const cached = this.#cache.get(parsed.text);
    if (cached && cached.expiresAt > now) return cached.secret;
    // Concurrent callers of one reference share one read.
    let pending = this.#pending.get(parsed.text);
    if (!pending) {
      pending = this.#read(parsed, cached).finally(() => this.#pending.delete(parsed.text));
      this.#pending.set(parsed.text, pending);
    }
    return pending;
  }

  /** Drops a cached value (say, after a remote answered 401 with it), so the next resolve reads it again. */
  invalidate(reference: string): void {
    this.#cache.delete(reference);
  }

  async close(): Promise<void> {
    this.#cache.clear();
    for (const provider of this.#providers.values()) await provider.close?.();
  }

  #now(): number {
    return this.#options.now?.() ?? Date.now();
  }

  async #read(reference: SecretReference, expired: CacheEntry | undefined): Promise<Secret> {
    const provider = this.#providers.get(reference.scheme);
    if (!provider) {
      throw new SluiceError('SLUICE_SECRET_UNAVAILABLE', `${reference.text}: no ${reference.scheme}:// provider is configured here. Configure it under secrets: in sluice.settings.yaml.`);
    }
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new SluiceError('SLUICE_SECRET_UNAVAILABLE', `${reference.text}: the ${reference.scheme} provider did not answer within ${this.#timeoutMs / 1000} s`, { retryable: true }));
      }, this.#timeoutMs);
    });
    try {
      // A race, not only the signal: a provider that ignores its signal still cannot hold the caller.
      const resolved = await Promise.race([provider.resolve(reference, controller.signal), timeout]);
      if (this.#registry.register(resolved.value) === false) this.#options.onShortValue?.(reference.text);
      const secret = new Secret(resolved.value, reference.text);
      const lease = resolved.leaseSeconds !== undefined && resolved.leaseSeconds > 0 ? resolved.leaseSeconds * 1000 : undefined;
      this.#cache.set(reference.text, { secret, expiresAt: this.#now() + Math.min(this.#ttlMs, lease ?? Infinity), leased: lease !== undefined });
      return secret;
    } catch (error) {
      throw this.#failure(reference, error, expired);
    } finally {
      clearTimeout(timer);
    }
  }

  #failure(reference: SecretReference, error: unknown, expired: CacheEntry | undefined): SluiceError {
    const leaseNote = expired?.leased ? ` Its lease expired at ${new Date(expired.expiresAt).toISOString()} and reading it again failed.` : '';
    if (isSluiceError(error) && SECRET_CODES.has(error.code)) {
      if (!leaseNote) return error;
      return new SluiceError(error.code, this.#registry.scrub(error.message) + leaseNote, { cause: error, retryable: error.retryable });
    }
    // Anything else (a driver, a socket) is wrapped; its message is scrubbed, as it may quote a credential.
    const message = error instanceof Error ? error.message : String(error);
    return new SluiceError('SLUICE_SECRET_UNAVAILABLE', `${reference.text}: the ${reference.scheme} provider failed: ${this.#registry.scrub(message)}.${leaseNote}`, { cause: error, retryable: true });
  }
}
