// Attacks on OIDC bearer-token verification, each refused for the right reason, against a local HTTPS JWKS.
import 'reflect-metadata';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import { X509Certificate } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { inspect } from 'node:util';
import { SignJWT, base64url, exportJWK, exportSPKI, generateKeyPair, importPKCS8 } from 'jose';
import type { CryptoKey, JWK, JWTHeaderParameters, JWTPayload } from 'jose';
import { isSluiceError } from '../errors.ts';
import { createDevCa, issueCertificate } from '../tls/dev-ca.ts';
import { AuthenticationError, OidcVerifier, oidcIssuerSchema } from './oidc-verifier.ts';
import type { AuthenticationFailure, OidcVerifierOptions } from './oidc-verifier.ts';

const MAIN = 'https://idp.example/realms/main';
const ANY_TYP = 'https://idp.example/realms/untyped';
const RS_ONLY = 'https://idp.example/realms/rs-only';
const AUDIENCE = 'sluice-control-plane';
const NOW = new Date();
const NOW_S = Math.floor(NOW.getTime() / 1000);

type KeyPair = { privateKey: CryptoKey; publicKey: CryptoKey };
let server: Server;
let base: string;
let ca: string;
let rsa: KeyPair;
let ed: KeyPair;
let ec: KeyPair;
let attacker: KeyPair;
let attackerJwk: JWK;
const jwks: { keys: JWK[] } = { keys: [] };
/** Requests per path, so tests can count fetches. */
const hits = new Map<string, number>();
const verifiers: OidcVerifier[] = [];

const count = (path: string) => hits.get(path) ?? 0;

async function publicJwk(pair: KeyPair, kid: string, alg: string): Promise<JWK> {
  return { ...(await exportJWK(pair.publicKey)), kid, alg, use: 'sig' };
}

before(async () => {
  const devCa = await createDevCa('OIDC test CA');
  ca = devCa.cert;
  const tls = await issueCertificate(devCa, 'server', ['127.0.0.1', 'localhost']);
  [rsa, ed, ec, attacker] = await Promise.all([generateKeyPair('RS256'), generateKeyPair('EdDSA'), generateKeyPair('ES256'), generateKeyPair('RS256')]);
  jwks.keys = [await publicJwk(rsa, 'rsa-1', 'RS256'), await publicJwk(ed, 'ed-1', 'EdDSA'), await publicJwk(ec, 'ec-1', 'ES256')];
  attackerJwk = await publicJwk(attacker, 'attacker-1', 'RS256');
  server = createServer({ cert: tls.cert, key: tls.key }, (request, response) => {
    const path = request.url ?? '';
    hits.set(path, count(path) + 1);
    const json = (body: unknown) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (path === '/jwks') json(jwks);
    else if (path === '/attacker-jwks') json({ keys: [attackerJwk] });
    else if (path === '/huge') json({ keys: [], padding: 'x'.repeat(600 * 1024) });
    else if (path === '/slow') return; // never answers
    else response.writeHead(path === '/broken' ? 500 : 404).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
});

after(async () => {
  await Promise.all(verifiers.map((v) => v.close()));
  server.closeAllConnections();
  server.close();
});

/** A verifier trusting MAIN (at+jwt), ANY_TYP (any typ) and RS_ONLY (RS256 only), all on `jwksPath`. */
function makeVerifier(options: OidcVerifierOptions & { jwksPath?: string; withCa?: boolean } = {}): OidcVerifier {
  const { jwksPath = '/jwks', withCa = true, ...rest } = options;
  const issuer = (fields: Record<string, unknown>) => ({
    ...oidcIssuerSchema.parse({ audience: AUDIENCE, jwksUri: `${base}${jwksPath}`, ...fields }),
    ...(withCa ? { ca } : {}),
  });
  const verifier = new OidcVerifier(
    [issuer({ issuer: MAIN }), issuer({ issuer: ANY_TYP, accessTokenType: 'any' }), issuer({ issuer: RS_ONLY, algorithms: ['RS256'] })],
    { now: () => NOW, ...rest },
  );
  verifiers.push(verifier);
  return verifier;
}

let sharedVerifier: OidcVerifier | undefined;
const shared = () => (sharedVerifier ??= makeVerifier());

/** A signed token: RS256 with rsa-1, typ at+jwt, valid for MAIN now, unless overridden. */
async function sign(options: { key?: CryptoKey | Uint8Array; header?: Partial<JWTHeaderParameters>; claims?: JWTPayload } = {}): Promise<string> {
  const header = { alg: 'RS256', kid: 'rsa-1', typ: 'at+jwt', ...options.header } as JWTHeaderParameters;
  const claims = { iss: MAIN, aud: AUDIENCE, sub: 'alice', iat: NOW_S - 10, exp: NOW_S + 300, ...options.claims };
  return await new SignJWT(claims).setProtectedHeader(header).sign(options.key ?? rsa.privateKey);
}

/** Asserts a refusal with `reason`, the generic message, and no trace of the token anywhere in the error. */
async function refused(token: string, reason: AuthenticationFailure, verifier = shared()): Promise<AuthenticationError> {
  let caught: unknown;
  try {
    await verifier.verify(token);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof AuthenticationError, `expected a refusal (${reason}), got ${inspect(caught)}`);
  assert.equal(caught.reason, reason);
  assert.equal(caught.message, 'the bearer token was not accepted');
  if (token.length > 0) {
    const shown = [caught.message, String(caught), inspect(caught, { depth: 10 }), JSON.stringify(caught)].join('\n');
    for (const part of [token, ...token.split('.').filter((p) => p.length > 16)]) assert.ok(!shown.includes(part), 'the error shows the token');
  }
  return caught;
}

test('a valid RS256 at+jwt access token is accepted with its principal and expiry', async () => {
  const identity = await shared().verify(await sign());
  assert.deepEqual(identity, { issuer: MAIN, subject: 'alice', principal: `oidc:${MAIN}#alice`, expiresAt: new Date((NOW_S + 300) * 1000) });
});

test('a valid EdDSA at+jwt access token is accepted with its principal', async () => {
  const token = await sign({ key: ed.privateKey, header: { alg: 'EdDSA', kid: 'ed-1' }, claims: { sub: 'bob', aud: ['other', AUDIENCE] } });
  assert.equal((await shared().verify(token)).principal, `oidc:${MAIN}#bob`);
});

test('RFC 9068 typ is compared case-insensitively, with or without application/', async () => {
  for (const typ of ['application/at+jwt', 'AT+JWT']) assert.equal((await shared().verify(await sign({ header: { typ } }))).subject, 'alice');
});

test('alg none: an unsigned token is refused, however "none" is spelled', async () => {
  for (const alg of ['none', 'None', 'NONE']) {
    const header = base64url.encode(JSON.stringify({ alg, typ: 'at+jwt', kid: 'rsa-1' }));
    const payload = base64url.encode(JSON.stringify({ iss: MAIN, aud: AUDIENCE, sub: 'mallory', iat: NOW_S, exp: NOW_S + 300 }));
    await refused(`${header}.${payload}.`, 'algorithm');
  }
});

test('RS/HS confusion: HS256 signed with the RSA public key as the HMAC secret is refused', async () => {
  const secret = new TextEncoder().encode(await exportSPKI(rsa.publicKey));
  await refused(await sign({ key: secret, header: { alg: 'HS256' }, claims: { sub: 'mallory' } }), 'algorithm');
  const jwkSecret = new TextEncoder().encode(JSON.stringify(jwks.keys[0]));
  await refused(await sign({ key: jwkSecret, header: { alg: 'HS256' }, claims: { sub: 'mallory' } }), 'algorithm');
});

test('alg none and HS* cannot be configured as an allowed algorithm', () => {
  for (const algorithms of [['none'], ['HS256'], ['RS256', 'HS512'], []]) {
    assert.equal(oidcIssuerSchema.safeParse({ issuer: MAIN, audience: AUDIENCE, jwksUri: `${MAIN}/certs`, algorithms }).success, false, String(algorithms));
  }
});

test('an http issuer or JWKS URI, or an issuer with a fragment, is refused by the schema and the constructor', () => {
  const good = { issuer: MAIN, audience: AUDIENCE, jwksUri: `${MAIN}/certs` };
  assert.deepEqual(oidcIssuerSchema.parse(good), { ...good, algorithms: ['RS256', 'ES256', 'EdDSA'], leewaySeconds: 30, accessTokenType: 'at+jwt' });
  for (const bad of [{ issuer: 'http://idp.example' }, { jwksUri: 'http://idp.example/certs' }, { issuer: `${MAIN}#x` }, { issuer: `${MAIN}?tenant=a` }, { leewaySeconds: 3600 }]) {
    assert.equal(oidcIssuerSchema.safeParse({ ...good, ...bad }).success, false, JSON.stringify(bad));
  }
  const parsed = oidcIssuerSchema.parse(good);
  assert.throws(() => new OidcVerifier([{ ...parsed, jwksUri: 'http://idp.example/certs' }]), (error) => isSluiceError(error, 'SLUICE_SETTINGS_INVALID'));
  assert.throws(() => new OidcVerifier([parsed, parsed]), (error) => isSluiceError(error, 'SLUICE_SETTINGS_INVALID'));
});

test('expired: a token past exp by more than the leeway is refused', async () => {
  await refused(await sign({ claims: { iat: NOW_S - 7200, exp: NOW_S - 3600 } }), 'expired');
});

test('leeway: exp 20 s ago is within the 30 s leeway and accepted; 40 s ago is beyond it and refused', async () => {
  assert.equal((await shared().verify(await sign({ claims: { iat: NOW_S - 600, exp: NOW_S - 20 } }))).subject, 'alice');
  await refused(await sign({ claims: { iat: NOW_S - 600, exp: NOW_S - 40 } }), 'expired');
});

test('not yet valid: nbf beyond the leeway is refused; within it is accepted', async () => {
  await refused(await sign({ claims: { nbf: NOW_S + 3600 } }), 'not-yet-valid');
  assert.equal((await shared().verify(await sign({ claims: { nbf: NOW_S + 20 } }))).subject, 'alice');
});

test('wrong audience: a token issued for another resource server is refused', async () => {
  await refused(await sign({ claims: { aud: 'another-api' } }), 'audience');
  await refused(await sign({ claims: { aud: [] } }), 'audience');
  await refused(await sign({ claims: { aud: undefined } }), 'audience');
});

test('wrong issuer: a token claiming a trusted issuer but signed by another key is refused as a bad signature', async () => {
  await refused(await sign({ key: attacker.privateKey, claims: { sub: 'admin' } }), 'signature');
  await refused(await sign({ key: attacker.privateKey, header: { kid: 'attacker-1' }, claims: { sub: 'admin' } }), 'signature');
});

test('wrong issuer: a token from an issuer that is not configured is refused without fetching any keys', async () => {
  const verifier = makeVerifier();
  const before = count('/jwks');
  await refused(await sign({ claims: { iss: 'https://evil.example' } }), 'issuer-unknown', verifier);
  await refused(await sign({ claims: { iss: `${MAIN}/` } }), 'issuer-unknown', verifier);
  await refused(await sign({ claims: { iss: [MAIN] as unknown as string } }), 'issuer-unknown', verifier);
  await refused(await sign({ claims: { iss: undefined } }), 'issuer-unknown', verifier);
  assert.equal(count('/jwks'), before);
});

test('kid injection: path traversal, SQL, NUL and non-string kids are refused without a crash', async () => {
  const kids: unknown[] = ['../../etc/passwd', "' OR '1'='1' --", 'rsa-1\u0000', 'x'.repeat(4000), { $ne: null }, ['rsa-1'], 1, null, true];
  for (const kid of kids) {
    await refused(await sign({ key: attacker.privateKey, header: { kid: kid as string } }), 'signature');
  }
});

test('jku, x5u, jwk and x5c headers pointing at an attacker key are ignored and the token refused', async () => {
  const before = count('/attacker-jwks');
  const kid = 'attacker-1';
  await refused(await sign({ key: attacker.privateKey, header: { kid, jku: `${base}/attacker-jwks` } }), 'signature');
  await refused(await sign({ key: attacker.privateKey, header: { kid, x5u: `${base}/attacker-jwks` } }), 'signature');
  await refused(await sign({ key: attacker.privateKey, header: { kid, jwk: attackerJwk } }), 'signature');
  await refused(await sign({ key: attacker.privateKey, header: { kid: undefined, jwk: attackerJwk } }), 'signature');
  const attackerCa = await createDevCa('Attacker CA');
  const leaf = await issueCertificate(attackerCa, 'server', ['idp.example']);
  const x5c = [Buffer.from(new X509Certificate(leaf.cert).raw).toString('base64')];
  await refused(await sign({ key: await importPKCS8(leaf.key, 'ES256'), header: { alg: 'ES256', kid: undefined, x5c } }), 'signature');
  assert.equal(count('/attacker-jwks'), before, 'the attacker JWKS was fetched');
});

test('ID token as access token: typ JWT with a nonce is refused under at+jwt and under any', async () => {
  const idToken = { nonce: 'n-0S6_WzA2Mj', auth_time: NOW_S - 60 };
  await refused(await sign({ header: { typ: 'JWT' }, claims: idToken }), 'token-type');
  await refused(await sign({ header: { typ: 'JWT' }, claims: { ...idToken, iss: ANY_TYP } }), 'token-type');
  await refused(await sign({ header: { typ: undefined }, claims: { ...idToken, iss: ANY_TYP } }), 'token-type');
  await refused(await sign({ header: { typ: 'JWT' }, claims: { iss: ANY_TYP, typ: 'ID' } }), 'token-type');
  await refused(await sign({ header: { typ: 'logout+jwt' }, claims: { iss: ANY_TYP } }), 'token-type');
  await refused(await sign({ header: { typ: undefined } }), 'token-type');
  // The control: an untyped access token is fine where the issuer allows any typ.
  assert.equal((await shared().verify(await sign({ header: { typ: 'JWT' }, claims: { iss: ANY_TYP } }))).principal, `oidc:${ANY_TYP}#alice`);
});

test('algorithm not allowed: an ES256 token from a real JWKS key is refused by an RS256-only issuer', async () => {
  const es = (iss: string) => sign({ key: ec.privateKey, header: { alg: 'ES256', kid: 'ec-1' }, claims: { iss } });
  assert.equal((await shared().verify(await es(MAIN))).subject, 'alice');
  await refused(await es(RS_ONLY), 'algorithm');
  await refused(await sign({ key: ed.privateKey, header: { alg: 'EdDSA', kid: 'ed-1' }, claims: { iss: RS_ONLY } }), 'algorithm');
});

test('missing or unusable claims: no sub, no exp, no iat, a control character in sub', async () => {
  await refused(await sign({ claims: { sub: undefined } }), 'claims');
  await refused(await sign({ claims: { exp: undefined } }), 'claims');
  await refused(await sign({ claims: { iat: undefined } }), 'claims');
  await refused(await sign({ claims: { exp: String(NOW_S + 300) as unknown as number } }), 'claims');
  await refused(await sign({ claims: { sub: 'alice\nadmin' } }), 'claims');
  await refused(await sign({ claims: { sub: 'a'.repeat(256) } }), 'claims');
});

test('tampering: a flipped signature bit or an edited payload is refused', async () => {
  const token = await sign();
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const bytes = base64url.decode(signature);
  bytes[10] = (bytes[10] ?? 0) ^ 0x01;
  await refused(`${header}.${payload}.${base64url.encode(bytes)}`, 'signature');
  const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload))) as JWTPayload;
  const forged = base64url.encode(JSON.stringify({ ...claims, sub: 'admin' }));
  await refused(`${header}.${forged}.${signature}`, 'signature');
  await refused(`${header}.${payload}.`, 'signature');
});

test('malformed tokens: empty, not three parts, not JSON, a JWE, or oversized', async () => {
  const verifier = shared();
  const [header, payload] = (await sign()).split('.') as [string, string];
  for (const token of ['', 'abc', 'a.b', 'a.b.c', `${header}.${payload}`, `${header}.${payload}.sig.extra.part`, `e30.${payload}.c2ln`, `x${'A'.repeat(20_000)}`]) {
    await refused(token, 'token-malformed', verifier);
  }
  await refused(`${base64url.encode('{"alg":"RS256","kid":"rsa-1","typ":"at+jwt","crit":["exp"],"exp":1}')}.${payload}.c2ln`, 'token-malformed', verifier);
});

test('the error never contains the token, for any reason', async () => {
  const tokens: [string, AuthenticationFailure][] = [
    [await sign({ claims: { exp: NOW_S - 3600 } }), 'expired'],
    [await sign({ claims: { aud: 'x' } }), 'audience'],
    [await sign({ key: attacker.privateKey }), 'signature'],
    [await sign({ header: { typ: 'JWT' } }), 'token-type'],
    [await sign({ claims: { iss: 'https://evil.example' } }), 'issuer-unknown'],
  ];
  for (const [token, reason] of tokens) {
    const error = await refused(token, reason);
    assert.equal(error.retryable, false);
    assert.equal(error.cause, undefined, 'jose errors that carry claims are not kept');
  }
  const down = await refused(tokens[0]![0], 'jwks-unavailable', makeVerifier({ jwksPath: '/broken' }));
  assert.equal(down.retryable, true);
});

test('random kids: many tokens with unknown kids cause at most one JWKS fetch per cooldown', async () => {
  const randomKidToken = () => sign({ key: attacker.privateKey, header: { kid: crypto.randomUUID() } });
  const patient = makeVerifier({ jwksCooldownMs: 60_000 });
  const before = count('/jwks');
  await patient.verify(await sign());
  const tokens = await Promise.all(Array.from({ length: 50 }, randomKidToken));
  await Promise.all(tokens.map((token) => refused(token, 'signature', patient)));
  for (const token of tokens.slice(0, 10)) await refused(token, 'signature', patient);
  assert.equal(count('/jwks') - before, 1, 'only the first fetch');

  const brisk = makeVerifier({ jwksCooldownMs: 400 });
  const start = count('/jwks');
  await brisk.verify(await sign());
  await Promise.all(tokens.map((token) => refused(token, 'signature', brisk)));
  assert.equal(count('/jwks') - start, 1, 'nothing more within the cooldown');
  await sleep(450);
  await Promise.all(tokens.map((token) => refused(token, 'signature', brisk)));
  for (const token of tokens.slice(0, 10)) await refused(token, 'signature', brisk);
  assert.equal(count('/jwks') - start, 2, 'one more fetch once the cooldown is over');
});

test('key rotation: a new kid is picked up once the cooldown is over', async () => {
  const next = await generateKeyPair('RS256');
  const token = await sign({ key: next.privateKey, header: { kid: 'rsa-2' } });
  const verifier = makeVerifier({ jwksCooldownMs: 300 });
  await verifier.verify(await sign());
  jwks.keys.push(await publicJwk(next, 'rsa-2', 'RS256'));
  try {
    await refused(token, 'signature', verifier);
    await sleep(350);
    assert.equal((await verifier.verify(token)).subject, 'alice');
  } finally {
    jwks.keys.pop();
  }
});

test('JWKS down: a failing endpoint is fetched once per backoff, not once per token', async () => {
  const verifier = makeVerifier({ jwksPath: '/broken' });
  const token = await sign();
  const before = count('/broken');
  for (let i = 0; i < 20; i += 1) await refused(token, 'jwks-unavailable', verifier);
  await Promise.all(Array.from({ length: 20 }, () => refused(token, 'jwks-unavailable', verifier)));
  assert.equal(count('/broken') - before, 1);
});

test('JWKS down: keys already cached keep working while a refetch for an unknown kid fails', async () => {
  const verifier = makeVerifier({ jwksCooldownMs: 300 });
  await verifier.verify(await sign());
  await sleep(350);
  const saved = jwks.keys;
  jwks.keys = undefined as unknown as JWK[]; // the endpoint now answers {}, which is not a key set
  try {
    const before = count('/jwks');
    await refused(await sign({ key: attacker.privateKey, header: { kid: 'unknown-1' } }), 'jwks-unavailable', verifier);
    // Within the backoff: the cached key still verifies, and another unknown kid fetches nothing.
    assert.equal((await verifier.verify(await sign())).subject, 'alice');
    await refused(await sign({ key: attacker.privateKey, header: { kid: 'unknown-2' } }), 'signature', verifier);
    assert.equal(count('/jwks') - before, 1);
  } finally {
    jwks.keys = saved;
  }
});

test('JWKS over TLS: an endpoint whose certificate the system store does not trust is refused before any request', async () => {
  const before = count('/jwks');
  await refused(await sign(), 'jwks-unavailable', makeVerifier({ withCa: false }));
  assert.equal(count('/jwks'), before);
});

test('JWKS that hangs or is oversized: the fetch times out or is cut off', async () => {
  await refused(await sign(), 'jwks-unavailable', makeVerifier({ jwksPath: '/slow', jwksTimeoutMs: 200 }));
  await refused(await sign(), 'jwks-unavailable', makeVerifier({ jwksPath: '/huge' }));
  await refused(await sign(), 'jwks-unavailable', makeVerifier({ jwksPath: '/missing' }));
});
