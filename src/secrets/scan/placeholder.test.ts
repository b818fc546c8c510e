// Placeholders: the values that stand in for a secret (templates, masks, documentation words, test vectors)
// are recognised, and random values of every shape are not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isCountingBytes, isPlaceholderToken, isPlaceholderValue, looksMasked, looksTemplated } from './placeholder.ts';
import { ALNUM, BASE64URL, HEX, LOWER_ALNUM, fakeGenerator } from './fake-tokens.ts';

const placeholders = [
  'xxxxxxxxxxxxxxxx', 'XXXX-XXXX-XXXX', '****************', '••••••••', '################', '0000000000000000',
  '${GITHUB_TOKEN}', '{{ .Values.password }}', '$(cat /run/secrets/token)', '%API_KEY%', '$API_KEY', '<your-token>', '[PASSWORD]', '{SumoAccessKey}',
  'process.env.TOKEN', 'os.getenv("X")', 'ENC[AES256_GCM,data:abc]', 'changeme', 'CHANGE_ME_PLEASE', 'your_api_key_here', 'insert-token-here', 'example-secret-123',
  'test', 'test1234', 'password', 'Password1', 'secret', 'hunter2', 'dummy-value-1a2b', 'hvs.test-double-token-7c1f', 'abcdefghijklmnopqrstuvwxyz', '0123456789abcdef',
  '000102030405060708090a0b0c0d0e0f', 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=', 'REDACTED', 'Atza|IQEBXXXXXXXXJnrulx',
];

for (const v of placeholders) {
  test(`placeholder: ${JSON.stringify(v)} is a placeholder`, () => {
    assert.ok(isPlaceholderValue(v));
  });
}

test('placeholder: random values of token alphabets are not placeholders', () => {
  const fake = fakeGenerator(7);
  for (const [alphabet, n] of [
    [ALNUM, 32],
    [LOWER_ALNUM, 24],
    [HEX, 40],
    [BASE64URL, 43],
  ] as const) {
    for (let i = 0; i < 200; i++) {
      const v = fake(alphabet, n);
      assert.ok(!isPlaceholderValue(v), v);
    }
  }
});

test('placeholder: masks', () => {
  assert.ok(looksMasked('XXXXXXXXXXXXXXXX'));
  assert.ok(looksMasked('ab******cd**'));
  assert.ok(looksMasked('AQpAM2RhZTkXXXXXXXXNmZmMz'), 'six mask characters inside a longer value');
  assert.ok(!looksMasked('aB3xY9qZ'));
});

test('placeholder: templates', () => {
  for (const t of ['${A}', '{{a}}', '$(x)', '#{x}', '<%= x %>', '$HOME_TOKEN', '%TOKEN%', '@TOKEN@', '{0}', '%s']) assert.ok(looksTemplated(t), t);
  for (const t of ['a$b', '50%off', 'x{y']) assert.ok(!looksTemplated(t), t);
});

test('placeholder: counting bytes in hex or base64', () => {
  assert.ok(isCountingBytes('f0f1f2f3f4f5f6f7f8f9'));
  assert.ok(!isCountingBytes('4351791a88af33c3b78ca9d5b7739a16'));
  assert.ok(!isCountingBytes('short'));
});

test('placeholder: token bodies', () => {
  assert.ok(isPlaceholderToken('xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'));
  assert.ok(isPlaceholderToken('XXXXXXXXXX_PUT_YOUR_TOKEN_HERE_XXXXXXXXXXXX'));
  assert.ok(isPlaceholderToken('IOSFODNN7EXAMPLE'));
  assert.ok(isPlaceholderToken('Syabcdefghijklmnopqrstuvwxyz1234567'));
  assert.ok(!isPlaceholderToken(fakeGenerator(3)(ALNUM, 36)));
});
