// Scanning folders and files: what is walked and what is skipped (and said so), exact lines and columns,
// deterministic order, lockfile digests, fingerprints that survive line moves and never hash the secret, and
// findings that never carry the value. Credentials are built at run time from a seeded generator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { isSluiceError } from '../../errors.ts';
import { isLockfile, scanFiles, scanText, withinDigest } from './scan-files.ts';
import type { FolderScan } from './scan-files.ts';
import { ALNUM, BASE32, HEX, fakeGenerator, withGithubChecksum } from './fake-tokens.ts';

const fake = fakeGenerator(4242);
const BASE64 = ALNUM + '+/';
const aws = (): string => 'AKIA' + fake(BASE32, 12) + '2' + fake(BASE32, 3);
const password = (): string => fake(ALNUM, 10) + '7Q' + fake(ALNUM, 6);
const ghp = (): string => withGithubChecksum('ghp_', fake(ALNUM, 30));

function folder(files: Record<string, string | Buffer>): string {
  const root = mkdtempSync(join(tmpdir(), 'sluice-scan-files-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), content);
  }
  return root;
}

/** Where `needle` sits in `text`, 1-based, as an editor shows it. */
function place(text: string, needle: string): { line: number; column: number } {
  const at = text.indexOf(needle);
  assert.ok(at >= 0, `${needle} not in the text`);
  const before = text.slice(0, at);
  return { line: before.split('\n').length, column: at - before.lastIndexOf('\n') };
}

const summary = (scan: FolderScan): string[] => scan.findings.map((f) => `${f.file}:${f.line}:${f.column} ${f.ruleId}`);

test('scan files: walks sub-folders in order, names files relative to the root with /, and places each finding exactly', async () => {
  const key = aws();
  const pw = password();
  const token = ghp();
  const env = `# deploy\nAWS_ACCESS_KEY_ID=${key}\nREGION=eu-west-1\n`;
  const config = `db:\n  url: postgres://app:${pw}@db.internal:5432/app\n`;
  const nested = `steps:\n  - run: echo hi\n    env: { GITHUB_TOKEN: ${token} }\n`;
  const root = folder({ 'b/config.yaml': config, 'a.env': env, 'b/c/ci.yml': nested, 'notes.md': 'nothing here\n' });
  const scan = await scanFiles(root);
  const at = (text: string, needle: string) => place(text, needle);
  assert.deepEqual(summary(scan), [
    `a.env:${at(env, key).line}:${at(env, key).column} aws-access-key-id`,
    `b/c/ci.yml:${at(nested, token).line}:${at(nested, token).column} github-token`,
    `b/config.yaml:${at(config, pw).line}:${at(config, pw).column} url-password`,
  ]);
  assert.equal(scan.scanned, 4);
  assert.deepEqual(scan.skipped, []);
  const first = scan.findings[0]!;
  assert.deepEqual([first.endLine, first.endColumn], [2, at(env, key).column + key.length], 'the end column is exclusive, as in SARIF');
  assert.equal(first.family, 'cloud');
  assert.match(first.message, /AWS access key ID/);
  assert.match(first.fix, /env:\/\/.*vault:\/\/.*sluice:\/\//);
});

test('scan files: a finding never holds the value, a preview of it, or a plain hash of it', async () => {
  const secrets = [aws(), password(), ghp()];
  const root = folder({ 'x.env': `AWS_ACCESS_KEY_ID=${secrets[0]}\nDB=mysql://root:${secrets[1]}@h/db\nTOKEN=${secrets[2]}\n` });
  const scan = await scanFiles(root);
  assert.equal(scan.findings.length, 3);
  const json = JSON.stringify(scan);
  for (const s of secrets) {
    assert.ok(!json.includes(s), 'the value is not in the findings');
    assert.ok(!json.includes(s.slice(4, 12)), 'nor a piece of it');
    assert.ok(!json.includes(createHash('sha256').update(s).digest('hex').slice(0, 16)), 'nor its hash');
  }
});

test('scan files: .git and node_modules are not entered; binary and large files are skipped and reported', async () => {
  const key = aws();
  const binary = Buffer.concat([Buffer.from(`AWS_ACCESS_KEY_ID=${key}\n`), Buffer.from([0, 1, 2, 3])]);
  const root = folder({
    '.git/config': `[remote]\n  url = https://x:${password()}@git.example.org/r.git\n`,
    'node_modules/pkg/.env': `AWS_ACCESS_KEY_ID=${key}\n`,
    'image.bin': binary,
    'dump.sql': `-- ${'x'.repeat(300)}\nAWS_ACCESS_KEY_ID=${key}\n`,
    'ok.env': `AWS_ACCESS_KEY_ID=${key}\n`,
    '.github/workflows/ci.yml': `env:\n  AWS_ACCESS_KEY_ID: ${key}\n`,
  });
  const scan = await scanFiles(root, { maxFileBytes: 200 });
  assert.deepEqual(summary(scan), ['.github/workflows/ci.yml:2:22 aws-access-key-id', 'ok.env:1:19 aws-access-key-id']);
  assert.deepEqual(scan.skipped, [
    { file: 'dump.sql', reason: 'too-large' },
    { file: 'image.bin', reason: 'binary' },
  ]);
});

test('scan files: symbolic links are not followed; one leading out of the folder is reported', async () => {
  const key = aws();
  const outside = folder({ 'leak.env': `AWS_ACCESS_KEY_ID=${key}\n` });
  const root = folder({ 'real/app.env': `AWS_ACCESS_KEY_ID=${key}\n` });
  symlinkSync(join(outside, 'leak.env'), join(root, 'outside.env'));
  symlinkSync(outside, join(root, 'outside-dir'));
  symlinkSync(join(root, 'real', 'app.env'), join(root, 'alias.env'));
  symlinkSync(join(root, 'real'), join(root, 'loop'));
  symlinkSync(join(root, 'missing'), join(root, 'dangling'));
  const scan = await scanFiles(root);
  assert.deepEqual(summary(scan), ['real/app.env:1:19 aws-access-key-id'], 'a link inside the folder is covered by its target, once');
  assert.deepEqual(scan.skipped, [
    { file: 'outside-dir', reason: 'outside-root' },
    { file: 'outside.env', reason: 'outside-root' },
  ]);
});

test('scan files: a single file is scanned as the file of its folder', async () => {
  const key = aws();
  const root = folder({ 'deploy/prod.env': `\n\nAWS_ACCESS_KEY_ID=${key}\n`, 'deploy/other.env': `AWS_ACCESS_KEY_ID=${aws()}\n` });
  const scan = await scanFiles(join(root, 'deploy', 'prod.env'));
  assert.equal(scan.root, join(root, 'deploy'));
  assert.deepEqual(summary(scan), ['prod.env:3:19 aws-access-key-id']);
});

test('scan files: a missing path is SLUICE_IO_FAILED', async () => {
  await assert.rejects(scanFiles(join(tmpdir(), 'sluice-no-such-folder-' + fake(HEX, 8))), (error) => isSluiceError(error, 'SLUICE_IO_FAILED'));
});

test('scan files: an unreadable file is reported, not passed silently', { skip: process.getuid?.() === 0 ? 'root reads every file' : false }, async () => {
  const root = folder({ 'locked.env': `AWS_ACCESS_KEY_ID=${aws()}\n` });
  chmodSync(join(root, 'locked.env'), 0o000);
  const scan = await scanFiles(root);
  assert.deepEqual(scan.skipped, [{ file: 'locked.env', reason: 'unreadable' }]);
});

test('scan text: a byte-order mark and CRLF line ends do not shift columns', async () => {
  const key = aws();
  const root = folder({ 'bom.env': Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`A=1\r\nAWS_ACCESS_KEY_ID=${key}\r\n`)]) });
  const scan = await scanFiles(root);
  assert.deepEqual(summary(scan), ['bom.env:2:19 aws-access-key-id']);
  assert.deepEqual([scan.findings[0]!.endLine, scan.findings[0]!.endColumn], [2, 19 + key.length]);
});

test('scan text: a private key spans lines; its end is where the block ends', () => {
  const body = Array.from({ length: 4 }, () => fake(BASE64, 64)).join('\n');
  const text = `key: |\n  -----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`;
  const [finding] = scanText(text, 'k.yaml');
  assert.deepEqual(finding && [finding.ruleId, finding.line, finding.column, finding.endLine, finding.endColumn], ['private-key', 2, 3, 7, 26]);
});

test('fingerprints: the same across line moves and a changed value, told apart by their order in the file', () => {
  const line = (key: string) => `AWS_ACCESS_KEY_ID=${key}`;
  const [a] = scanText(`${line(aws())}\n`, 'x.env');
  const [b] = scanText(`# moved\n\n${line(aws())}\n`, 'x.env');
  assert.ok(a && b);
  assert.equal(a.fingerprint, b.fingerprint, 'the line without its secret is what is hashed');
  assert.match(a.fingerprint, /^[0-9a-f]{16}:1$/);
  const twice = scanText(`${line(aws())}\n${line(aws())}\n`, 'x.env');
  assert.deepEqual(twice.map((f) => f.fingerprint.split(':')[1]), ['1', '2']);
  const [elsewhere] = scanText(`${line(aws())}\n`, 'y.env');
  assert.notEqual(elsewhere?.fingerprint, a.fingerprint, 'the file is part of it');
});

test('lockfiles: digests are never reported; a credential in a resolved URL is', () => {
  const sri = () => 'sha512-' + fake(BASE64, 86) + '==';
  const packages = Array.from({ length: 300 }, (_, i) => `    "node_modules/pkg-${i}": {\n      "version": "1.0.${i}",\n      "resolved": "https://registry.npmjs.org/pkg-${i}/-/pkg-${i}-1.0.${i}.tgz",\n      "integrity": "${sri()}"\n    }`);
  const packageLock = `{\n  "name": "app",\n  "lockfileVersion": 3,\n  "packages": {\n${packages.join(',\n')}\n  }\n}\n`;
  const lockfiles: Record<string, string> = {
    'package-lock.json': packageLock,
    'yarn.lock': `"auth-token@^2.4.4":\n  version "2.5.0"\n  resolved "https://registry.yarnpkg.com/auth-token/-/auth-token-2.5.0.tgz#${fake(HEX, 40)}"\n  integrity ${sri()}\n`,
    'pnpm-lock.yaml': `packages:\n  /secret-key@1.0.0:\n    resolution: {integrity: ${sri()}}\n`,
    'go.sum': `github.com/golang-jwt/jwt/v4 v4.5.0 h1:${fake(BASE64, 43)}=\ngithub.com/golang-jwt/jwt/v4 v4.5.0/go.mod h1:${fake(BASE64, 43)}=\n`,
    'Cargo.lock': `[[package]]\nname = "secrecy"\nversion = "0.8.0"\nchecksum = "${fake(HEX, 64)}"\n`,
    'poetry.lock': `[[package]]\nname = "keyring"\nfiles = [\n    {file = "keyring-24.3.1.tar.gz", hash = "sha256:${fake(HEX, 64)}"},\n]\n`,
  };
  for (const [name, text] of Object.entries(lockfiles)) {
    assert.ok(isLockfile(name), name);
    assert.deepEqual(scanText(text, name, { lockfile: true }), [], name);
  }
  const leaked = `"resolved": "https://deploy:${password()}@npm.internal.example/pkg/-/pkg-1.0.0.tgz",`;
  assert.deepEqual(scanText(leaked, 'package-lock.json', { lockfile: true }).map((f) => f.ruleId), ['url-password']);
});

test('lockfiles: a token shape inside a digest is dropped there, and found anywhere else', () => {
  const inside = `"integrity": "sha512-${fake(BASE64, 20)}+${aws()}/${fake(BASE64, 40)}=="`;
  assert.deepEqual(scanText(inside, 'notes.json').map((f) => f.ruleId), ['aws-access-key-id'], 'the scanner sees the shape');
  assert.deepEqual(scanText(inside, 'package-lock.json', { lockfile: true }), []);
  assert.ok(withinDigest(`h1:${fake(BASE64, 43)}=`, { start: 5, end: 20 }));
  assert.ok(!withinDigest(`token=${fake(BASE64, 43)}`, { start: 8, end: 20 }), 'a random value is not a digest because it is random');
  assert.ok(!isLockfile('lock.json') && isLockfile('sub/dir/yarn.lock'));
});

test('scan files: the result is the same on every run', async () => {
  const root = folder({ 'z.env': `K=1\nAWS_ACCESS_KEY_ID=${aws()}\n`, 'a/b.env': `TOKEN=${ghp()}\n`, 'a/a.env': `PASSWORD_URL=redis://:${password()}@cache:6379/0\n` });
  const first = JSON.stringify(await scanFiles(root));
  assert.equal(JSON.stringify(await scanFiles(root)), first);
});
