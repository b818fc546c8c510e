// How the http source authenticates: bearer token, HTTP Basic, an API-key header or OAuth2 client
// credentials, every credential a secret reference resolved just in time and sent only to the API's origin.
import { z } from 'zod';
import { SluiceError } from '../../../errors.ts';
import { looksLikeReference } from '../../../secrets/reference.ts';
import type { SecretSource } from '../../../spec/component.ts';
import { secretReference } from '../../../spec/secret-reference-schema.ts';
import { headerSafe, httpHeaderName, isClientHeader } from './headers.ts';
import { plainOrReference } from './option-schemas.ts';
import { OAuth2ClientCredentials, oauth2Schema } from './oauth2-client-credentials.ts';
import type { TokenClient } from './oauth2-client-credentials.ts';

export const authSchema = z
  .strictObject({
    bearer: secretReference().optional().describe('A bearer token (Authorization: Bearer), as a secret reference.'),
    basic: z
      .strictObject({
        username: plainOrReference()
          .refine((name) => looksLikeReference(name) || !name.includes(':'), 'a Basic user name cannot contain a colon (RFC 7617 §2)')
          .describe('The user name, written plainly or as a secret reference.'),
        password: secretReference().describe('The password, as a secret reference.'),
      })
      .optional()
      .describe('HTTP Basic authentication (RFC 7617).'),
    apiKey: z
      .strictObject({
        header: httpHeaderName.refine((name) => !isClientHeader(name), 'this header is set by the HTTP client').optional().describe('The header that carries the key, e.g. X-Api-Key.'),
        query: z
          .string()
          .regex(/^[A-Za-z0-9_.~-]{1,64}$/, 'a query parameter name is letters, digits and _ . ~ -')
          .optional()
          .describe('The query parameter that carries the key, e.g. api_key, for APIs that take it in the URL. It is added to each request to the API\'s origin and never stored in a checkpoint.'),
        value: secretReference().describe('The key, as a secret reference.'),
      })
      .refine((key) => (key.header === undefined) !== (key.query === undefined), { message: 'give the key either a header or a query parameter', path: ['header'] })
      .optional()
      .describe('An API key sent in a request header or a query parameter.'),
    oauth2: oauth2Schema.optional(),
  })
  .refine((auth) => Object.values(auth).filter((v) => v !== undefined).length === 1, {
    message: 'choose exactly one of bearer, basic, apiKey or oauth2',
  })
  .describe('How the source authenticates. Credentials go only to the origin (scheme, host, port) of url, never to another origin after a redirect.');

export type AuthOptions = z.output<typeof authSchema>;

/** The credentials of a source, as request headers. */
export interface Authenticator {
  /** The headers that carry the credentials, read (or fetched) just in time. */
  headers(): Promise<Record<string, string>>;
  /** The API refused the credentials once (a 401): forget what is cached so the next headers() reads afresh. */
  renew(): void;
  /** The API refused them again: forget them for good (the secret resolver reads them again next time). */
  refused(): void;
  /** The secret references the credentials come from: safe to name in an error. */
  readonly references: readonly string[];
  /**
   * Query parameters that carry credentials (an API key in the URL): added to requests to the API's origin only,
   * taken out of every URL the source stores or sends elsewhere.
   */
  readonly queryParameters?: readonly string[];
  /** The values of queryParameters, read just in time. */
  query?(): Promise<Record<string, string>>;
}

/** Builds the credential headers from the revealed values of their references. */
type HeaderBuilder = (reveal: (reference: string) => Promise<string>) => Promise<Record<string, string>>;

/** Header-based credentials read from secret references on every request (the resolver caches them). */
class HeaderCredentials implements Authenticator {
  readonly references: readonly string[];
  readonly #secrets: SecretSource;
  readonly #build: HeaderBuilder;

  constructor(secrets: SecretSource, references: readonly string[], build: HeaderBuilder) {
    this.#secrets = secrets;
    this.references = references;
    this.#build = build;
  }

  headers(): Promise<Record<string, string>> {
    return this.#build(async (reference) => headerSafe(reference, (await this.#secrets.resolve(reference)).reveal()));
  }

  renew(): void {
    for (const reference of this.references) this.#secrets.invalidate(reference);
  }

  refused(): void {
    this.renew();
  }
}

/** An API key in a query parameter, read from its secret reference on every request (the resolver caches it). */
class QueryCredentials implements Authenticator {
  readonly references: readonly string[];
  readonly queryParameters: readonly string[];
  readonly #secrets: SecretSource;
  readonly #reference: string;

  constructor(secrets: SecretSource, parameter: string, reference: string) {
    this.#secrets = secrets;
    this.#reference = reference;
    this.references = [reference];
    this.queryParameters = [parameter];
  }

  async headers(): Promise<Record<string, string>> {
    return {};
  }

  async query(): Promise<Record<string, string>> {
    return { [this.queryParameters[0] ?? '']: (await this.#secrets.resolve(this.#reference)).reveal() };
  }

  renew(): void {
    this.#secrets.invalidate(this.#reference);
  }

  refused(): void {
    this.renew();
  }
}

/** The URL without the query parameters that carry credentials: what may be stored, shown or sent elsewhere. */
export function withoutCredentialParameters(url: URL, authenticator: Authenticator | undefined): URL {
  const names = authenticator?.queryParameters ?? [];
  if (names.length === 0 || !names.some((name) => url.searchParams.has(name))) return url;
  const clean = new URL(url.href);
  for (const name of names) clean.searchParams.delete(name);
  return clean;
}

/** The authenticator for the options, or undefined without auth. */
export function createAuthenticator(
  options: AuthOptions | undefined,
  secrets: SecretSource | undefined,
  tokens: TokenClient,
  now?: () => number,
): Authenticator | undefined {
  if (!options) return undefined;
  if (!secrets) throw new SluiceError('SLUICE_SECRET_UNAVAILABLE', 'the http source authenticates with secret references, but no secret resolver was given');
  if (options.bearer !== undefined) {
    const token = options.bearer;
    return new HeaderCredentials(secrets, [token], async (reveal) => ({ authorization: `Bearer ${await reveal(token)}` }));
  }
  if (options.basic) {
    const { username, password } = options.basic;
    const plainUser = !looksLikeReference(username);
    const references = plainUser ? [password] : [username, password];
    return new HeaderCredentials(secrets, references, async (reveal) => {
      const user = plainUser ? username : await reveal(username);
      if (user.includes(':')) throw new SluiceError('SLUICE_SECRET_DENIED', `the Basic user name from ${username} contains a colon, which RFC 7617 does not allow`);
      return { authorization: `Basic ${Buffer.from(`${user}:${await reveal(password)}`, 'utf8').toString('base64')}` };
    });
  }
  if (options.apiKey) {
    const { header, query, value } = options.apiKey;
    if (query !== undefined) return new QueryCredentials(secrets, query, value);
    return new HeaderCredentials(secrets, [value], async (reveal) => ({ [(header ?? '').toLowerCase()]: await reveal(value) }));
  }
  if (options.oauth2) return new OAuth2ClientCredentials(options.oauth2, secrets, tokens, now);
  return undefined;
}
