// The redaction registry: a planted value is scrubbed as written and in the encodings it travels in
// (JSON-escaped, URL-encoded, base64), the longest value wins, and short values are not registered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MIN_SCRUBBED_LENGTH, RedactionRegistry } from './redaction.ts';

test('a planted token echoed back in a 401 body, a URL and a JSON log line is scrubbed', () => {
  const registry = new RedactionRegistry();
  const token = 'tok"en/with+odd chars=9f3a';
  registry.register(token);
  const echoes = [
    `401 Unauthorized: invalid token ${token}`,
    `https://svc.example/x?access_token=${encodeURIComponent(token)}`,
    JSON.stringify({ msg: `bad ${token}` }),
    `Authorization: Bearer ${Buffer.from(token).toString('base64')}`,
  ];
  for (const echo of echoes) {
    const scrubbed = registry.scrub(echo);
    assert.ok(scrubbed.includes('[REDACTED]'), scrubbed);
    assert.ok(!scrubbed.includes(token) && !scrubbed.includes(encodeURIComponent(token)) && !scrubbed.includes(Buffer.from(token).toString('base64').replace(/=+$/, '')), scrubbed);
  }
});

test('the longest registered value is replaced whole; deep scrub covers keys and nested strings', () => {
  const registry = new RedactionRegistry();
  registry.register('abcdef');
  registry.register('abcdef-longer-secret');
  assert.equal(registry.scrub('x abcdef-longer-secret y abcdef'), 'x [REDACTED] y [REDACTED]');
  assert.deepEqual(registry.scrubDeep({ 'k-abcdef': ['abcdef', 1, null, { v: 'abcdef!' }] }), { 'k-[REDACTED]': ['[REDACTED]', 1, null, { v: '[REDACTED]!' }] });
});

test('values shorter than the minimum are not registered, so ordinary output is not garbled', () => {
  const registry = new RedactionRegistry();
  assert.equal(registry.register('1234'), false);
  assert.equal(registry.scrub('1234 records'), '1234 records');
  assert.equal(registry.register('x'.repeat(MIN_SCRUBBED_LENGTH)), true);
});

test('unregister forgets a value; an empty registry returns text unchanged', () => {
  const registry = new RedactionRegistry();
  const text = 'nothing (to) [hide] $1 \\';
  assert.equal(registry.scrub(text), text);
  registry.register('rotated-out-value');
  registry.unregister('rotated-out-value');
  assert.equal(registry.scrub('rotated-out-value'), 'rotated-out-value');
});

test('property: after registering, no registered value survives scrub, whatever surrounds it', () => {
  fc.assert(
    fc.property(fc.string({ minLength: MIN_SCRUBBED_LENGTH, maxLength: 30 }), fc.string(), fc.string(), (secret, before, after) => {
      const registry = new RedactionRegistry();
      registry.register(secret);
      assert.ok(!registry.scrub(before + secret + after).includes(secret));
    }),
    { numRuns: 1000 },
  );
});
