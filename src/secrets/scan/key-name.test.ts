// Key names: which name a credential, how strongly, and which only look like they do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyKey, judgeKey, keyWords, namesService } from './key-name.ts';

test('keyWords: separators, camelCase, acronyms and digits split words', () => {
  assert.deepEqual(keyWords('adafruitToken'), ['adafruit', 'token']);
  assert.deepEqual(keyWords('SNYK_API_KEY'), ['snyk', 'api', 'key']);
  assert.deepEqual(keyWords('AWSToken'), ['aws', 'token']);
  assert.deepEqual(keyWords('x-api-key'), ['x', 'api', 'key']);
  assert.deepEqual(keyWords('api_token_123'), ['api', 'token']);
  assert.deepEqual(keyWords('sonar.login'), ['sonar', 'login']);
});

const strong = ['password', 'DB_PASSWORD', 'passwd', 'pwd', 'client_secret', 'AUTH_CLIENTSECRET', 'GITHUB_TOKEN', 'access_token', 'api_key', 'apiKey', 'X-Api-Key', 'private_key', 'aws_secret_access_key', 'secret_key', 'credentials', 'Authorization', 'bearer', 'bot_token1', 'hf_token', 'secret_value', 'SECRET_KEY_BASE', 'token'];
const weak = ['key', 'auth', 'user_auth', 'sonar.login', 'access'];
const none = [
  'token_url', 'access_token_url', 'secret_name', 'LLM_SECRET_NAME', 'public_key', 'publicToken', 'csrf-token', 'csrftoken', 'credentialsId', 'kms_key_id', 'key_name', 'key_vault_name',
  'keyPair', 'key_length', 'secret_length', 'TokenFile', 'UserSecretsId', 'schemaKey', 'bucket_key', 'sequenceKey', 'key_down_event', 'nextPageToken', 'authenticity_token', 'token_type',
  'password_hash', 'CancellationToken', 'primaryKey', 'clientId', 'username', 'hostname', 'PrivateKeyInfo', 'CreateOAuth2TokenWithIAM', 'monkey', 'turkey', 'keyboard', 'accessibility',
];

for (const k of strong) test(`key: ${k} names a credential`, () => assert.equal(judgeKey(k).strength, 2));
for (const k of weak) test(`key: ${k} names one weakly`, () => assert.equal(judgeKey(k).strength, 1));
for (const k of none) test(`key: ${k} does not name one`, () => assert.equal(judgeKey(k).strength, 0));

test('key: authorization and password flags', () => {
  assert.ok(judgeKey('Authorization').authorization);
  assert.ok(judgeKey('db_password').password);
  assert.ok(!judgeKey('api_token').password);
});

test('key: service names match whole words only', () => {
  assert.ok(namesService('cloudflare'));
  assert.ok(namesService('MessageBird_TOKEN'));
  assert.ok(namesService('sonar.login'));
  assert.ok(!namesService('SetSysctl'), 'etsy inside a word');
  assert.ok(!namesService('rookTable'), 'okta inside a word');
});

test('key: classifyKey memoizes and agrees with judgeKey', () => {
  const a = classifyKey('my_api_token');
  assert.equal(a, classifyKey('my_api_token'));
  assert.equal(a.verdict.strength, 2);
  assert.equal(classifyKey('colour').verdict.strength, 0);
});
