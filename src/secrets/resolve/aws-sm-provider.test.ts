// The AWS Secrets Manager provider through the real AWS SDK against a TEST DOUBLE of the documented JSON 1.1
// GetSecretValue API (no AWS here): whole and #key reads by name and ARN, every denial path, plain HTTP, an
// untrusted server, and a hang bounded by the resolver.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { AwsSecretsManagerProvider } from './aws-sm-provider.ts';
import type { AwsSecretsManagerOptions } from './aws-sm-provider.ts';
import { SecretResolver } from './secret-resolver.ts';
import { parseSecretReference } from '../reference.ts';
import { RedactionRegistry } from '../redaction.ts';
import { isSluiceError } from '../../errors.ts';
import type { ErrorCode } from '../../errors.ts';
import { selfSignedCertificate } from '../../../test/support/tls-fixture.ts';
import { SM_REGION, startSecretsManagerDouble } from '../../../test/support/aws-sm-double.ts';

const ACCESS_KEY_ID = 'AKIATESTDOUBLESM0001';
const SECRET_ACCESS_KEY = 'test-double-sm-secret-access-key-not-real';
const DB_JSON = JSON.stringify({ username: 'sluice', password: 'sm-db-password-4f2a', port: 5432 });

const tls = selfSignedCertificate();
const sm = await startSecretsManagerDouble(tls, ACCESS_KEY_ID, {
  'prod/sluice/db': DB_JSON,
  'prod/sluice/api-token': 'sm-plain-api-token-c81e',
  'prod/sluice/not-json': 'just a plain string, not JSON',
  'prod/sluice/list': '["a","b"]',
  'prod/sluice/binary': Buffer.from([0, 1, 2, 3, 250]),
});
const providers: AwsSecretsManagerProvider[] = [];
after(async () => {
  for (const p of providers) p.close();
  await sm.close();
});

function provider(options: Partial<AwsSecretsManagerOptions> = {}): AwsSecretsManagerProvider {
  const p = new AwsSecretsManagerProvider({ region: SM_REGION, endpoint: sm.endpoint, ca: tls.cert, credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY }, ...options });
  providers.push(p);
  return p;
}
const read = (p: AwsSecretsManagerProvider, text: string, signal = new AbortController().signal) => p.resolve(parseSecretReference(text), signal);

function failsWith(code: ErrorCode, reference: string, ...absent: string[]) {
  return (error: unknown) => {
    assert.ok(isSluiceError(error, code), `expected ${code}, got ${String(error)}`);
    assert.ok(error.message.includes(reference), `the message names ${reference}: ${error.message}`);
    for (const text of [SECRET_ACCESS_KEY, ...absent]) assert.ok(!error.message.includes(text), `the message must not hold ${text}: ${error.message}`);
    return true;
  };
}

test('aws secrets manager (test double): a whole SecretString and one #key of a JSON secret round-trip through the resolver', async () => {
  const resolver = new SecretResolver({ providers: [provider()], registry: new RedactionRegistry() });
  assert.equal((await resolver.resolve('aws-sm://prod/sluice/api-token')).reveal(), 'sm-plain-api-token-c81e');
  assert.equal((await resolver.resolve('aws-sm://prod/sluice/db#password')).reveal(), 'sm-db-password-4f2a');
  assert.equal((await resolver.resolve('aws-sm://prod/sluice/db')).reveal(), DB_JSON);
  const mine = sm.calls.slice(-3);
  assert.ok(mine.every((c) => c.target === 'secretsmanager.GetSecretValue' && c.accessKeyId === ACCESS_KEY_ID && c.status === 200));
  assert.deepEqual(
    mine.map((c) => c.secretId),
    ['prod/sluice/api-token', 'prod/sluice/db', 'prod/sluice/db'],
  );
});

test('aws secrets manager (test double): a secret named by its full ARN is read, with or without #key', async () => {
  const arn = sm.arnOf('prod/sluice/db');
  assert.equal((await read(provider(), `aws-sm://${arn}#username`)).value, 'sluice');
  assert.equal((await read(provider(), `aws-sm://${arn}`)).value, DB_JSON);
  assert.equal(sm.calls.at(-1)?.secretId, arn);
});

test('aws secrets manager (test double): an unknown secret is SLUICE_SECRET_NOT_FOUND naming the reference', async () => {
  await assert.rejects(read(provider(), 'aws-sm://prod/sluice/missing#password'), failsWith('SLUICE_SECRET_NOT_FOUND', 'aws-sm://prod/sluice/missing#password'));
  await assert.rejects(read(provider(), `aws-sm://${sm.arnOf('prod/sluice/missing')}`), (e) => isSluiceError(e, 'SLUICE_SECRET_NOT_FOUND'));
});

test('aws secrets manager (test double): access denied and unknown credentials are SLUICE_SECRET_DENIED without the credentials', async () => {
  sm.switches.accessDenied = true;
  try {
    await assert.rejects(read(provider(), 'aws-sm://prod/sluice/db#password'), (e: unknown) => failsWith('SLUICE_SECRET_DENIED', 'aws-sm://prod/sluice/db#password', 'sm-db-password-4f2a')(e) && /AccessDeniedException/.test((e as Error).message));
  } finally {
    sm.switches.accessDenied = false;
  }
  const stranger = provider({ credentials: { accessKeyId: 'AKIAUNKNOWNKEY000001', secretAccessKey: 'another-secret-access-key-not-real' } });
  await assert.rejects(read(stranger, 'aws-sm://prod/sluice/db#password'), (e: unknown) => failsWith('SLUICE_SECRET_DENIED', 'aws-sm://prod/sluice/db#password', 'another-secret-access-key-not-real')(e) && /UnrecognizedClientException/.test((e as Error).message));
});

test('aws secrets manager (test double): #key on a secret that is not a JSON map, a missing key and a non-string field are SLUICE_SECRET_NOT_FOUND without values', async () => {
  const p = provider();
  await assert.rejects(read(p, 'aws-sm://prod/sluice/not-json#password'), (e: unknown) => failsWith('SLUICE_SECRET_NOT_FOUND', 'aws-sm://prod/sluice/not-json#password', 'just a plain string')(e) && /not a JSON map/.test((e as Error).message));
  await assert.rejects(read(p, 'aws-sm://prod/sluice/list#password'), (e: unknown) => isSluiceError(e, 'SLUICE_SECRET_NOT_FOUND') && /not a JSON map/.test(e.message));
  await assert.rejects(read(p, 'aws-sm://prod/sluice/db#passwd'), failsWith('SLUICE_SECRET_NOT_FOUND', 'aws-sm://prod/sluice/db#passwd', 'sm-db-password-4f2a', 'sluice"'));
  await assert.rejects(read(p, 'aws-sm://prod/sluice/db#port'), (e: unknown) => failsWith('SLUICE_SECRET_NOT_FOUND', 'aws-sm://prod/sluice/db#port', '5432')(e) && /a number, not a string/.test((e as Error).message));
  await assert.rejects(read(p, 'aws-sm://prod/sluice/binary'), (e: unknown) => failsWith('SLUICE_SECRET_NOT_FOUND', 'aws-sm://prod/sluice/binary')(e) && /SecretBinary/.test((e as Error).message));
});

test('aws secrets manager (test double): plain HTTP is refused at construction; a server whose certificate is not trusted is refused', async () => {
  assert.throws(() => new AwsSecretsManagerProvider({ region: SM_REGION, endpoint: sm.endpoint.replace('https:', 'http:') }), (e) => isSluiceError(e, 'SLUICE_SECRET_UNAVAILABLE') && /HTTPS only/.test(e.message));
  const calls = sm.calls.length;
  const untrusting = provider({ ca: undefined });
  await assert.rejects(read(untrusting, 'aws-sm://prod/sluice/db#password'), (e: unknown) => failsWith('SLUICE_SECRET_UNAVAILABLE', 'aws-sm://prod/sluice/db#password')(e) && /TLS|SELF_SIGNED|certificate/i.test((e as Error).message));
  assert.equal(sm.calls.length, calls, 'nothing was sent to the untrusted server');
});

test('aws secrets manager (test double): a hanging endpoint is bounded by the resolver timeout, and the provider stops on its signal', async () => {
  sm.switches.hang = true;
  try {
    const resolver = new SecretResolver({ providers: [provider()], timeoutMs: 300, registry: new RedactionRegistry() });
    const started = Date.now();
    await assert.rejects(resolver.resolve('aws-sm://prod/sluice/db#password'), failsWith('SLUICE_SECRET_UNAVAILABLE', 'aws-sm://prod/sluice/db#password'));
    assert.ok(Date.now() - started < 3000, 'bounded by the timeout');
    await assert.rejects(read(provider(), 'aws-sm://prod/sluice/db#password', AbortSignal.timeout(200)), (e: unknown) => failsWith('SLUICE_SECRET_UNAVAILABLE', 'aws-sm://prod/sluice/db#password')(e) && /stopped/.test((e as Error).message));
  } finally {
    sm.switches.hang = false;
  }
});
