// Accepting findings: `sluice:allow` on the line and `sluice:allow-next-line` above it, fingerprints of the ignore
// file (exactly one finding each), globs of the ignore file and `--exclude` (files not read, folders not entered),
// and stale entries. Nothing accepted is lost: it moves from findings to suppressed. Credentials are built at run
// time from a seeded generator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { scanFiles, scanText } from './scan-files.ts';
import type { FolderScan } from './scan-files.ts';
import { parseIgnoreFile } from './ignore-file.ts';
import { pathGlob } from './glob.ts';
import { ALNUM, BASE32, BASE64URL, fakeGenerator, withGithubChecksum } from './fake-tokens.ts';

const fake = fakeGenerator(1979);
const aws = (): string => 'AKIA' + fake(BASE32, 12) + '6' + fake(BASE32, 3);
const ghp = (): string => withGithubChecksum('ghp_', fake(ALNUM, 30));

function folder(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'sluice-suppress-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), content);
  }
  return root;
}

const places = (findings: FolderScan['findings']): string[] => findings.map((f) => `${f.file}:${f.line} ${f.ruleId}`);

test('sluice:allow: on the finding\'s line, in any comment syntax, it suppresses that finding in source', () => {
  const lines = [
    `AWS_ACCESS_KEY_ID=${aws()} # sluice:allow`,
    `const key = '${aws()}'; // sluice:allow: a documented example`,
    `<key>${aws()}</key> <!-- sluice:allow -->`,
    `key = "${aws()}" /* sluice:allow */`,
    `AWS_ACCESS_KEY_ID=${aws()} # sluice:allowed is not the marker`,
    `AWS_ACCESS_KEY_ID=${aws()} # nor is sluice:allow-list`,
    `AWS_ACCESS_KEY_ID=${aws()}`,
  ];
  const findings = scanText(lines.join('\n') + '\n', 'x.txt');
  assert.deepEqual(
    findings.map((f) => [f.line, f.suppression]),
    [
      [1, { kind: 'inSource', marker: 'sluice:allow' }],
      [2, { kind: 'inSource', marker: 'sluice:allow' }],
      [3, { kind: 'inSource', marker: 'sluice:allow' }],
      [4, { kind: 'inSource', marker: 'sluice:allow' }],
      [5, undefined],
      [6, undefined],
      [7, undefined],
    ],
  );
});

test('sluice:allow-next-line: on the line directly above, it suppresses that line only', () => {
  const body = Array.from({ length: 3 }, () => fake(ALNUM, 64)).join('\n');
  const text = [
    '# sluice:allow-next-line',
    `token: ${ghp()}`,
    `other: ${ghp()}`,
    `AWS_ACCESS_KEY_ID=${aws()} # sluice:allow-next-line`,
    `AWS_ACCESS_KEY_ID=${aws()}`,
    '# sluice:allow-next-line (a test key, see docs/testing.md)',
    '-----BEGIN PRIVATE KEY-----',
    body,
    '-----END PRIVATE KEY-----',
    '',
  ].join('\n');
  const findings = scanText(text, 'x.yaml');
  assert.deepEqual(
    findings.map((f) => [f.line, f.ruleId, f.suppression?.kind === 'inSource' ? f.suppression.marker : undefined]),
    [
      [2, 'github-token', 'sluice:allow-next-line'],
      [3, 'github-token', undefined],
      [4, 'aws-access-key-id', undefined],
      [5, 'aws-access-key-id', 'sluice:allow-next-line'],
      [7, 'private-key', 'sluice:allow-next-line'],
    ],
    'the marker line itself is not covered, the line two below is not, and a block is covered by its first line',
  );
});

test('ignore file: a fingerprint suppresses exactly its finding, not another rule\'s on the same line, nor the next of its kind', async () => {
  const sameLine = `AWS_ACCESS_KEY_ID=${aws()} GITHUB_TOKEN=${ghp()}`;
  const root = folder({ 'deploy.env': `${sameLine}\nAWS_ACCESS_KEY_ID=${aws()} GITHUB_TOKEN=${ghp()}\n` });
  const all = await scanFiles(root);
  assert.deepEqual(places(all.findings), ['deploy.env:1 aws-access-key-id', 'deploy.env:1 github-token', 'deploy.env:2 aws-access-key-id', 'deploy.env:2 github-token']);
  const [first, other] = all.findings;
  assert.ok(first && other && first.fingerprint !== other.fingerprint, 'two rules on a line have two fingerprints');
  assert.equal(all.findings[2]!.fingerprint, first.fingerprint.replace(/:1$/, ':2'), 'the same line again is told apart by its order');

  const ignore = parseIgnoreFile(`# reviewed\n${first.fingerprint}  # a revoked key\n`, '.sluiceignore', join(root, '.sluiceignore'));
  const scan = await scanFiles(root, { ignore });
  assert.deepEqual(places(scan.findings), ['deploy.env:1 github-token', 'deploy.env:2 aws-access-key-id', 'deploy.env:2 github-token']);
  assert.deepEqual(places(scan.suppressed), ['deploy.env:1 aws-access-key-id']);
  assert.deepEqual(scan.suppressed[0]!.suppression, { kind: 'external', ignoreFile: '.sluiceignore', line: 2, justification: 'a revoked key' });
  assert.deepEqual(scan.stale, []);
  assert.deepEqual(scan.ignoreFile, { name: '.sluiceignore', path: join(root, '.sluiceignore') });
});

test('globs: excluded files are not read, excluded folders not entered; --exclude and the ignore file agree', async () => {
  const root = folder({
    'app.env': `AWS_ACCESS_KEY_ID=${aws()}\n`,
    'test/data/keys.json': `{"token": "${ghp()}"}\n`,
    'test/data/deep/more.env': `AWS_ACCESS_KEY_ID=${aws()}\n`,
    'ui/__snapshots__/a.snap': `exports[\`id\`] = "${ghp()}";\n`,
    'ui/b.snap': `"${ghp()}"\n`,
    'fixtures/x.env': `AWS_ACCESS_KEY_ID=${aws()}\n`,
    'src/fixtures.ts': `export const KEY = '${aws()}';\n`,
  });
  const ignore = parseIgnoreFile('test/data/**\n*.snap\nfixtures/\n', '.sluiceignore', join(root, '.sluiceignore'));
  const byFile = await scanFiles(root, { ignore });
  assert.deepEqual(places(byFile.findings), ['app.env:1 aws-access-key-id', 'src/fixtures.ts:1 aws-access-key-id']);
  assert.deepEqual(byFile.suppressed, [], 'an excluded file has no findings to suppress: it was not read');
  assert.deepEqual(
    byFile.excluded.map((e) => [e.file, e.folder, e.glob, e.by]),
    [
      ['fixtures', true, 'fixtures/', '.sluiceignore'],
      ['test/data/deep', true, 'test/data/**', '.sluiceignore'],
      ['test/data/keys.json', false, 'test/data/**', '.sluiceignore'],
      ['ui/__snapshots__/a.snap', false, '*.snap', '.sluiceignore'],
      ['ui/b.snap', false, '*.snap', '.sluiceignore'],
    ],
    'a folder that matches is listed once, its files not at all',
  );
  assert.equal(byFile.scanned, 2);

  const byOption = await scanFiles(root, { exclude: ['test/data/**', '*.snap', 'fixtures/'].map(pathGlob) });
  assert.deepEqual(places(byOption.findings), places(byFile.findings));
  assert.ok(byOption.excluded.every((e) => e.by === '--exclude'));
  assert.deepEqual(byOption.stale, [], '--exclude globs are the command line\'s, never stale');
});

test('stale: an entry that matches nothing is listed, and a scan with stale entries loses nothing', async () => {
  const key = `AWS_ACCESS_KEY_ID=${aws()}`;
  const root = folder({ 'a.env': `${key} # sluice:allow\n`, 'b.env': `# sluice:allow-next-line\n${key}\n`, 'vendor/x.env': `${key}\n` });
  const plain = await scanFiles(root);
  const fingerprintB = plain.suppressed.find((f) => f.file === 'b.env')!.fingerprint;
  const text = ['vendor', 'old-fixtures/**', '0000000000000000:1', `${fingerprintB}  # now marked in the file`].join('\n');
  const scan = await scanFiles(root, { ignore: parseIgnoreFile(text, 'ci/secrets.ignore', '/elsewhere/secrets.ignore') });
  assert.deepEqual(
    scan.stale,
    [
      { ignoreFile: 'ci/secrets.ignore', line: 2, entry: 'old-fixtures/**', kind: 'glob' },
      { ignoreFile: 'ci/secrets.ignore', line: 3, entry: '0000000000000000:1', kind: 'fingerprint' },
      { ignoreFile: 'ci/secrets.ignore', line: 4, entry: fingerprintB, kind: 'fingerprint' },
    ],
    'a fingerprint an inline marker already covers is stale: the marker wins',
  );
  assert.deepEqual(scan.findings, []);
  assert.deepEqual(scan.suppressed.map((f) => [f.file, f.suppression.kind]), [['a.env', 'inSource'], ['b.env', 'inSource']]);
  assert.deepEqual(plain.findings.length + plain.suppressed.length, 3);
});

test('suppressed findings never hold the value either', async () => {
  const token = ghp();
  const b64url = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const jwt = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: 'svc-billing', iat: 1716239022 })}.${fake(BASE64URL, 43)}`;
  const root = folder({ 'a.env': `TOKEN=${token} # sluice:allow\nSESSION=${jwt}\n` });
  const [jwtFinding] = (await scanFiles(root)).findings;
  assert.ok(jwtFinding);
  const scan = await scanFiles(root, { ignore: parseIgnoreFile(jwtFinding.fingerprint, '.sluiceignore', join(root, '.sluiceignore')) });
  assert.equal(scan.suppressed.length, 2);
  const json = JSON.stringify(scan);
  for (const secret of [token, jwt, token.slice(4, 14), jwt.split('.')[2]!]) assert.ok(!json.includes(secret));
});
