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
        header: httpHeaderName.refine((name) => !isClientHeader(name), 'this header is set by the HTTP client').describe('The header that carries the key, e.g. X-Api-Key.'),
        value: secretReference().describe('The key, as a secret reference.'),
      })
      .optional()
      .describe('An API key sent in a request header.'),
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
    const { header, value } = options.apiKey;
    return new HeaderCredentials(secrets, [value], async (reveal) => ({ [header.toLowerCase()]: await reveal(value) }));
  }
  if (options.oauth2) return new OAuth2ClientCredentials(options.oauth2, secrets, tokens, now);
  return undefined;
}
