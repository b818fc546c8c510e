// Reference parsing: every scheme's form, every malformed variant refused with the form to use, and a
// literal credential written where a reference belongs is refused without being quoted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { looksLikeReference, parseSecretReference } from './reference.ts';
import { isSluiceError } from '../errors.ts';

test('each scheme parses into its parts', () => {
  assert.deepEqual(parseSecretReference('env://API_TOKEN'), { scheme: 'env', text: 'env://API_TOKEN', name: 'API_TOKEN' });
  assert.deepEqual(parseSecretReference('file:///run/secrets/db-password'), { scheme: 'file', text: 'file:///run/secrets/db-password', path: '/run/secrets/db-password' });
  assert.deepEqual(parseSecretReference('vault://secret/crm/prod#token'), { scheme: 'vault', text: 'vault://secret/crm/prod#token', mount: 'secret', path: 'crm/prod', key: 'token' });
  assert.deepEqual(parseSecretReference('aws-sm://prod/crm#api_key'), { scheme: 'aws-sm', text: 'aws-sm://prod/crm#api_key', secretId: 'prod/crm', key: 'api_key' });
  assert.deepEqual(parseSecretReference('aws-sm://crm-token'), { scheme: 'aws-sm', text: 'aws-sm://crm-token', secretId: 'crm-token' });
  const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/crm-AbCdEf';
  assert.equal(parseSecretReference(`aws-sm://${arn}#token`).scheme, 'aws-sm');
  assert.deepEqual(parseSecretReference('sluice://crm/api-token'), { scheme: 'sluice', text: 'sluice://crm/api-token', name: 'crm/api-token' });
});

const MALFORMED: [string, RegExp][] = [
  ['env://', /environment variable/],
  ['env://1ABC', /environment variable/],
  ['env://A-B', /environment variable/],
  ['file://run/secrets/x', /absolute path/],
  ['file:///run/../etc/shadow', /\.\.\//],
  ['file:///run/secrets/', /trailing/],
  ['file:///run/secrets/x?mode=1', /\?/],
  ['vault://secret/crm', /names no key/],
  ['vault://secret#token', /mount and a path/],
  ['vault://secret//crm#token', /mount and a path/],
  ['vault://secret/../sys/seal#token', /no \. or \.\./],
  ['vault://secret/./crm#token', /no \. or \.\./],
  ['vault://secret/crm#', /key ''/],
  ['aws-sm://#key', /Secrets Manager name/],
  ['aws-sm://name with space#key', /Secrets Manager name/],
  ['aws-sm://name#', /key ''/],
  ['sluice://', /store name/],
  ['sluice://Upper', /store name/],
  ['sluice://trailing-', /store name/],
];

test('malformed references are refused with the form they should take', () => {
  for (const [text, problem] of MALFORMED) {
    assert.throws(() => parseSecretReference(text), (e) => isSluiceError(e, 'SLUICE_SECRET_REFERENCE') && problem.test(e.message) && / as \S+:\/\//.test(e.message), text);
  }
});

test('a literal credential where a reference belongs is refused without quoting it (planted password)', () => {
  for (const literal of ['hunter2-planted-password', 'https://admin:planted-pw-81f2@db.example/x', 'postgres://u:planted-pw-81f2@h/db']) {
    assert.throws(
      () => parseSecretReference(literal),
      (e) => isSluiceError(e, 'SLUICE_SECRET_REFERENCE') && !e.message.includes('planted'),
    );
  }
});

test('property: parsing never throws anything but SLUICE_SECRET_REFERENCE, and a parsed reference keeps its text', () => {
  const schemes = fc.constantFrom('env://', 'file://', 'vault://', 'aws-sm://', 'sluice://', 'http://', '');
  fc.assert(
    fc.property(schemes, fc.string({ maxLength: 40 }), (scheme, rest) => {
      const text = scheme + rest;
      try {
        const reference = parseSecretReference(text);
        assert.equal(reference.text, text);
        assert.ok(looksLikeReference(text));
      } catch (error) {
        assert.ok(isSluiceError(error, 'SLUICE_SECRET_REFERENCE'), String(error));
      }
    }),
    { numRuns: 2000 },
  );
});
