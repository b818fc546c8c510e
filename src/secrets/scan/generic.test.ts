// The generic rule: a credential-like key assigned a random-looking value, in every assignment form config
// files and code use; the span is the value only. And the denials: placeholders, references, code, names,
// versions, paths and words, and keys that only look like credential names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scanSecrets } from './scan.ts';
import { GENERIC_RULE } from './generic.ts';
import { ALNUM, HEX, LOWER_ALNUM, fakeGenerator } from './fake-tokens.ts';

const fake = fakeGenerator(1001);
const secret = fake(ALNUM, 32);
const generic = (text: string): string[] => scanSecrets(text).filter((m) => m.rule === GENERIC_RULE).map((m) => text.slice(m.start, m.end));

const forms: [string, string][] = [
  ['ini', `api_token=${secret}`],
  ['ini with spaces', `api_token = ${secret}`],
  ['quoted', `apiToken = "${secret}"`],
  ['JSON', `{\n  "client_secret": "${secret}"\n}`],
  ['JSON escaped in JSON', `{"config.ini": "API_TOKEN=${secret}\\nDEBUG=true"}`],
  ['YAML', `db_password: ${secret}`],
  ['YAML single-quoted', `db_password: '${secret}'`],
  ['XML element', `<apiToken>\n    ${secret}\n</apiToken>`],
  ['XML appSettings', `<add key="ApiSecret" value="${secret}" />`],
  ['Go', `var apiToken string = "${secret}"`],
  ['Go short', `apiToken := \`${secret}\``],
  ['Kotlin typed', `val apiToken: String = "${secret}"`],
  ['Java', `String apiToken = "${secret}";`],
  ['PHP', `$apiToken .= "${secret}";`],
  ['PHP array', `"secret_key" => "${secret}",`],
  ['Make', `API_TOKEN ::= "${secret}"`],
  ['Make conditional', `API_TOKEN ?= "${secret}"`],
  ['call', `System.setProperty("API_TOKEN", "${secret}")`],
  ['subscript', `os.environ["API_TOKEN"] = "${secret}"`],
  ['HTTP header', `Authorization: Bearer ${secret}`],
  ['curl header', `curl -H "X-Api-Key: ${secret}" https://api.example.com`],
  ['prose', `Your API key: ${secret}`],
  ['CLI flag', `mytool deploy --api-token ${secret} --yes`],
  ['CLI flag with =', `mytool deploy --client-secret=${secret}`],
  ['query string', `https://api.example.com/v1?access_token=${secret}&page=2`],
];

for (const [name, text] of forms) {
  test(`generic: ${name}`, () => {
    assert.deepEqual(generic(text), [secret], text);
  });
}

test('generic: Basic credentials must decode to user:password', () => {
  const basic = Buffer.from('deploy:' + fake(ALNUM, 16)).toString('base64');
  assert.deepEqual(generic(`Authorization: Basic ${basic}`), [basic]);
});

test('generic: Bundler credentials (BUNDLE_<HOST> = user:password)', () => {
  assert.deepEqual(generic(`BUNDLE_GEMS__EXAMPLE__COM: "${fake(HEX, 8)}:${fake(HEX, 8)}"`).length, 1);
});

test('generic: long digits-only values count under a strong key only', () => {
  assert.equal(generic('client_secret: 623405717287559642').length, 1);
  assert.deepEqual(generic('key: 6234057172875596'), []);
  assert.deepEqual(generic('token: 20241105'), []);
});

const denials = [
  'password = "${DB_PASSWORD}"', 'token: {{ .Values.token }}', 'api_key = os.getenv("API_KEY")', 'secret = process.env.SECRET', 'SUMO_ACCESS_KEY={SumoAccessKey}', 'password = "<your-password>"',
  'password: changeme', 'token: xxxxxxxxxxxxxxxxxxxxxxxx', 'api_key = "****************"', 'secret_key = "example-secret-key-1234"', 'token = "test-token-123456"',
  'administrator_login_password = var.db_password', 'key_length = XSalsa20.key_length', "x-vault-token': this.#options.token", 'password = result.groups?.password', 'token = tokens[idx]',
  'lastToken = tokens[tokens.length - 1]', 'auth: OAuth2Client;', 'encryptedDataKeys: EncryptedDataKey[]', '{key:"formatNextNationalNumberDigits",value:function(){}}',
  'apiVersion = "2023-10-01"', 'token_version: 1.2.3-beta', 'key_file = "/etc/ssl/private/server.key"', 'secret_file: ./secrets/app.pem', 'TokenFile="RTL_INST_CODE.cer"',
  'access_token_url = "https://github.com/login/oauth/access_token"', 'LLM_SECRET_NAME = "NEXUS-GPT4-API-KEY"', 'csrf-token=Mj2qykJO5rELyHgezQ69nzUX0i3OH67V7+V4eUrLfpuy',
  'public_key = "9Cnzj4p4WGeKLs1Pt8QuKUpRKfFLfRYC9AIKjbJTWit"', 'credentialsId: "ff083f76-7804-4ef1-80e4-fe975bb9141b"', 'kms_key_id: "555ea4a3-d53a-4412-9c66-3a7cb667b0d6"',
  'COMMUNICATION_API_VERSION=rc0.13.0_20230412_0712-SNAPSHOT', 'keyVaultToStoreSecrets: cmp2-qat-1208358310', 'secret = "AgencyIdentificationCodeContentType"',
  'const validKeyChars = "0123456789abcdefghijklmnopqrstuvwxyz_-."', 'password = "CleartextPassword"', 'SUMO_ACCESS_KEY: AbCeFG123', 'GITHUB_API_KEY=\nDYNATRACE_API_KEY=',
  'if (token == "abcdefghij0123456789") {}', 'Release GPG key: 3ABC01543F22DD2239285CDD818674489FBC127E', 'key: "000102030405060708090a0b0c0d0e0f"', 'api_key = "APIKEYAPIKEYAPIKEY"',
  `paths: ['password', 'secrets.${fake(LOWER_ALNUM, 12)}']`, 'the token: was it rotated?', 'secret: The Movie (1985)',
];

for (const text of denials) {
  test(`generic denies: ${text.slice(0, 60)}`, () => {
    assert.deepEqual(scanSecrets(text), [], text);
  });
}
