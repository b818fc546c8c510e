// Private keys: PEM blocks of every private-key label, bodies with RFC 1421 headers or escaped newlines, cut
// blocks; and the public keys, certificates, empty or placeholder bodies, and code that are not keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scanSecrets } from '../scan.ts';
import { fakeGenerator } from '../fake-tokens.ts';

const fake = fakeGenerator(909);
const base64 = (n: number): string => fake('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', n);
const body = (lines: number): string => Array.from({ length: lines }, () => base64(64)).join('\n');
const pem = (label: string, content: string): string => `-----BEGIN ${label}-----\n${content}\n-----END ${label}-----`;

const keys = [
  pem('PRIVATE KEY', body(8)),
  pem('RSA PRIVATE KEY', body(12)),
  pem('EC PRIVATE KEY', body(3)),
  pem('OPENSSH PRIVATE KEY', body(6)),
  pem('ENCRYPTED PRIVATE KEY', body(6)),
  pem('RSA PRIVATE KEY', `Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,${fake('0123456789ABCDEF', 32)}\n\n${body(8)}`),
  pem('PGP PRIVATE KEY BLOCK', `Version: GnuPG v2\n\n${body(10)}\n=8xQN`),
];

for (const key of keys) {
  test(`private keys: ${key.slice(11, key.indexOf('-----', 11))} is found as a whole block`, () => {
    for (const text of [key, `config:\n  key: |\n${key}\n`, JSON.stringify({ private_key: key })]) {
      const m = scanSecrets(text).find((x) => x.rule === 'private-key');
      assert.ok(m, text.slice(0, 80));
      const found = text.slice(m.start, m.end);
      assert.ok(found.startsWith('-----BEGIN') && found.endsWith('-----'), found.slice(-40));
    }
  });
}

test('private keys: a key cut before its footer is still found, at a lower confidence', () => {
  const text = `-----BEGIN RSA PRIVATE KEY-----\n${body(10)}`;
  const m = scanSecrets(text).find((x) => x.rule === 'private-key');
  assert.ok(m && m.confidence < 0.99);
});

test('private keys: public keys, certificates, empty, placeholder and code-made blocks are not keys', () => {
  for (const text of [
    pem('PUBLIC KEY', body(6)),
    pem('CERTIFICATE', body(12)),
    pem('PRIVATE KEY', 'anything'),
    '-----BEGIN OPENSSH PRIVATE KEY----------END OPENSSH PRIVATE KEY-----',
    pem('PRIVATE KEY', 'x'.repeat(64 * 4)),
    "const header = '-----BEGIN PRIVATE KEY-----'; const footer = '-----END PRIVATE KEY-----';",
  ]) {
    assert.deepEqual(scanSecrets(text).filter((m) => m.rule === 'private-key'), [], text.slice(0, 60));
  }
});

test('private keys: PuTTY key files with key material; not code that writes the format', () => {
  const ppk = `PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\nComment: k\nPublic-Lines: 2\n${base64(64)}\n${base64(40)}\nPrivate-Lines: 2\n${base64(64)}\n${base64(40)}\nPrivate-MAC: ${fake('0123456789abcdef', 40)}\n`;
  assert.ok(scanSecrets(ppk).some((m) => m.rule === 'putty-private-key'));
  const code = "var ppk = 'PuTTY-User-Key-File-2: ' + algorithm + '\\r\\n'; ppk += 'Private-Lines: ' + n + '\\r\\n'; ppk += 'Private-MAC: ' + mac;";
  assert.deepEqual(scanSecrets(code).filter((m) => m.rule === 'putty-private-key'), []);
});
