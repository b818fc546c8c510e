// All 401 Wycheproof JWS vectors through the OIDC verifier's own signature step (verifySignature, which
// OidcVerifier.verify runs first), with each vector's key served the way an issuer's JWKS is: jose's JWK set,
// which createRemoteJWKSet builds from every fetched JWKS. The payloads are not JWTs, so the whole verifier
// refuses every vector before the signature (checked last); the seam is what lets valid vectors be accepted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT, createLocalJWKSet, decodeProtectedHeader, generateKeyPair } from 'jose';
import type { JWK } from 'jose';
import { AuthenticationError, OidcVerifier, oidcIssuerSchema, verifySignature } from './oidc-verifier.ts';
import type { AuthenticationFailure, SignatureAlgorithm, SignatureKey } from './oidc-verifier.ts';

interface Vector { tcId: number; comment: string; jws: string; result: 'valid' | 'invalid' | 'acceptable'; flags: string[] }
interface Group { comment: string; public?: JWK; private?: JWK; tests: Vector[] }
const vectors = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'test', 'vectors', 'json_web_signature_test.json'), 'utf8')) as {
  numberOfTests: number;
  testGroups: Group[];
};

const ISSUER = { issuer: 'https://idp.example/realms/main', audience: 'sluice-control-plane', jwksUri: 'https://127.0.0.1:9/jwks' };
/** The allow-list an issuer gets when its settings name none. */
const DEFAULT_ALGORITHMS = oidcIssuerSchema.parse(ISSUER).algorithms;
/** Every algorithm the settings schema lets an issuer allow (never none, never HS*). */
const ALL_ALGORITHMS: readonly SignatureAlgorithm[] = oidcIssuerSchema.shape.algorithms.unwrap().element.options;
const schemaAllows = (alg: string): alg is SignatureAlgorithm => oidcIssuerSchema.safeParse({ ...ISSUER, algorithms: [alg] }).success;

/** The header `alg` of a compact token, if its header decodes. */
function headerAlg(jws: string): string | undefined {
  try {
    const { alg } = decodeProtectedHeader(jws);
    return typeof alg === 'string' ? alg : undefined;
  } catch {
    return undefined;
  }
}

/** What is checked for one vector (exclusive, in this order). */
type Kind =
  | 'hmac' // HS*: an issuer can never allow it, so refused whatever the vector's result
  | 'invalid'
  | 'acceptable'
  | 'key-alg-mismatch' // valid, but the key's `alg` member names another algorithm than the token (see below)
  | 'valid';

/**
 * Four valid RFC 7520 vectors (tc346, tc347, tc350, tc351) sign with PS384 or ES512, but Wycheproof labels their
 * keys `"alg": "PS256"` or `"alg": "ES521"` (RFC 7520 §3 gives those keys no `alg`). A JWKS key whose `alg` names
 * another algorithm is never used for a token (RFC 7517 §4.4; jose's JWK set skips it), so we refuse these as
 * 'signature', and accept them once `alg` is dropped from the key: the signatures themselves are good.
 */
function kindOf(group: Group, vector: Vector): Kind {
  const alg = headerAlg(vector.jws);
  const key = group.public ?? group.private;
  // HMAC: a header alg of HS*, or a header that does not decode (tc17, tc372) under a group's HMAC key.
  if (alg === undefined ? key?.kty === 'oct' : /^HS/i.test(alg)) return 'hmac';
  if (vector.result !== 'valid') return vector.result;
  return key?.alg !== undefined && key.alg !== alg ? 'key-alg-mismatch' : 'valid';
}

const planned = new Map<Kind, number>();
for (const group of vectors.testGroups) for (const v of group.tests) planned.set(kindOf(group, v), (planned.get(kindOf(group, v)) ?? 0) + 1);
const n = (kind: Kind) => planned.get(kind) ?? 0;

/** A group's key as an issuer's JWKS: its public key, or (HMAC groups have no other) its secret `oct` key. */
function jwksOf(group: Group, withoutAlg = false): SignatureKey {
  const key = group.public ?? group.private;
  assert.ok(key, `group ${group.comment} has a key`);
  const { alg: _alg, ...rest } = key;
  return createLocalJWKSet({ keys: [withoutAlg ? rest : key] });
}

/** Our allow-list for a vector: the default set, plus the vector's alg when an issuer could allow it. */
function allowListFor(jws: string): SignatureAlgorithm[] {
  const alg = headerAlg(jws);
  return alg !== undefined && schemaAllows(alg) && !DEFAULT_ALGORITHMS.includes(alg) ? [...DEFAULT_ALGORITHMS, alg] : [...DEFAULT_ALGORITHMS];
}

/** 'accepted', or the reason verifySignature refused the token (anything but an AuthenticationError fails the test). */
async function outcome(jws: string, key: SignatureKey, algorithms: readonly SignatureAlgorithm[]): Promise<'accepted' | AuthenticationFailure> {
  try {
    await verifySignature(jws, key, algorithms);
    return 'accepted';
  } catch (error) {
    assert.ok(error instanceof AuthenticationError, `refused with ${String(error)}`);
    return error.reason;
  }
}

test(
  `Wycheproof JWS (${vectors.numberOfTests} vectors) through verifySignature: accepted ${n('valid')} valid, rejected ${n('invalid')} invalid, ` +
    `rejected ${n('hmac')} HMAC, rejected ${n('key-alg-mismatch')} valid whose key names another alg, ${n('acceptable')} acceptable`,
  async () => {
    const seen = new Map<Kind, number>();
    const acceptedInvalid: number[] = [];
    for (const group of vectors.testGroups) {
      const jwks = jwksOf(group);
      for (const v of group.tests) {
        const kind = kindOf(group, v);
        const label = `tc${v.tcId} (${group.comment}, ${v.comment}, ${kind})`;
        // Once with our allow-list for the vector, once with every algorithm an issuer may allow.
        const ours = await outcome(v.jws, jwks, allowListFor(v.jws));
        const widest = await outcome(v.jws, jwks, ALL_ALGORITHMS);
        if (kind !== 'valid' && kind !== 'acceptable' && (ours === 'accepted' || widest === 'accepted')) acceptedInvalid.push(v.tcId);
        switch (kind) {
          case 'hmac':
          case 'invalid':
            assert.notEqual(ours, 'accepted', label);
            assert.notEqual(widest, 'accepted', `${label}, widest allow-list`);
            break;
          case 'valid':
            assert.equal(ours, 'accepted', label);
            assert.equal(widest, 'accepted', `${label}, widest allow-list`);
            break;
          case 'key-alg-mismatch':
            assert.equal(ours, 'signature', label);
            assert.equal(widest, 'signature', `${label}, widest allow-list`);
            assert.equal(await outcome(v.jws, jwksOf(group, true), allowListFor(v.jws)), 'accepted', `${label}, key without alg`);
            break;
          case 'acceptable':
            // Either outcome is right for these; none are in this file today.
            break;
        }
        seen.set(kind, (seen.get(kind) ?? 0) + 1);
      }
    }
    assert.deepEqual(acceptedInvalid, [], 'invalid or HMAC vectors accepted');
    assert.deepEqual(seen, planned);
    const total = [...seen.values()].reduce((a, b) => a + b, 0);
    assert.equal(total, vectors.numberOfTests, 'every vector ran');
    assert.ok(ALL_ALGORITHMS.every(schemaAllows) && !ALL_ALGORITHMS.some((alg) => /^HS|^none$/i.test(alg)), 'the widest allow-list is asymmetric only');
    assert.ok(n('valid') >= 30 && n('invalid') >= 300 && n('hmac') >= 30, `${n('valid')} valid, ${n('invalid')} invalid, ${n('hmac')} HMAC`);
  },
);

const vector = (tcId: number): [Group, Vector] => {
  for (const group of vectors.testGroups) for (const v of group.tests) if (v.tcId === tcId) return [group, v];
  throw new Error(`no tc${tcId}`);
};
const refusal = async (tcId: number) => {
  const [group, v] = vector(tcId);
  return await outcome(v.jws, jwksOf(group), allowListFor(v.jws));
};

test('Wycheproof JWS, the named attacks are refused for the right reason', async () => {
  assert.equal(await refusal(16), 'algorithm', 'tc16 alg none');
  assert.equal(await refusal(17), 'token-malformed', 'tc17 JSON serialisation');
  assert.equal(await refusal(31), 'algorithm', 'tc31 HS256 with a key made from the EC public key');
  assert.equal(await refusal(32), 'signature', 'tc32 embedded jwk (the JWKS key is used, not the header one)');
  for (const tcId of [341, 342, 343, 344]) assert.equal(await refusal(tcId), 'algorithm', `tc${tcId} alg none`);
  for (const tcId of [331, 332, 333, 334, 335, 336, 337, 338, 339, 340]) assert.equal(await refusal(tcId), 'signature', `tc${tcId} another alg than the key's`);
  for (const tcId of [353, 354, 355, 356]) assert.equal(await refusal(tcId), 'signature', `tc${tcId} a key for encryption, not signing`);
});

test('Wycheproof JWS: every accepted vector, in flattened or general JSON serialisation, is refused (compact only)', async () => {
  let refused = 0;
  for (const group of vectors.testGroups) {
    const jwks = jwksOf(group);
    for (const v of group.tests.filter((t) => kindOf(group, t) === 'valid')) {
      const [protectedHeader, payload, signature] = v.jws.split('.');
      const flattened = JSON.stringify({ protected: protectedHeader, payload, signature });
      const general = JSON.stringify({ payload, signatures: [{ protected: protectedHeader, signature }] });
      for (const json of [flattened, general]) {
        assert.equal(await outcome(json, jwks, allowListFor(v.jws)), 'token-malformed', `tc${v.tcId} as JSON`);
        refused++;
      }
    }
  }
  assert.equal(refused, 2 * n('valid'));
});

test('Wycheproof JWS through OidcVerifier.verify: none is a JWT, so every vector is refused before any key is fetched', async () => {
  // The JWKS URI is a closed loopback port: a vector that got as far as the keys would fail as 'jwks-unavailable'.
  const verifier = new OidcVerifier([oidcIssuerSchema.parse(ISSUER)], { jwksTimeoutMs: 1_000 });
  try {
    for (const group of vectors.testGroups) {
      for (const v of group.tests) {
        await assert.rejects(
          verifier.verify(v.jws),
          (e) => e instanceof AuthenticationError && (e.reason === 'token-malformed' || e.reason === 'issuer-unknown'),
          `tc${v.tcId}`,
        );
      }
    }
  } finally {
    await verifier.close();
  }
});

test('one token, one spelling: padding, a non-canonical last character or whitespace in a part is refused (token-malformed)', async () => {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const token = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'ES256' }).sign(privateKey);
  await verifySignature(token, publicKey, ['ES256']);
  const [h, p, sig] = token.split('.') as [string, string, string];
  // ES256 signatures are 64 bytes: 86 characters, whose last one carries 4 unused bits.
  const last = sig.at(-1)!;
  const sibling = 'AEIMQUYcgkosw048'.includes(last) ? String.fromCharCode(last.charCodeAt(0) + 1) : last;
  for (const variant of [`${h}.${p}.${sig}==`, `${h}.${p}.${sig.slice(0, -1)}${sibling}`, `${h}.${p}.${sig.slice(0, 10)} ${sig.slice(10)}`, `${h}=.${p}.${sig}`]) {
    await assert.rejects(verifySignature(variant, publicKey, ['ES256']), (error: unknown) => (error as { reason?: string }).reason === 'token-malformed', variant.slice(-6));
  }
});
