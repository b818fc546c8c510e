// S3 failures become Sluice errors with the connector's code, the place, a fix and the right retry flag; the
// remote's own message (which may echo request details) is never quoted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceError } from '../../errors.ts';
import { PIN_MISMATCH, s3Failure } from './s3-errors.ts';
import type { S3FailurePlace } from './s3-errors.ts';

const place: S3FailurePlace = {
  code: 'SLUICE_SINK_WRITE_FAILED',
  action: 'write s3://exports/p/r/part-000001.jsonl.sluice',
  bucket: 'exports',
  endpoint: 'https://minio.internal:9000',
  credentials: ['env://S3_KEY', 'env://S3_SECRET'],
};

/** An error shaped as the AWS SDK throws them. */
function sdkError(name: string, status?: number, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`remote says: ${name} secret=planted-remote-text`), { name, $metadata: status === undefined ? {} : { httpStatusCode: status }, ...extra });
}

function systemError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:9000`), { code });
}

const cases: { what: string; error: unknown; action?: string; says: RegExp; retryable: boolean; credentialsRefused: boolean }[] = [
  { what: 'missing bucket on a write', error: sdkError('NoSuchBucket', 404), says: /bucket 'exports' does not exist at https:\/\/minio\.internal:9000/, retryable: false, credentialsRefused: false },
  { what: 'missing bucket on HEAD', error: sdkError('NotFound', 404), action: "reach bucket 'exports'", says: /bucket 'exports' does not exist/, retryable: false, credentialsRefused: false },
  { what: 'missing object', error: sdkError('NoSuchKey', 404), says: /object does not exist/, retryable: false, credentialsRefused: false },
  { what: 'unknown access key', error: sdkError('InvalidAccessKeyId', 403), says: /refused the credentials \(InvalidAccessKeyId\); check the secrets env:\/\/S3_KEY, env:\/\/S3_SECRET/, retryable: false, credentialsRefused: true },
  { what: 'wrong secret key', error: sdkError('SignatureDoesNotMatch', 403), says: /refused the credentials \(SignatureDoesNotMatch\)/, retryable: false, credentialsRefused: true },
  { what: 'expired session', error: sdkError('ExpiredToken', 400), says: /refused the credentials \(ExpiredToken\)/, retryable: false, credentialsRefused: true },
  { what: 'permission missing', error: sdkError('AccessDenied', 403), says: /denied access to bucket 'exports'/, retryable: false, credentialsRefused: true },
  { what: 'no credentials anywhere', error: sdkError('CredentialsProviderError'), says: /no credentials: set accessKeyId and secretAccessKey/, retryable: false, credentialsRefused: false },
  { what: 'wrong region', error: sdkError('PermanentRedirect', 301), says: /set region/, retryable: false, credentialsRefused: false },
  { what: 'throttled', error: sdkError('SlowDown', 503), says: /answered SlowDown \(HTTP 503\); this is usually temporary/, retryable: true, credentialsRefused: false },
  { what: 'server error', error: sdkError('InternalError', 500), says: /InternalError/, retryable: true, credentialsRefused: false },
  { what: 'unknown 5xx', error: sdkError('Weird', 502), says: /Weird \(HTTP 502\)/, retryable: true, credentialsRefused: false },
  { what: 'server down', error: systemError('ECONNREFUSED'), says: /could not be reached \(ECONNREFUSED\)/, retryable: true, credentialsRefused: false },
  { what: 'connection reset', error: systemError('ECONNRESET'), says: /ECONNRESET/, retryable: true, credentialsRefused: false },
  { what: 'unknown host', error: systemError('ENOTFOUND'), says: /host of https:\/\/minio\.internal:9000 is not known/, retryable: false, credentialsRefused: false },
  { what: 'self-signed certificate', error: systemError('DEPTH_ZERO_SELF_SIGNED_CERT'), says: /TLS certificate .* not accepted \(DEPTH_ZERO_SELF_SIGNED_CERT\); .*set tls\.ca/, retryable: false, credentialsRefused: false },
  { what: 'wrong host name', error: systemError('ERR_TLS_CERT_ALTNAME_INVALID'), says: /not accepted \(ERR_TLS_CERT_ALTNAME_INVALID\)/, retryable: false, credentialsRefused: false },
  { what: 'unpinned server key', error: Object.assign(new Error('the certificate of minio.internal carries none of the pinned public keys (1 pin); its key is sha256/x'), { code: PIN_MISMATCH }), says: /carries none of the pinned public keys .*; its key is sha256\/x: if the server's key was rotated on purpose, add its pin to tls\.pins/, retryable: false, credentialsRefused: false },
  { what: 'anything else', error: sdkError('InvalidArgument', 400), says: /answered InvalidArgument \(HTTP 400\)$/, retryable: false, credentialsRefused: false },
];

for (const c of cases) {
  test(`S3 failure: ${c.what}`, () => {
    const { error, credentialsRefused } = s3Failure(c.error, { ...place, ...(c.action ? { action: c.action } : {}) });
    assert.equal(error.code, 'SLUICE_SINK_WRITE_FAILED');
    assert.match(error.message, c.says);
    assert.ok(error.message.startsWith(`cannot ${c.action ?? place.action}: `), error.message);
    assert.equal(error.retryable, c.retryable);
    assert.equal(credentialsRefused, c.credentialsRefused);
    assert.ok(!error.message.includes('planted-remote-text'), 'the remote message is not quoted');
  });
}

test('a Sluice error (a secret that cannot be resolved) passes through unchanged', () => {
  const original = new SluiceError('SLUICE_SECRET_NOT_FOUND', 'env://S3_KEY is not set');
  assert.equal(s3Failure(original, place).error, original);
});

test('without credential references, the fix points at the default chain', () => {
  const { error } = s3Failure(sdkError('InvalidAccessKeyId', 403), { ...place, code: 'SLUICE_SOURCE_FAILED', credentials: [] });
  assert.equal(error.code, 'SLUICE_SOURCE_FAILED');
  assert.match(error.message, /AWS default chain/);
});

test('a 403 without an error name (a HEAD answer has no body) says HTTP 403 and still drops the cached credentials', () => {
  const { error, credentialsRefused } = s3Failure(sdkError('Unknown', 403), { ...place, action: "reach bucket 'exports'" });
  assert.match(error.message, /denied access to bucket 'exports' \(HTTP 403\): the credentials are wrong or lack the permission; check the secrets env:\/\/S3_KEY/);
  assert.ok(credentialsRefused);
});
