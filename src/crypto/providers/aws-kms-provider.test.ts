// The AWS KMS provider through the real AWS SDK against a TEST DOUBLE of the documented KMS JSON API (no AWS
// here): round trips bound by the encryption context, a tampered blob, denied credentials, plain HTTP.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { AwsKmsKeyProvider } from './aws-kms-provider.ts';
import { isSluiceError } from '../../errors.ts';
import { selfSignedCertificate } from '../../../test/support/tls-fixture.ts';
import { KMS_KEY_ARN, startKmsDouble } from '../../../test/support/aws-kms-double.ts';

process.env.AWS_ACCESS_KEY_ID = 'AKIATESTDOUBLE0000001';
process.env.AWS_SECRET_ACCESS_KEY = 'test-double-secret-not-a-real-key';
const tls = selfSignedCertificate();
const kms = await startKmsDouble(tls, 'AKIATESTDOUBLE0000001');
const providers: AwsKmsKeyProvider[] = [];
after(async () => {
  for (const p of providers) p.close();
  await kms.close();
});
const provider = () => {
  const p = new AwsKmsKeyProvider({ keyId: KMS_KEY_ARN, region: 'eu-west-1', endpoint: kms.endpoint, ca: tls.cert });
  providers.push(p);
  return p;
};

test('aws kms (test double): material round-trips through Encrypt/Decrypt; the context binds it; a tampered blob fails', async () => {
  const material = randomBytes(32);
  const blob = await provider().wrap(material, Buffer.from('default\u00001'));
  assert.ok((await provider().unwrap(blob, Buffer.from('default\u00001'))).equals(material));
  await assert.rejects(provider().unwrap(blob, Buffer.from('default\u00002')), (e) => isSluiceError(e, 'SLUICE_DECRYPT_FAILED'));
  const tampered = Buffer.from(blob);
  tampered[14] = (tampered[14] ?? 0) ^ 1;
  await assert.rejects(provider().unwrap(tampered, Buffer.from('default\u00001')), (e) => isSluiceError(e, 'SLUICE_DECRYPT_FAILED'));
  assert.ok(kms.targets.includes('TrentService.Encrypt') && kms.targets.includes('TrentService.Decrypt'));
});

test('aws kms (test double): denied credentials are SLUICE_KEY_PROVIDER without the secret; plain HTTP is refused', async () => {
  const previous = process.env.AWS_ACCESS_KEY_ID;
  process.env.AWS_ACCESS_KEY_ID = 'AKIAOTHERCREDENTIALS';
  try {
    await assert.rejects(provider().wrap(randomBytes(32), Buffer.alloc(0)), (e) => isSluiceError(e, 'SLUICE_KEY_PROVIDER') && /AccessDenied/.test(e.message) && !e.message.includes('test-double-secret'));
  } finally {
    process.env.AWS_ACCESS_KEY_ID = previous;
  }
  assert.throws(() => new AwsKmsKeyProvider({ keyId: KMS_KEY_ARN, region: 'eu-west-1', endpoint: kms.endpoint.replace('https:', 'http:') }), (e) => isSluiceError(e, 'SLUICE_KEY_PROVIDER'));
});
