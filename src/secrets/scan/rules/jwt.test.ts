// JSON Web Tokens: a decodable JOSE header earns the higher confidence; JWT-shaped strings without one are kept
// lower; base64-wrapped JWTs are unwrapped and checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testRuleTable } from '../test-kit.ts';
import { scanSecrets } from '../scan.ts';
import { BASE64URL, fakeGenerator } from '../fake-tokens.ts';

const fake = fakeGenerator(707);
const b64url = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: '42', name: 'Ada', iat: 1516239022 })}.${fake(BASE64URL, 43)}`;
const unsigned = `${b64url({ alg: 'none' })}.${b64url({ sub: 'test-user' })}.`;

testRuleTable('jwt', [
  { rule: 'jwt', secrets: [jwt, unsigned], negatives: ['eyJhbGciOiJIUzI1NiJ9', 'ey.ey.ey', 'eyJ' + fake(BASE64URL, 10) + '.eyJ' + fake(BASE64URL, 5)] },
  { rule: 'jwt-base64', secrets: [Buffer.from(jwt).toString('base64')], negatives: ['ZXlK' + Buffer.from('not a token at all, only some words').toString('base64')] },
]);

test('jwt: a decodable JOSE header scores higher than a JWT-shaped string', () => {
  const [real] = scanSecrets(jwt);
  const [shaped] = scanSecrets(`ey${fake(BASE64URL, 20)}.ey${fake(BASE64URL, 30)}.${fake(BASE64URL, 20)}`);
  assert.equal(real?.confidence, 0.9);
  assert.ok(shaped !== undefined && shaped.confidence < 0.9);
});

test('jwt: the whole token is the span, in a header and in a URL', () => {
  for (const text of [`Authorization: Bearer ${jwt}`, `https://app.example/cb?access_token=${jwt}&x=1`]) {
    const m = scanSecrets(text).find((x) => x.rule === 'jwt');
    assert.equal(m && text.slice(m.start, m.end), jwt, text);
  }
});
