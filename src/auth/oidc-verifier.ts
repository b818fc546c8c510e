// Verifies OIDC bearer access tokens (signed JWTs) for the control plane against each trusted issuer's JWKS.
import { readFileSync } from 'node:fs';
import { compactVerify, createLocalJWKSet, createRemoteJWKSet, customFetch, decodeJwt, errors, jwtVerify } from 'jose';
import type { CompactJWSHeaderParameters, CryptoKey, FetchImplementation, FlattenedJWSInput, JWSHeaderParameters, JWTPayload, RemoteJWKSet } from 'jose';
import { Agent, fetch as undiciFetch } from 'undici';
import { z } from 'zod';
import { SluiceError, ioFailure } from '../errors.ts';
import { TLS_CIPHERS, TLS_MIN_VERSION } from '../tls/cipher-policy.ts';

/**
 * The signature algorithms an issuer may be allowed. RFC 8725 §3.1–3.2: never `none`, and no HS* either, since
 * an HMAC key would be a secret shared with the IdP, and allowing HS* next to RS* is the classic key-confusion
 * attack (the RSA public key used as the HMAC secret).
 */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

/** One of the signature algorithms an issuer may be allowed. */
export type SignatureAlgorithm = (typeof ALGORITHMS)[number];

/** Node's default limit on all request headers together is 16 KiB, so no honest bearer token is longer. */
const MAX_TOKEN_LENGTH = 16_384;
/** A JWKS is a few keys; a larger answer is refused before jose parses it. */
const MAX_JWKS_BYTES = 512 * 1024;
/** After a failed JWKS fetch, nothing is fetched for this long (or the cooldown, if shorter). */
const FAILURE_BACKOFF_MS = 5_000;
/** OpenID Connect Core 1.0 §2: `sub` is at most 255 ASCII characters. */
const MAX_SUBJECT_LENGTH = 255;

/**
 * Header `typ` values of JWTs that are signed by the same IdP keys but are not access tokens (normalised the way
 * RFC 8725 §3.11 explicit typing is compared). Refused even when an issuer accepts `any` typ.
 */
const NOT_ACCESS_TOKEN_TYPES = new Set([
  'application/logout+jwt', // OIDC Back-Channel Logout 1.0 §2.4
  'application/secevent+jwt', // RFC 8417 §2.3
  'application/dpop+jwt', // RFC 9449 §4.2
  'application/oauth-authz-req+jwt', // RFC 9101 §10.8
  'application/token-introspection+jwt', // RFC 9701 §5
]);

const httpsUrl = (what: string) =>
  z
    .string()
    .url()
    .refine((value) => new URL(value).protocol === 'https:', { message: `${what} must be an https URL` });

/** One trusted issuer (settings server.oidc[]). */
export const oidcIssuerSchema = z
  .strictObject({
    issuer: httpsUrl('the issuer')
      .refine((value) => !/[?#]/.test(value), { message: 'the issuer must have no query or fragment (OpenID Connect Discovery 1.0 §3)' })
      .describe('The exact `iss` value of the tokens, e.g. https://idp.example/realms/main (HTTPS only, compared byte for byte).'),
    audience: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .describe('The `aud` value (or values, any of which may match) that tokens must be issued for: this control plane.'),
    jwksUri: httpsUrl('the JWKS URI').describe("The issuer's JSON Web Key Set (its `jwks_uri`, HTTPS only). Keys come from here and nowhere else."),
    algorithms: z
      .array(z.enum(ALGORITHMS))
      .min(1)
      .default(['RS256', 'ES256', 'EdDSA'])
      .describe('The signature algorithms accepted from this issuer. `none` and HS* (shared secrets) are never accepted.'),
    leewaySeconds: z.number().int().min(0).max(60).default(30).describe('Clock skew tolerated on `exp` and `nbf`, in seconds (at most 60).'),
    caFile: z.string().optional().describe("A PEM file with the CA of the JWKS endpoint's certificate, if it is private."),
    accessTokenType: z
      .enum(['at+jwt', 'any'])
      .default('at+jwt')
      .describe('at+jwt: require the RFC 9068 header `typ` at+jwt. any: accept any `typ`, for IdPs that do not type their tokens, but still refuse ID tokens.'),
  })
  .describe('An OpenID Connect issuer whose access tokens the control plane accepts as bearer tokens.');

export type OidcIssuerConfig = z.output<typeof oidcIssuerSchema>;

/** Who a verified token speaks for. */
export interface OidcIdentity {
  issuer: string;
  subject: string;
  /** "oidc:<issuer>#<subject>" */
  principal: string;
  expiresAt?: Date;
}

/** Why a token was refused: a closed set, for logs and metrics; the caller answers 401 (503 for `jwks-unavailable`). */
export type AuthenticationFailure =
  | 'token-malformed'
  | 'issuer-unknown'
  | 'issuer'
  | 'signature'
  | 'expired'
  | 'not-yet-valid'
  | 'audience'
  | 'algorithm'
  | 'token-type'
  | 'claims'
  | 'jwks-unavailable';

/** A refused bearer token. The message is the same for every reason and never contains the token. */
export class AuthenticationError extends Error {
  readonly reason: AuthenticationFailure;
  /** True when the token itself may be fine and the issuer's keys could not be had: retrying later may succeed. */
  readonly retryable: boolean;

  constructor(reason: AuthenticationFailure, cause?: unknown) {
    super('the bearer token was not accepted', cause === undefined ? undefined : { cause });
    this.name = 'AuthenticationError';
    this.reason = reason;
    this.retryable = reason === 'jwks-unavailable';
  }
}

export interface OidcVerifierOptions {
  /** The clock for `exp`, `nbf` and `iat` (jose's JWKS cache keeps its own, Date.now). */
  now?: () => Date;
  /** How long fetched keys are used before the JWKS is fetched again (default 10 minutes). */
  jwksCacheMaxAgeMs?: number;
  /** After a fetch, how long an unknown `kid` is refused without fetching again (default 30 s). */
  jwksCooldownMs?: number;
  /** How long one JWKS fetch may take (default 5 s). */
  jwksTimeoutMs?: number;
}

interface TrustedIssuer {
  config: OidcIssuerConfig;
  keys: IssuerKeys;
}

/** jose errors by code; claim-validation failures are told apart by the claim (see `reasonOf`). */
const JOSE_REASONS: Readonly<Record<string, AuthenticationFailure>> = {
  ERR_JWT_EXPIRED: 'expired',
  ERR_JOSE_ALG_NOT_ALLOWED: 'algorithm',
  // The allow-list is checked before any algorithm lookup, so "not supported" means a `crit` extension jose
  // does not know (RFC 7515 §4.1.11: the token must then be refused).
  ERR_JOSE_NOT_SUPPORTED: 'token-malformed',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'signature',
  ERR_JWKS_NO_MATCHING_KEY: 'signature',
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: 'signature',
  ERR_JWKS_TIMEOUT: 'jwks-unavailable',
  ERR_JWKS_INVALID: 'jwks-unavailable',
  ERR_JWK_INVALID: 'jwks-unavailable',
  ERR_JWS_INVALID: 'token-malformed',
  ERR_JWT_INVALID: 'token-malformed',
};

const CLAIM_REASONS: Record<string, AuthenticationFailure> = { nbf: 'not-yet-valid', aud: 'audience', iss: 'issuer', typ: 'token-type' };

function reasonOf(error: unknown): AuthenticationFailure {
  if (error instanceof errors.JWTClaimValidationFailed) return CLAIM_REASONS[error.claim] ?? 'claims';
  if (error instanceof errors.JOSEError) return JOSE_REASONS[error.code] ?? 'signature';
  // Not jose's: a key jose refused to import (an RSA modulus under 2048 bits, say). The token is not verified.
  return 'signature';
}

/** jose errors that carry the claims set (which may hold personal data) are not kept as the cause. */
function keepCause(reason: AuthenticationFailure, error: unknown): unknown {
  return reason === 'jwks-unavailable' || !(error instanceof errors.JOSEError) ? error : undefined;
}

/** RFC 8725 §3.11 compares media types case-insensitively, with or without the `application/` prefix. */
function normalisedTyp(typ: unknown): string | undefined {
  if (typeof typ !== 'string') return undefined;
  const lower = typ.toLowerCase();
  return lower.includes('/') ? lower : `application/${lower}`;
}

/**
 * A token that is an ID token, not an access token (RFC 8725 §3.12 cross-JWT confusion): it carries a `nonce`
 * (OpenID Connect Core 1.0 §2), a claim `typ` of ID (as Keycloak writes), or a header `typ` of another JWT kind.
 */
function looksLikeAnotherTokenKind(header: JWSHeaderParameters, payload: JWTPayload): boolean {
  const headerTyp = normalisedTyp(header.typ);
  return (
    Object.hasOwn(payload, 'nonce') ||
    (typeof payload.typ === 'string' && payload.typ.toLowerCase() === 'id') ||
    (headerTyp !== undefined && NOT_ACCESS_TOKEN_TYPES.has(headerTyp))
  );
}

/** Where `verifySignature` gets the key: one key, or a resolver such as a JWKS (which picks by kid, kty, alg, use and key_ops). */
export type SignatureKey = CryptoKey | ((header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey>);

/**
 * The signature and algorithm step of `OidcVerifier.verify`, on its own (no claims are read): JWS Compact
 * Serialization only (never JSON), an `alg` from `algorithms` (which can hold only asymmetric algorithms), the
 * key from `key` alone (the verifier passes its JWKS, so header jwk/jku/x5u/x5c are never used), a base64url
 * payload (RFC 7797 `b64: false` is refused, as jwtVerify does), and no `crit` extension but `b64`.
 * Throws AuthenticationError; returns the verified header and payload bytes, and the key that verified them.
 */
/**
 * A compact JWS in its one canonical spelling: three base64url parts without padding (RFC 7515 §2, §3.1), each
 * of which encodes back to itself. jose decodes with atob on Node 20, which also takes "==", whitespace and
 * non-zero trailing bits: many strings for one token. Nothing keys on token text today; this keeps it so.
 */
function isCanonicalCompact(token: string): boolean {
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  return parts.every((part) => /^[A-Za-z0-9_-]*$/.test(part) && part.length % 4 !== 1 && Buffer.from(part, 'base64url').toString('base64url') === part);
}

export async function verifySignature(
  token: string,
  key: SignatureKey,
  algorithms: readonly SignatureAlgorithm[],
): Promise<{ protectedHeader: CompactJWSHeaderParameters; payload: Uint8Array; key: CryptoKey }> {
  if (algorithms.length === 0 || !algorithms.every((alg) => (ALGORITHMS as readonly string[]).includes(alg))) {
    throw new TypeError(`the allowed algorithms must be some of ${ALGORITHMS.join(', ')}`);
  }
  if (typeof token !== 'string' || !isCanonicalCompact(token)) throw new AuthenticationError('token-malformed');
  try {
    // Always through a resolver, so that jose returns the key that verified the token.
    const resolve = async (header: JWSHeaderParameters, jws: FlattenedJWSInput) => (typeof key === 'function' ? await key(header, jws) : key);
    const verified = await compactVerify(token, resolve, { algorithms: [...algorithms] });
    const { protectedHeader } = verified;
    // jwtVerify's own rule, kept here so that this step alone accepts nothing the verifier would refuse for it.
    if (Array.isArray(protectedHeader.crit) && protectedHeader.crit.includes('b64') && protectedHeader.b64 === false) {
      throw new errors.JWTInvalid('JWTs MUST NOT use unencoded payload');
    }
    return { protectedHeader, payload: verified.payload, key: verified.key };
  } catch (error) {
    if (error instanceof AuthenticationError) throw error;
    const reason = reasonOf(error);
    throw new AuthenticationError(reason, keepCause(reason, error));
  }
}

/** Fetches a JWKS for jose: 200 only (no redirects), at most MAX_JWKS_BYTES, and a JSON object with a `keys` array of objects. */
async function fetchJwks(agent: Agent, url: string, init: Parameters<FetchImplementation>[1]): Promise<Response> {
  const response = await undiciFetch(url, {
    method: init.method,
    headers: Object.fromEntries(init.headers.entries()),
    redirect: init.redirect,
    signal: init.signal,
    dispatcher: agent,
  });
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new Error(`the JWKS endpoint answered HTTP ${response.status}`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of (response.body ?? []) as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > MAX_JWKS_BYTES) throw new Error(`the JWKS answer is larger than ${MAX_JWKS_BYTES} bytes`);
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks);
  // Checked here, not left to jose, so that a malformed answer counts as a failed fetch (and starts the backoff).
  const isObject = (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value);
  const parsed = JSON.parse(body.toString('utf8')) as { keys?: unknown };
  if (!isObject(parsed) || !Array.isArray(parsed.keys) || !parsed.keys.every(isObject)) throw new Error('the JWKS answer is not a JSON Web Key Set');
  return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
}

function loadCa(entry: OidcIssuerConfig & { ca?: string | Buffer }): string | Buffer | undefined {
  if (entry.ca !== undefined || entry.caFile === undefined) return entry.ca;
  try {
    return readFileSync(entry.caFile);
  } catch (error) {
    throw ioFailure('SLUICE_SETTINGS_INVALID', `the CA file ${entry.caFile} of OIDC issuer ${entry.issuer} cannot be read`, error);
  }
}

/**
 * One issuer's keys: jose's remote set over an undici agent with the pinned TLS policy and the issuer's CA.
 *
 * The keys come only from the configured jwksUri: the remote set never follows a token's jku, x5u, jwk or x5c
 * header (RFC 8725 §3.10: do not fetch what untrusted input points at). After a successful fetch an unknown kid
 * refetches at most once per cooldown, so random kids cannot turn us into a request amplifier. jose does not
 * bound refetches after a failed fetch, so that is done here: for a short backoff nothing is fetched, tokens
 * whose key is still cached keep working, and the rest fail fast as `jwks-unavailable`.
 */
class IssuerKeys {
  readonly #agent: Agent;
  readonly #remote: RemoteJWKSet;
  readonly #backoffMs: number;
  #failedAt = Number.NEGATIVE_INFINITY;
  #cachedDuringBackoff: ReturnType<typeof createLocalJWKSet> | undefined;

  constructor(jwksUri: string, ca: string | Buffer | undefined, options: OidcVerifierOptions) {
    this.#agent = new Agent({ connect: { ...(ca === undefined ? {} : { ca }), minVersion: TLS_MIN_VERSION, ciphers: TLS_CIPHERS } });
    const cooldownDuration = options.jwksCooldownMs ?? 30_000;
    this.#backoffMs = Math.min(FAILURE_BACKOFF_MS, cooldownDuration);
    this.#remote = createRemoteJWKSet(new URL(jwksUri), {
      cacheMaxAge: options.jwksCacheMaxAgeMs ?? 600_000,
      cooldownDuration,
      timeoutDuration: options.jwksTimeoutMs ?? 5_000,
      [customFetch]: (url, init) => this.#fetch(url, init),
    });
  }

  async key(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> {
    if (Date.now() - this.#failedAt < this.#backoffMs) {
      if (this.#cachedDuringBackoff && this.#remote.fresh) return await this.#cachedDuringBackoff(header, token);
      throw new AuthenticationError('jwks-unavailable');
    }
    const started = Date.now();
    try {
      return await this.#remote(header, token);
    } catch (error) {
      if (this.#failedAt >= started) throw new AuthenticationError('jwks-unavailable', error);
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }

  async #fetch(url: string, init: Parameters<FetchImplementation>[1]): Promise<Response> {
    try {
      return await fetchJwks(this.#agent, url, init);
    } catch (error) {
      this.#failedAt = Date.now();
      const cached = this.#remote.fresh ? this.#remote.jwks() : undefined;
      this.#cachedDuringBackoff = cached ? createLocalJWKSet(cached) : undefined;
      throw error;
    }
  }
}

/** Verifies bearer access tokens from a fixed set of trusted issuers, each with its own keys and rules. */
export class OidcVerifier {
  readonly #issuers = new Map<string, TrustedIssuer>();
  readonly #now: () => Date;

  constructor(issuers: readonly (OidcIssuerConfig & { ca?: string | Buffer })[], options: OidcVerifierOptions = {}) {
    this.#now = options.now ?? (() => new Date());
    issuers.forEach((entry, index) => {
      // Parsed again here, so that a config built in code cannot skip the https and algorithm rules either.
      const { ca: _ca, ...fields } = entry;
      const parsed = oidcIssuerSchema.safeParse(fields);
      if (!parsed.success) {
        throw new SluiceError('SLUICE_SETTINGS_INVALID', `OIDC issuer ${index} is not valid`, {
          details: parsed.error.issues.map((issue) => `server.oidc[${index}]${issue.path.map((p) => `.${String(p)}`).join('')}: ${issue.message}`),
        });
      }
      const config = parsed.data;
      if (this.#issuers.has(config.issuer)) throw new SluiceError('SLUICE_SETTINGS_INVALID', `OIDC issuer ${config.issuer} is listed twice`);
      this.#issuers.set(config.issuer, { config, keys: new IssuerKeys(config.jwksUri, loadCa(entry), options) });
    });
  }

  /** Verifies a compact JWS; throws AuthenticationError with a short machine reason. */
  async verify(token: string): Promise<OidcIdentity> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) throw new AuthenticationError('token-malformed');
    let claimedIssuer: unknown;
    try {
      claimedIssuer = decodeJwt(token).iss;
    } catch {
      throw new AuthenticationError('token-malformed');
    }
    // The unverified iss only chooses whose keys to try; jwtVerify then checks iss against that issuer.
    const trusted = typeof claimedIssuer === 'string' ? this.#issuers.get(claimedIssuer) : undefined;
    if (!trusted) throw new AuthenticationError('issuer-unknown');
    const { config } = trusted;
    let header: JWSHeaderParameters;
    let payload: JWTPayload;
    try {
      const { key } = await verifySignature(token, (h, t) => trusted.keys.key(h, t), config.algorithms);
      // jose checks claims only inside jwtVerify, so the signature is checked once more there, with the key just
      // resolved (tens of microseconds, for tokens that already passed). Outcomes and reasons are those of one
      // jwtVerify with the JWKS: the same jose step, with the same allow-list, runs first.
      ({ protectedHeader: header, payload } = await jwtVerify(token, key, {
        issuer: config.issuer,
        audience: config.audience,
        algorithms: [...config.algorithms],
        clockTolerance: config.leewaySeconds,
        requiredClaims: ['exp', 'iat', 'sub'],
        currentDate: this.#now(),
        // RFC 9068 §4 and RFC 8725 §3.11: refuse any header typ but at+jwt (jose compares it case-insensitively,
        // with or without application/), so no other JWT the IdP signs passes as an access token.
        ...(config.accessTokenType === 'at+jwt' ? { typ: 'at+jwt' } : {}),
      }));
    } catch (error) {
      if (error instanceof AuthenticationError) throw error;
      const reason = reasonOf(error);
      throw new AuthenticationError(reason, keepCause(reason, error));
    }
    if (config.accessTokenType === 'any' && looksLikeAnotherTokenKind(header, payload)) throw new AuthenticationError('token-type');
    const subject = payload.sub;
    // The subject goes into the principal, audit records and logs: no control characters, and OIDC's length cap.
    if (typeof subject !== 'string' || subject.length === 0 || subject.length > MAX_SUBJECT_LENGTH || /\p{Cc}/u.test(subject)) {
      throw new AuthenticationError('claims');
    }
    return {
      issuer: config.issuer,
      subject,
      principal: `oidc:${config.issuer}#${subject}`,
      ...(typeof payload.exp === 'number' ? { expiresAt: new Date(payload.exp * 1000) } : {}),
    };
  }

  /** Closes the connections to the JWKS endpoints. */
  async close(): Promise<void> {
    await Promise.all([...this.#issuers.values()].map((issuer) => issuer.keys.close()));
  }
}
