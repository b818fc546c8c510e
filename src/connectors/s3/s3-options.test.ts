// The shared S3 options: endpoints are https except an explicitly opted-in loopback http, credentials are only
// secret references, prefixes cannot leave their folder, overlapping s3 sinks are refused, checksum defaults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import fc from 'fast-check';
import { s3Sink } from '../sinks/s3-sink.ts';
import { s3Source } from '../sources/s3-source.ts';
import { batchObjectName } from '../sinks/file-sink.ts';
import { folderPrefix, isLoopbackHost, objectKey, prefixProblem, s3Target } from './s3-options.ts';
import { checksumSetting } from './s3-connection.ts';
import { ComponentRegistry } from '../../spec/registry.ts';
import { validateSpec } from '../../spec/validate.ts';
import { fileOnlyLocator } from '../../spec/location.ts';
import { isSluiceError } from '../../errors.ts';
import { memorySource } from '../../../test/support/memory-components.ts';

const base = { bucket: 'exports' };

/** The paths and messages of a sink options object's problems, or [] when it parses. */
function sinkIssues(options: Record<string, unknown>): { path: string; message: string }[] {
  const result = s3Sink.spec.safeParse(options);
  return result.success ? [] : result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
}

test('every example of the s3 sink and the s3 source parses', () => {
  for (const example of s3Sink.examples) assert.ok(s3Sink.spec.safeParse(example).success, JSON.stringify(example));
  for (const example of s3Source.examples) assert.ok(s3Source.spec.safeParse(example).success, JSON.stringify(example));
});

test('endpoints: https anywhere; plain http only to this machine and only with insecureLoopbackHttp (downgrade attack)', () => {
  const cases: [Record<string, unknown>, string | undefined][] = [
    [{ endpoint: 'https://minio.internal:9000' }, undefined],
    [{ endpoint: 'http://127.0.0.1:4569', insecureLoopbackHttp: true }, undefined],
    [{ endpoint: 'http://localhost:4569', insecureLoopbackHttp: true }, undefined],
    [{ endpoint: 'http://[::1]:4569', insecureLoopbackHttp: true }, undefined],
    [{ endpoint: 'http://127.0.0.1:4569' }, 'endpoint'],
    [{ endpoint: 'http://s3.example.com', insecureLoopbackHttp: true }, 'endpoint'],
    [{ endpoint: 'http://10.0.0.5:9000', insecureLoopbackHttp: true }, 'endpoint'],
    [{ endpoint: 'http://127.0.0.1.nip.io:9000', insecureLoopbackHttp: true }, 'endpoint'],
    [{ endpoint: 'https://minio.internal:9000', insecureLoopbackHttp: true }, 'insecureLoopbackHttp'],
    [{ insecureLoopbackHttp: true }, 'insecureLoopbackHttp'],
    [{ endpoint: 'ftp://minio.internal' }, 'endpoint'],
    [{ endpoint: 'minio.internal:9000' }, 'endpoint'],
    [{ endpoint: 'https://minio.internal?X-Amz-Credential=x' }, 'endpoint'],
    [{ endpoint: 'http://127.0.0.1:4569', insecureLoopbackHttp: true, tls: { ca: 'ca.pem' } }, 'tls'],
  ];
  for (const [options, refusedAt] of cases) {
    const issues = sinkIssues({ ...base, ...options });
    if (refusedAt === undefined) assert.deepEqual(issues, [], JSON.stringify(options));
    else assert.ok(issues.some((issue) => issue.path === refusedAt), `${JSON.stringify(options)} should be refused at ${refusedAt}: ${JSON.stringify(issues)}`);
  }
});

test('an endpoint with credentials in its URL is refused without echoing them (credential in config attack)', () => {
  const issues = sinkIssues({ ...base, endpoint: 'https://AKIAPLANTED:planted-secret-9f2c@minio.internal:9000' });
  assert.equal(issues[0]?.path, 'endpoint');
  assert.ok(!JSON.stringify(issues).includes('planted'), 'the issue does not quote the URL');
});

test('credentials are secret references only: literal values, half pairs and a lone session token are refused', () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'env://S3_SECRET' }, 'accessKeyId'],
    [{ accessKeyId: 'env://S3_KEY', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' }, 'secretAccessKey'],
    [{ accessKeyId: 'env://S3_KEY' }, 'secretAccessKey'],
    [{ secretAccessKey: 'env://S3_SECRET' }, 'accessKeyId'],
    [{ sessionToken: 'env://S3_TOKEN' }, 'sessionToken'],
  ];
  for (const [options, refusedAt] of cases) {
    const issues = sinkIssues({ ...base, ...options });
    assert.ok(issues.some((issue) => issue.path === refusedAt), `${JSON.stringify(options)}: ${JSON.stringify(issues)}`);
    assert.ok(!JSON.stringify(issues).includes('wJalrXUtnFEMI'), 'a literal secret is not echoed');
  }
  assert.deepEqual(sinkIssues({ ...base, accessKeyId: 'env://K', secretAccessKey: 'file:///run/secrets/s', sessionToken: 'vault://secret/s3#token' }), []);
});

test('server-side encryption: AES256 or aws:kms; a KMS key only with aws:kms', () => {
  assert.deepEqual(sinkIssues({ ...base, serverSideEncryption: 'AES256' }), []);
  assert.deepEqual(sinkIssues({ ...base, serverSideEncryption: 'aws:kms', kmsKeyId: 'alias/x' }), []);
  assert.equal(sinkIssues({ ...base, serverSideEncryption: 'AES256', kmsKeyId: 'alias/x' })[0]?.path, 'kmsKeyId');
  assert.equal(sinkIssues({ ...base, serverSideEncryption: 'none' })[0]?.path, 'serverSideEncryption');
});

test('bucket names follow the S3 rules; a name that tries to reach into a path is refused', () => {
  for (const bucket of ['My_Bucket', 'ab', '../etc', 'bucket/../../x', 'bucket?x=1', '-bucket', 'a'.repeat(64)]) {
    assert.equal(sinkIssues({ bucket })[0]?.path, 'bucket', bucket);
  }
  for (const bucket of ['exports', 'acme.data-2024', 'abc']) assert.deepEqual(sinkIssues({ bucket }), [], bucket);
});

test('sink prefixes that try to leave their folder are refused (path traversal in object keys)', () => {
  const attacks = ['../other/', 'a/../b/', '/abs/', 'a//b/', './a/', 'a\\b/', 'a\u0000b/', 'a\nb/', '%2e%2e%2f', 'ａ/', 'a b/', `${'x'.repeat(600)}/`, 'a?b/', 'a#b/'];
  for (const prefix of attacks) {
    assert.notEqual(prefixProblem(prefix), undefined, JSON.stringify(prefix));
    assert.equal(sinkIssues({ ...base, prefix })[0]?.path, 'prefix', JSON.stringify(prefix));
  }
  for (const prefix of ['', 'exports/', 'exports', 'dt=2024-01-31/', "a.b/c_d/(x)/it's!/"]) assert.equal(prefixProblem(prefix), undefined, prefix);
  assert.equal(folderPrefix('exports'), 'exports/');
  assert.equal(folderPrefix('exports/'), 'exports/');
  assert.throws(() => objectKey('exports/', '../x'), (error) => isSluiceError(error, 'SLUICE_SINK_PATH_ESCAPE'));
});

test('property: every key built on an accepted prefix stays inside it, with no empty, . or .. segment', () => {
  const run = { pipeline: 'customers', runId: '20260101T000000Z-abcdef' };
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom('a', 'Z', '0', '.', '/', '-', '_', '=', '\\', '%', ' ', '\u0000', 'é') , maxLength: 24 }), fc.integer({ min: 1, max: 999_999 }), (prefix, batch) => {
      if (prefixProblem(prefix) !== undefined) return;
      const key = objectKey(prefix, batchObjectName(run, batch));
      assert.ok(key.startsWith(folderPrefix(prefix)));
      assert.ok(!key.startsWith('/'));
      assert.ok(key.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..'), key);
      assert.match(key, /^[A-Za-z0-9!\-_.*'()/=]+$/);
    }),
    { numRuns: 500 },
  );
});

test('loopback hosts are this machine only', () => {
  for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', 'a.localhost', '::1', '[::1]']) assert.ok(isLoopbackHost(host), host);
  for (const host of ['10.0.0.1', '0.0.0.0', '169.254.169.254', 'localhost.example.com', '127.0.0.1.nip.io', '::ffff:10.0.0.1', 'example.com']) assert.ok(!isLoopbackHost(host), host);
});

test('checksums: the SDK default (CRC on every upload) for AWS, only where required with another endpoint, or as set', () => {
  const parse = (options: Record<string, unknown>) => s3Sink.spec.parse({ ...base, ...options });
  assert.equal(checksumSetting(parse({})), 'WHEN_SUPPORTED');
  assert.equal(checksumSetting(parse({ endpoint: 'https://minio.internal:9000' })), 'WHEN_REQUIRED');
  assert.equal(checksumSetting(parse({ endpoint: 'https://minio.internal:9000', checksums: 'when-supported' })), 'WHEN_SUPPORTED');
  assert.equal(checksumSetting(parse({ checksums: 'when-required' })), 'WHEN_REQUIRED');
});

test('two s3 sinks writing to the same bucket folder, or one inside the other, are refused; siblings are fine', () => {
  const registry = new ComponentRegistry([memorySource, s3Sink]);
  const issuesFor = (prefixes: [string, string]) => {
    const document = {
      pipeline: 'p',
      source: { memory: { dataset: 'x' } },
      contract: { fields: { id: { type: 'string', class: 'internal' } } },
      sinks: prefixes.map((prefix, i) => ({ s3: { name: `s${i}`, bucket: 'exports', prefix, clearance: 'internal' } })),
    };
    return validateSpec(document, registry, fileOnlyLocator('p.yaml'), tmpdir()).issues.map((issue) => issue.message);
  };
  assert.match(issuesFor(['a/', 'a/']).join('\n'), /same place as, or nested with/);
  assert.match(issuesFor(['a', 'a/b/']).join('\n'), /same place as, or nested with/);
  assert.match(issuesFor(['', 'a/']).join('\n'), /same place as, or nested with/);
  assert.deepEqual(issuesFor(['a/', 'ab/']), []);
  assert.equal(s3Target('exports', 'a/b/'), 's3://exports/a/b');
  assert.equal(s3Target('exports', ''), 's3://exports');
});
