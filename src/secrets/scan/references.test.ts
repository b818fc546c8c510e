// Secret references are where a secret lives, not a secret: none of the five schemes is a finding in any of the
// places config puts them (YAML, env, JSON, XML, flags, Kubernetes stringData, base64 in Secret data). Look-alikes
// that are not well-formed references keep their findings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scanSecrets } from './scan.ts';
import { isSecretReference, withinReference } from './references.ts';
import { wrapsPlaceholder } from './placeholder.ts';
import { ALNUM, fakeGenerator, withGithubChecksum } from './fake-tokens.ts';

const fake = fakeGenerator(5150);

const REFERENCES = [
  'vault://secret/crm#token',
  'vault://kv/prod/crm-api-7Xk29fLq83mZpR7t#client_secret',
  'env://DB_PASSWORD',
  'file:///run/secrets/crm_token',
  'aws-sm://prod/crm#api_key',
  'aws-sm://arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/crm-AbCdEf#token',
  'sluice://crm/token',
  `sluice://crm-prod/${fake(ALNUM.toLowerCase(), 24)}`,
];

const CONTEXTS: ((ref: string) => string)[] = [
  (r) => `token: ${r}`,
  (r) => `password: "${r}"`,
  (r) => `API_KEY=${r}`,
  (r) => `export GITHUB_TOKEN=${r}`,
  (r) => `{"client_secret": "${r}", "enabled": true}`,
  (r) => `<password>${r}</password>`,
  (r) => `sluice run --token ${r}`,
  (r) => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: crm\nstringData:\n  token: ${r}\n`,
  (r) => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: crm\ndata:\n  token: ${Buffer.from(r).toString('base64')}\n`,
];

for (const reference of REFERENCES) {
  test(`references: ${reference} is not a finding wherever it is written`, () => {
    assert.ok(isSecretReference(reference));
    for (const wrap of CONTEXTS) {
      const text = wrap(reference);
      assert.deepEqual(scanSecrets(text), [], text);
    }
  });
}

test('references: look-alikes that are not well-formed references keep their findings', () => {
  const token = withGithubChecksum('ghp_', fake(ALNUM, 30));
  const password = fake(ALNUM, 18);
  for (const [text, rule] of [
    [`url: https://deploy:${password}@git.example.org/repo.git`, 'url-password'],
    [`source: file://config?token=${token}`, 'github-token'],
    [`dsn: vault://admin:${password}@vault.internal:8200`, 'url-password'],
    [`TOKEN=${token} # not env://TOKEN`, 'github-token'],
  ] as const) {
    assert.deepEqual(scanSecrets(text).map((m) => m.rule), [rule], text);
  }
});

test('references: a match is inside a reference only when the reference holds all of it', () => {
  const text = 'a: aws-sm://arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/crm-AbCdEf#token';
  const at = text.indexOf('prod/');
  assert.ok(withinReference(text, at, text.length));
  assert.ok(!withinReference(text, 0, text.length), 'a span that starts before the reference');
  assert.ok(!withinReference('xenv://A', 5, 8), 'a longer scheme is another scheme');
  assert.ok(!withinReference('https://a:b@c', 10, 11));
});

test('placeholders in base64: wrapped placeholders, templates and references are not secrets; wrapped passwords are', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  for (const s of ['changeme', 'YOUR_API_KEY', '${DB_PASSWORD}', '<token>', 'env://DB_PASSWORD']) assert.ok(wrapsPlaceholder(b64(s)), s);
  for (const s of [fake(ALNUM, 16), 'admin:' + fake(ALNUM, 12), '{"auths":{"https://example.org/v1/":{"auth":"' + fake(ALNUM, 20) + '"}}}']) assert.ok(!wrapsPlaceholder(b64(s)), s);
  const manifest = (s: string) => `apiVersion: v1\nkind: Secret\ndata:\n  password: ${b64(s)}\n`;
  assert.deepEqual(scanSecrets(manifest('changeme')), []);
  assert.deepEqual(scanSecrets(manifest(fake(ALNUM, 16))).map((m) => m.rule), ['kubernetes-secret']);
});
