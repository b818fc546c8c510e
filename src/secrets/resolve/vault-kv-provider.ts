// vault://mount/path#key: one key of a HashiCorp Vault KV v2 secret, read over HTTPS with a token or an AppRole
// login whose token is kept, renewed before it expires and replaced when it cannot be.
import { request } from 'node:https';
import { SluiceError, isSluiceError } from '../../errors.ts';
import type { ErrorCode } from '../../errors.ts';
import type { SecretReference } from '../reference.ts';
import { redactions } from '../redaction.ts';
import type { RedactionRegistry } from '../redaction.ts';
import type { ResolvedValue, SecretProvider } from './secret-provider.ts';

/**
 * How Sluice authenticates to Vault. Credentials come in as functions so the caller resolves them (from other
 * references) just in time, and a rotated token or secret id is picked up at the next call.
 */
export type VaultAuth =
  | { token: () => Promise<string> }
  | { approle: { roleId: string; secretId: () => Promise<string>; mount?: string } };

export interface VaultKvOptions {
  /** https://vault.example:8200. Plain http: is refused. */
  address: string;
  auth: VaultAuth;
  /** A private CA for Vault's certificate (PEM). Without it, Node's trust store. */
  ca?: Buffer;
  /** How long one HTTP request may take. Default 10 s. The resolver's own time bound still applies. */
  timeoutMs?: number;
  /** The largest answer read. Default 1 MiB: a KV secret is small, so anything larger is not one. */
  maxResponseBytes?: number;
  /** Where the AppRole client token is registered for scrubbing. Default the process registry. */
  registry?: RedactionRegistry;
  /** Clock for the AppRole token's lease (tests move it instead of sleeping). Default Date.now. */
  now?: () => number;
}

/** An AppRole login's token and its lease, as Vault granted it. */
interface Session {
  token: string;
  /** When the lease was granted or last renewed. */
  grantedAt: number;
  leaseMs: number;
  renewable: boolean;
}

type VaultReference = Extract<SecretReference, { scheme: 'vault' }>;

interface VaultAnswer {
  status: number;
  body: unknown;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_RESPONSE_BYTES = 1 << 20;

/** Node's codes for a certificate or handshake that failed: told apart from Vault being unreachable. */
const TLS_ERROR = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/;

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** Whether Vault's `errors` list holds exactly this known text. The list itself is never quoted: it may echo a token. */
function vaultSays(body: unknown, text: string): boolean {
  const errors = record(body)?.errors;
  return Array.isArray(errors) && errors.some((e) => typeof e === 'string' && e.trim().toLowerCase() === text.toLowerCase());
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a map' : `a ${typeof value}`;
}

export class VaultKvSecretProvider implements SecretProvider {
  readonly scheme = 'vault';
  readonly #base: URL;
  readonly #options: VaultKvOptions;
  readonly #registry: RedactionRegistry;
  #session: Session | undefined;
  /** One login or renewal at a time, shared by concurrent reads. */
  #refreshing: Promise<Session> | undefined;

  constructor(options: VaultKvOptions) {
    // SLUICE_SECRET_UNAVAILABLE, not _REFERENCE: the references are fine; it is this provider, as configured,
    // that cannot be used. Not retryable, since retrying changes nothing.
    let base: URL;
    try {
      base = new URL(options.address);
    } catch {
      throw new SluiceError('SLUICE_SECRET_UNAVAILABLE', 'the Vault address is not a URL: write it as https://vault.example:8200');
    }
    if (base.protocol !== 'https:') {
      throw new SluiceError('SLUICE_SECRET_UNAVAILABLE', `Vault is reached over HTTPS only, not ${base.protocol} (the token and every secret would cross the network in clear): write the address as https://…`);
    }
    if (base.username !== '' || base.password !== '' || base.search !== '' || base.hash !== '') {
      throw new SluiceError('SLUICE_SECRET_UNAVAILABLE', 'the Vault address holds a user, query or fragment: give only https://host:port');
    }
    this.#base = base;
    this.#options = options;
    this.#registry = options.registry ?? redactions;
  }

  async resolve(reference: SecretReference, signal: AbortSignal): Promise<ResolvedValue> {
    if (reference.scheme !== 'vault') throw new Error(`VaultKvSecretProvider got ${reference.scheme}`);
    const { text, mount, path, key } = reference;
    // The reference grammar admits '.' and '..' as segments; URL parsing would resolve them and read another
    // path than the one written (vault://secret/../sys/...).
    if ([mount, ...path.split('/')].some((s) => s === '.' || s === '..')) {
      throw new SluiceError('SLUICE_SECRET_REFERENCE', `the secret reference '${text}' holds a '.' or '..' segment. Write the path without them, as vault://mount/path#key.`);
    }
    const where = `/v1/${encodeURIComponent(mount)}/data/${path.split('/').map(encodeURIComponent).join('/')}`;

    let token = await this.#token(reference, signal);
    let answer = await this.#call(reference, 'GET', where, token, undefined, signal);
    if (answer.status === 403 && 'approle' in this.#options.auth) {
      // The AppRole token may have been revoked or outlived its lease on Vault's side: log in once more, retry once.
      this.#forget(token);
      token = await this.#token(reference, signal);
      answer = await this.#call(reference, 'GET', where, token, undefined, signal);
    }
    const body = this.#expect(reference, answer);

    const secret = record(record(body.data)?.data);
    if (!secret) {
      throw new SluiceError('SLUICE_SECRET_NOT_FOUND', `${text}: the latest version of ${mount}/${path} is deleted or destroyed. Write a new version, or undelete it (vault kv undelete).`);
    }
    if (!Object.hasOwn(secret, key)) {
      throw new SluiceError('SLUICE_SECRET_NOT_FOUND', `${text}: the secret ${mount}/${path} has no key '${key}' (it has ${Object.keys(secret).length} keys). Fix the #key, or add it to the secret.`);
    }
    const value = secret[key];
    if (typeof value !== 'string') {
      throw new SluiceError('SLUICE_SECRET_NOT_FOUND', `${text}: the key '${key}' of ${mount}/${path} holds ${describe(value)}, not a string. Store the credential as a string.`);
    }
    if (value === '') throw new SluiceError('SLUICE_SECRET_NOT_FOUND', `${text}: the key '${key}' of ${mount}/${path} is empty`);
    const lease = body.lease_duration;
    return typeof lease === 'number' && lease > 0 ? { value, leaseSeconds: lease } : { value };
  }

  close(): void {
    this.#session = undefined;
  }

  /** Maps a KV answer to its body, or throws the Sluice error for its status. */
  #expect(reference: VaultReference, answer: VaultAnswer): Record<string, unknown> {
    const { status, body } = answer;
    const { text, mount, path } = reference;
    if (status === 200) {
      const parsed = record(body);
      if (!parsed) throw new SluiceError('SLUICE_SECRET_UNAVAILABLE', `${text}: Vault answered with a body that is not a JSON map`, { retryable: true });
      return parsed;
    }
    if (status === 404) {
      throw new SluiceError('SLUICE_SECRET_NOT_FOUND', `${text}: Vault has no secret at ${mount}/${path} (HTTP 404). Check the mount is a KV v2 engine and the path exists (vault kv get -mount=${mount} ${path}).`);
    }
    if (status === 403 || status === 401) {
      throw new SluiceError('SLUICE_SECRET_DENIED', `${text}: Vault refused the read (HTTP ${status}, permission denied): the token's policy must grant read on ${mount}/data/${path}.`);
    }
    throw this.#statusError(reference, answer, 'the read');
  }

  #statusError(reference: SecretReference, { status, body }: VaultAnswer, what: string): SluiceError {
    if (status === 503 && vaultSays(body, 'Vault is sealed')) {
      return new SluiceError('SLUICE_SECRET_UNAVAILABLE', `${reference.text}: Vault is sealed (HTTP 503). Unseal it, then run again.`, { retryable: true });
    }
    const retryable = status >= 500 || status === 429 || status === 412;
    return new SluiceError('SLUICE_SECRET_UNAVAILABLE', `${reference.text}: Vault answered ${what} with HTTP ${status}`, { retryable });
  }

  /** The token for the next request: the configured one, or the AppRole session's (logging in or renewing as needed). */
  async #token(reference: SecretReference, signal: AbortSignal): Promise<string> {
    const auth = this.#options.auth;
    if ('token' in auth) return this.#credential(reference, 'token', auth.token);
    const now = this.#now();
    const session = this.#session;
    if (session && now < session.grantedAt + session.leaseMs && !this.#renewalDue(session, now)) return session.token;
    // Concurrent reads share one login or renewal. It runs on its own per-request timeouts, not on the first
    // caller's signal, so one caller giving up does not fail the others; each caller still stops on its own signal.
    this.#refreshing ??= this.#refresh(reference, session).finally(() => {
      this.#refreshing = undefined;
    });
    return (await abortable(this.#refreshing, signal, reference)).token;
  }

  /** Renewal is due once more than half the lease has passed (and the lease is neither over nor endless). */
  #renewalDue(session: Session, now: number): boolean {
    return session.renewable && session.leaseMs > 0 && now - session.grantedAt > session.leaseMs / 2;
  }

  async #refresh(reference: SecretReference, session: Session | undefined): Promise<Session> {
    const never = new AbortController().signal;
    if (session && this.#now() < session.grantedAt + session.leaseMs && this.#renewalDue(session, this.#now())) {
      try {
        const answer = await this.#call(reference, 'POST', '/v1/auth/token/renew-self', session.token, {}, never);
        if (answer.status === 200) return this.#keep(reference, answer.body, 'renew-self');
      } catch {
        // A failed renewal is not fatal while a login can replace the token: fall through and log in.
      }
    }
    return this.#login(reference, never);
  }

  async #login(reference: SecretReference, signal: AbortSignal): Promise<Session> {
    const auth = this.#options.auth;
    if (!('approle' in auth)) throw new Error('login without AppRole');
    this.#session = undefined;
    const { roleId, mount = 'approle' } = auth.approle;
    const secretId = await this.#credential(reference, 'AppRole secret_id', auth.approle.secretId);
    const answer = await this.#call(reference, 'POST', `/v1/auth/${encodeURIComponent(mount)}/login`, undefined, { role_id: roleId, secret_id: secretId }, signal);
    if (answer.status === 200) return this.#keep(reference, answer.body, 'the AppRole login');
    if (answer.status === 400 || answer.status === 401 || answer.status === 403) {
      throw new SluiceError('SLUICE_SECRET_DENIED', `${reference.text}: Vault refused the AppRole login at auth/${mount} (HTTP ${answer.status}): check the role_id, the secret_id (expired or used up?) and the role's CIDR bindings.`);
    }
    throw this.#statusError(reference, answer, 'the AppRole login');
  }

  /** Keeps the token of a login or renewal answer ({auth: {client_token, lease_duration, renewable}}). */
  #keep(reference: SecretReference, body: unknown, what: string): Session {
    const auth = record(record(body)?.auth);
    const token = auth?.client_token;
    const lease = auth?.lease_duration;
    if (typeof token !== 'string' || token === '' || typeof lease !== 'number' || lease < 0) {
      throw new SluiceError('SLUICE_SECRET_UNAVAILABLE', `${reference.text}: Vault answered ${what} without a client token and lease`, { retryable: true });
    }
    // The token is a credential in its own right: scrub it from every output like the secrets it reads.
    this.#registry.register(token);
    // lease_duration 0 is a token without expiry (Vault's convention for root and periodic-less tokens).
    const session: Session = { token, grantedAt: this.#now(), leaseMs: lease === 0 ? Infinity : lease * 1000, renewable: auth?.renewable === true };
    this.#session = session;
    return session;
  }

  /** Drops the AppRole session if it still holds `token`, so the next read logs in. */
  #forget(token: string): void {
    if (this.#session?.token === token) this.#session = undefined;
  }

  async #credential(reference: SecretReference, what: string, read: () => Promise<string>): Promise<string> {
    let value: string;
    try {
      value = await read();
    } catch (error) {
      const code: ErrorCode = isSluiceError(error) ? error.code : 'SLUICE_SECRET_UNAVAILABLE';
      const detail = isSluiceError(error) ? `: ${this.#registry.scrub(error.message)}` : '';
      throw new SluiceError(code, `${reference.text}: the Vault ${what} could not be resolved${detail}`, { cause: error, retryable: isSluiceError(error) && error.retryable });
    }
    if (typeof value !== 'string' || value === '') throw new SluiceError('SLUICE_SECRET_UNAVAILABLE', `${reference.text}: the Vault ${what} resolved to an empty value`);
    return value;
  }

  #now(): number {
    return this.#options.now?.() ?? Date.now();
  }

  /**
   * One HTTPS request to Vault: TLS 1.2 or newer, the private CA if given, a bounded answer, a per-request timeout
   * and the caller's signal. Transport failures become SLUICE_SECRET_UNAVAILABLE naming the reference; statuses are
   * returned for the caller to map. Nothing of the token or of a response body goes into an error.
   */
  #call(reference: SecretReference, method: 'GET' | 'POST', path: string, token: string | undefined, payload: object | undefined, signal: AbortSignal): Promise<VaultAnswer> {
    const text = reference.text;
    const timeoutMs = this.#options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const maxBytes = this.#options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    const data = payload === undefined ? undefined : Buffer.from(JSON.stringify(payload), 'utf8');
    const url = new URL(path, this.#base);
    return new Promise<VaultAnswer>((resolve, reject) => {
      if (signal.aborted) {
        reject(new SluiceError('SLUICE_SECRET_UNAVAILABLE', `${text}: the read from Vault was stopped before it started`, { retryable: true }));
        return;
      }
      let settled = false;
      const fail = (error: SluiceError) => {
        if (settled) return;
        settled = true;
        cleanup();
        reject(error);
        req.destroy();
      };
      const headers: Record<string, string | number> = { accept: 'application/json' };
      if (token !== undefined) headers['x-vault-token'] = token;
      if (data) Object.assign(headers, { 'content-type': 'application/json', 'content-length': data.length });
      // Redirects (a standby node's 307) are not followed: the token would go wherever the Location points.
      const req = request(url, { method, headers, minVersion: 'TLSv1.2', ...(this.#options.ca ? { ca: this.#options.ca } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) fail(new SluiceError('SLUICE_SECRET_UNAVAILABLE', `${text}: Vault answered with more than ${maxBytes} bytes, which is not a KV answer`));
          else chunks.push(chunk);
        });
        res.on('error', () => fail(new SluiceError('SLUICE_SECRET_UNAVAILABLE', `${text}: the connection to Vault broke during the answer`, { retryable: true })));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          cleanup();
          const raw = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = raw === '' ? undefined : JSON.parse(raw);
          } catch {
            body = undefined; // a proxy's HTML error page: the status still says what happened
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      });
      const timer = setTimeout(() => fail(new SluiceError('SLUICE_SECRET_UNAVAILABLE', `${text}: Vault did not answer within ${timeoutMs} ms`, { retryable: true })), timeoutMs);
      const onAbort = () => fail(new SluiceError('SLUICE_SECRET_UNAVAILABLE', `${text}: the read from Vault was stopped (the caller gave up)`, { retryable: true }));
      signal.addEventListener('abort', onAbort, { once: true });
      const cleanup = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      req.on('error', (error: NodeJS.ErrnoException) => {
        const code = error.code ?? 'error';
        if (TLS_ERROR.test(code)) {
          fail(new SluiceError('SLUICE_SECRET_UNAVAILABLE', `${text}: the TLS handshake with Vault at ${this.#base.host} failed (${code}): give Vault's CA certificate (ca), or fix its certificate`, { cause: error }));
        } else {
          fail(new SluiceError('SLUICE_SECRET_UNAVAILABLE', `${text}: cannot reach Vault at ${this.#base.host} (${code})`, { cause: error, retryable: true }));
        }
      });
      req.end(data);
    });
  }
}

/** `promise`, or a rejection as soon as `signal` aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal, reference: SecretReference): Promise<T> {
  const stopped = () => new SluiceError('SLUICE_SECRET_UNAVAILABLE', `${reference.text}: the Vault login was stopped (the caller gave up)`, { retryable: true });
  if (signal.aborted) return Promise.reject(stopped());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(stopped());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
