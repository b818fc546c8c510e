// Published checksums: GitHub and npm CRC32/base62 (a known-answer vector and generated tokens), GitLab routable
// tokens, Bech32 (BIP 173 vectors), PyPI macaroons, base64 JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base62Crc32Valid, bech32Valid, decodeBase62, decodeBase64, gitlabRoutableValid, isBase64Json, pypiMacaroonValid } from './checksum.ts';
import { ALNUM, BASE64URL, fakeGenerator, gitlabRoutable, pypiToken, withGithubChecksum } from './fake-tokens.ts';

test('base62: decodes with the 0-9A-Za-z alphabet', () => {
  assert.equal(decodeBase62('0'), 0);
  assert.equal(decodeBase62('A'), 10);
  assert.equal(decodeBase62('a'), 36);
  assert.equal(decodeBase62('10'), 62);
  assert.ok(Number.isNaN(decodeBase62('-')));
});

test('github checksum: the example of coolaj86/base62-token (an independent implementation) verifies', () => {
  // Assembled from parts: the example token from the gist that documents the format.
  const token = ['ghp', 'zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ'].join('_') + '0mLq17';
  assert.ok(base62Crc32Valid(token));
});

test('github checksum: generated tokens verify, and any one-character change is caught', () => {
  const fake = fakeGenerator(11);
  for (let i = 0; i < 50; i++) {
    const token = withGithubChecksum(i % 2 === 0 ? 'ghp_' : 'npm_', fake(ALNUM, 30));
    assert.ok(base62Crc32Valid(token), token);
    const at = 4 + (i % 36);
    const swapped = token.slice(0, at) + (token[at] === 'a' ? 'b' : 'a') + token.slice(at + 1);
    assert.ok(!base62Crc32Valid(swapped), swapped);
  }
});

test('github checksum: wrong lengths are not valid', () => {
  assert.ok(!base62Crc32Valid('ghp_short'));
});

test('gitlab routable tokens: the length field and the CRC32 are both checked', () => {
  const fake = fakeGenerator(5);
  const payload = fake(BASE64URL, 40);
  const token = gitlabRoutable('glpat-', payload);
  assert.ok(gitlabRoutableValid(token), token);
  assert.ok(gitlabRoutableValid(gitlabRoutable('glrt-t1_', payload)), 'runner tokens with a type segment');
  const badCrc = token.slice(0, -1) + (token.endsWith('0') ? '1' : '0');
  assert.ok(!gitlabRoutableValid(badCrc));
  const badPayload = 'glpat-' + fake(BASE64URL, 40) + token.slice(token.lastIndexOf('.'));
  assert.ok(!gitlabRoutableValid(badPayload));
  assert.ok(!gitlabRoutableValid('glpat-nodothere'));
});

test('bech32: BIP 173 valid test vectors pass and corrupted ones fail', () => {
  for (const v of ['A12UEL5L', 'a12uel5l', 'abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw', 'split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w']) assert.ok(bech32Valid(v), v);
  for (const v of ['A12UEL5M', 'split1checkupstagehandshakeupstreamerranterredcaperred2y9e3x', 'nosep', 'a1b']) assert.ok(!bech32Valid(v), v);
});

test('pypi: a macaroon for pypi.org is recognised; other base64 is not', () => {
  assert.ok(pypiMacaroonValid(pypiToken('\x00\x01abcdefghijklmnopqrstuvwxyz0123456789')));
  assert.ok(!pypiMacaroonValid('pypi-' + Buffer.from('just some other bytes here').toString('base64url')));
});

test('base64: decoding and JSON detection', () => {
  assert.equal(decodeBase64('aGVsbG8'), 'hello');
  assert.equal(decodeBase64('not base64!'), undefined);
  assert.ok(isBase64Json(Buffer.from('{"a":1}').toString('base64url')));
  assert.ok(!isBase64Json(Buffer.from('[1]').toString('base64url')));
  assert.ok(!isBase64Json(Buffer.from('{broken').toString('base64url')));
});
