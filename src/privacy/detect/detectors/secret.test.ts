// The SECRET detector: the secret scanner's findings as PII matches, and the scan step redacting them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { secretDetector } from './secret.ts';
import { findReplaceable, rewriteMatches } from '../scan-text.ts';
import { ALL_DETECTORS } from '../all-detectors.ts';

// Built at run time so no token-shaped literal sits in the source.
const AWS_KEY_ID = ['AKIA', 'Z3MPLEKEYABCD7QX'].join('');
const PEM = ['-----BEGIN', ' RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n-----END RSA PRIVATE KEY-----'].join('');

test('SECRET: a credential in a support note is found with its span and redacted by the scan step', () => {
  const text = `customer pasted their key ${AWS_KEY_ID} into the ticket`;
  const matches = secretDetector.detect(text);
  assert.equal(matches.length, 1);
  assert.equal(text.slice(matches[0]!.start, matches[0]!.end), AWS_KEY_ID);
  assert.ok(ALL_DETECTORS.includes(secretDetector));
  const found = findReplaceable(text, ALL_DETECTORS, 0.5);
  assert.equal(rewriteMatches(text, found, (_v, type) => `[${type}]`), 'customer pasted their key [SECRET] into the ticket');
});

test('SECRET: a private key block is found whole; ordinary prose is not a secret', () => {
  const matches = secretDetector.detect(`here it is:\n${PEM}\nthanks`);
  assert.equal(matches.length, 1);
  assert.deepEqual(secretDetector.detect('the password policy asks for twelve characters'), []);
});
