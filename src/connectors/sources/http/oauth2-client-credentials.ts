// OAuth2 client credentials (RFC 6749 §4.4): a token fetched from the token endpoint with the client's id and
// secret, cached until shortly before it expires, fetched again then or when the API answers 401.
import { z } from 'zod';
import { SluiceError } from '../../../errors.ts';
import { redactions } from '../../../secrets/redaction.ts';
import { looksLikeReference } from '../../../secrets/reference.ts';
import type { SecretSource } from '../../../spec/component.ts';
import { secretReference } from '../../../spec/secret-reference-schema.ts';
import type { Authenticator } from './auth.ts';
import { headerSafe } from './headers.ts';
import type { HttpAnswer, HttpRequest } from './http-client.ts';
import { httpsUrlSchema, plainOrReference } from './option-schemas.ts';
import { displayUrl } from './safe-url.ts';

export const oauth2Schema = z
  .strictObject({
    tokenUrl: httpsUrlSchema.describe('The token endpoint (https). Its host is allowed by the egress allowlist without listing it.'),
    clientId: plainOrReference().describe('The client id, written plainly (it is not secret) or as a secret reference.'),
    clientSecret: secretReference().describe('The client secret, as a secret reference.'),
    scope: z.string().min(1).optional().describe('The scope to ask for, space-separated (RFC 6749 §3.3).'),
    clientAuth: z
      .enum(['basic', 'body'])
      .default('basic')
      .describe('How the client authenticates to the token endpoint: HTTP Basic (client_secret_basic, RFC 6749 §2.3.1) or form fields (client_secret_post).'),
  })
  .describe('OAuth2 client credentials: the token is cached, fetched again shortly before it expires, and once more after a 401.');

export type OAuth2Options = z.output<typeof oauth2Schema>;

/** What fetches tokens: the http source's client, without the API's credentials. */
export interface TokenClient {
  request(request: HttpRequest): Promise<HttpAnswer>;
}

/** Errors of the token endpoint (RFC 6749 §5.2) that mean the client's id or secret is wrong. */
const CLIENT_REFUSED = new Set(['invalid_client', 'unauthorized_client']);
/** The longest a token is refreshed ahead of its expiry; shorter tokens are refreshed at 90% of their life. */
const REFRESH_AHEAD_MS = 60_000;

interface CachedToken {
  value: string;
  refreshAt: number;
}

export class OAuth2ClientCredentials implements Authenticator {
  readonly references: readonly string[];
  readonly #options: OAuth2Options;
  readonly #secrets: SecretSource;
  readonly #client: TokenClient;
  readonly #now: () => number;
  #token: CachedToken | undefined;
  #pending: Promise<CachedToken> | undefined;

  constructor(options: OAuth2Options, secrets: SecretSource, client: TokenClient, now: () => number = Date.now) {
    this.#options = options;
    this.#secrets = secrets;
    this.#client = client;
    this.#now = now;
    this.references = looksLikeReference(options.clientId) ? [options.clientId, options.clientSecret] : [options.clientSecret];
  }

  async headers(): Promise<Record<string, string>> {
    return { authorization: `Bearer ${(await this.#current()).value}` };
  }

  renew(): void {
    this.#forget();
  }

  refused(): void {
    this.#forget();
    for (const reference of this.references) this.#secrets.invalidate(reference);
  }

  #forget(): void {
    if (this.#token) redactions.unregister(this.#token.value);
    this.#token = undefined;
  }

  async #current(): Promise<CachedToken> {
    if (this.#token && this.#now() < this.#token.refreshAt) return this.#token;
    // Concurrent requests share one token request.
    if (!this.#pending) {
      this.#pending = this.#fetch().finally(() => {
        this.#pending = undefined;
      });
    }
    return this.#pending;
  }

  async #reveal(reference: string): Promise<string> {
    return headerSafe(reference, (await this.#secrets.resolve(reference)).reveal());
  }

  async #fetch(): Promise<CachedToken> {
    const { tokenUrl, clientId, clientSecret, scope, clientAuth } = this.#options;
    const id = looksLikeReference(clientId) ? await this.#reveal(clientId) : clientId;
    const secret = await this.#reveal(clientSecret);
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (scope !== undefined) form.set('scope', scope);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (clientAuth === 'body') {
      form.set('client_id', id);
      form.set('client_secret', secret);
    } else {
      // RFC 6749 §2.3.1: the id and secret are form-encoded before they are joined for Basic.
      const pair = `${encodeURIComponent(id)}:${encodeURIComponent(secret)}`;
      headers.authorization = `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
    }
    const url = new URL(tokenUrl);
    const started = this.#now();
    const answer = await this.#client.request({ url, label: 'the OAuth2 token request', method: 'POST', body: form.toString(), headers, returnClientErrors: true });
    if (answer.status >= 400) throw this.#refusal(url, answer);
    const token = readToken(answer.value, url);
    this.#forget();
    // The token is no secret reference, so nothing registered it: register it, so no output can print it.
    redactions.register(token.value);
    const life = token.expiresInMs;
    const refreshAt = life === undefined ? Number.POSITIVE_INFINITY : started + life - Math.min(REFRESH_AHEAD_MS, life / 10);
    this.#token = { value: token.value, refreshAt };
    return this.#token;
  }

  #refusal(url: URL, answer: HttpAnswer): SluiceError {
    const raw = (answer.value as { error?: unknown } | undefined)?.error;
    // The error code is a registered token (RFC 6749 §5.2); anything else the server wrote is not repeated.
    const code = typeof raw === 'string' && /^[a-z_]{1,64}$/.test(raw) ? raw : undefined;
    const said = `${answer.status}${code ? ` ${code}` : ''}`;
    const client = `client ${this.#options.clientId}, secret ${this.#options.clientSecret}`;
    if (answer.status === 401 || (code !== undefined && CLIENT_REFUSED.has(code))) {
      for (const reference of this.references) this.#secrets.invalidate(reference);
      return new SluiceError('SLUICE_SECRET_DENIED', `the token endpoint ${displayUrl(url)} refused the client credentials (${client}): ${said}; check that they are current`);
    }
    return new SluiceError('SLUICE_SOURCE_FAILED', `the token endpoint ${displayUrl(url)} refused the token request (${client}): ${said}; check scope and that the client may use the client_credentials grant`);
  }
}

/** The access token and its lifetime from a token response (RFC 6749 §5.1). */
function readToken(value: unknown, url: URL): { value: string; expiresInMs?: number } {
  const body = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const token = body.access_token;
  const type = body.token_type;
  const bad = (what: string) => new SluiceError('SLUICE_SOURCE_FAILED', `the token endpoint ${displayUrl(url)} answered ${what}; check tokenUrl`);
  if (typeof token !== 'string' || token === '') throw bad('without an access_token');
  if (/[\r\n\0]/.test(token)) throw bad('with an access_token that cannot go into a header');
  // Some servers omit token_type; one that names another type (mac, DPoP) would be misused as a bearer token.
  if (type !== undefined && (typeof type !== 'string' || type.toLowerCase() !== 'bearer')) throw bad('a token that is not a bearer token');
  const expires = typeof body.expires_in === 'string' ? Number(body.expires_in) : body.expires_in;
  if (typeof expires === 'number' && Number.isFinite(expires) && expires > 0) return { value: token, expiresInMs: expires * 1000 };
  return { value: token };
}
