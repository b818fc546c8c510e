// `sluice check --secrets PATH` end to end: a folder holding credentials of several kinds beside placeholders,
// references, documentation keys, public keys and a lockfile; exactly the credentials are reported, by file, line
// and rule, as text, JSON and SARIF, and no output holds a planted value. Findings are accepted by `sluice:allow`,
// by the fingerprints and globs of `.sluiceignore` (or `--ignore-file`) and by `--exclude`; accepted findings are
// counted, marked as suppressed in SARIF, and never fail the check. A spec with a credential fails check and run.
// Credentials are built at run time from a seeded generator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { assertNoStack, customersSpec, runCli } from './support/cli-harness.ts';
import type { Outcome } from './support/cli-harness.ts';
import { ALNUM, BASE32, BASE64URL, fakeGenerator } from '../src/secrets/scan/fake-tokens.ts';
import type { SarifLog } from '../src/secrets/scan/sarif.ts';

const fake = fakeGenerator(20240917);
const BASE64 = ALNUM + '+/';
const b64url = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');

/** The planted credentials, each with a random part long enough to search outputs for. */
const AWS_KEY = 'AKIA' + fake(BASE32, 10) + '4' + fake(BASE32, 5);
const DB_PASSWORD = fake(ALNUM, 14) + 'x9';
const K8S_PASSWORD = fake(ALNUM, 18);
const K8S_BASE64 = Buffer.from(K8S_PASSWORD).toString('base64');
const JWT = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: 'svc-crm', iat: 1716239022 })}.${fake(BASE64URL, 43)}`;
const KEY_BODY = Array.from({ length: 6 }, () => fake(BASE64, 64));
const PLANTED = [AWS_KEY, DB_PASSWORD, K8S_PASSWORD, K8S_BASE64, JWT, JWT.split('.')[2]!, ...KEY_BODY];

const FILES: Record<string, string> = {
  '.env': [
    '# local development',
    `AWS_ACCESS_KEY_ID=${AWS_KEY}`,
    'AWS_REGION=eu-west-1',
    'API_KEY=YOUR_API_KEY',
    'GITHUB_TOKEN=${GITHUB_TOKEN}',
    `SESSION_TOKEN=${JWT}`,
    '',
  ].join('\n'),
  'config.yaml': [
    'database:',
    `  url: postgres://crm:${DB_PASSWORD}@db.internal:5432/crm`,
    '  replica: postgres://crm:${DB_PASSWORD}@replica.internal:5432/crm',
    '  password: changeme',
    'crm:',
    '  token: vault://secret/crm#token',
    '  api_key: <token>',
    '  client_secret: aws-sm://prod/crm#client_secret',
    '  webhook_secret: env://CRM_WEBHOOK_SECRET',
    '',
  ].join('\n'),
  'k8s/secret.yaml': [
    'apiVersion: v1',
    'kind: Secret',
    'metadata:',
    '  name: crm-db',
    'type: Opaque',
    'data:',
    '  username: Y3Jt',
    `  password: ${K8S_BASE64}`,
    `  fallback: ${Buffer.from('changeme').toString('base64')}`,
    '',
  ].join('\n'),
  'keys/service.pem': `-----BEGIN PRIVATE KEY-----\n${KEY_BODY.join('\n')}\n-----END PRIVATE KEY-----\n`,
  'keys/service.pub': `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${fake(BASE64, 43)} crm@deploy\n`,
  'keys/public.pem': `-----BEGIN PUBLIC KEY-----\n${Array.from({ length: 6 }, () => fake(BASE64, 64)).join('\n')}\n-----END PUBLIC KEY-----\n`,
  'README.md': [
    '# CRM sync',
    '',
    'Configure the AWS CLI as its documentation shows:',
    '',
    '    aws_access_key_id = AKIAIOSFODNN7EXAMPLE',
    '    aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    '',
    'Put the CRM token in Vault and write `token: vault://secret/crm#token` in the spec.',
    '',
  ].join('\n'),
  'package-lock.json': JSON.stringify(
    {
      name: 'crm-sync',
      lockfileVersion: 3,
      packages: Object.fromEntries(
        ['jsonwebtoken', 'secret-manager', 'api-key-auth', 'keytar'].map((name) => [
          `node_modules/${name}`,
          { version: '1.2.3', resolved: `https://registry.npmjs.org/${name}/-/${name}-1.2.3.tgz`, integrity: `sha512-${fake(BASE64, 86)}==` },
        ]),
      ),
    },
    null,
    2,
  ),
};

/** What the folder must report, and nothing else: file, line, column, rule. */
const EXPECTED = [
  ['.env', 2, 19, 'aws-access-key-id'],
  ['.env', 6, 15, 'jwt'],
  ['config.yaml', 2, 23, 'url-password'],
  ['k8s/secret.yaml', 8, 13, 'kubernetes-secret'],
  ['keys/service.pem', 1, 1, 'private-key'],
] as const;

function folder(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'sluice-secret-check-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), content);
  }
  return root;
}

/** Fails if any output holds a planted credential or a piece of one. */
function assertNothingPlanted(out: Outcome): void {
  for (const value of PLANTED) {
    for (const piece of [value, value.slice(4, 14)]) {
      assert.ok(!out.stdout.includes(piece) && !out.stderr.includes(piece), `the output holds a planted value (${value.slice(0, 4)}…)`);
    }
  }
}

test('check --secrets: text reports exactly the literal credentials, one line each with file:line:column, rule, fix and fingerprint', async () => {
  const dir = folder(FILES);
  const out = await runCli(dir, 'check', '--secrets', '.');
  assert.equal(out.code, 1, out.stderr);
  assertNoStack(out.stderr);
  assertNothingPlanted(out);
  const lines = out.stdout.trimEnd().split('\n');
  const findings = lines.slice(0, -1).map((line) => {
    const m = /^(\S+):(\d+):(\d+) {2}(\S+) {2}(.+) {2}fix: (.+) {2}\[fingerprint [0-9a-f]{16}:\d+\]$/.exec(line);
    assert.ok(m, `not a finding line: ${line}`);
    assert.equal(m[6], 'replace it with a secret reference (env://, file://, vault://, aws-sm:// or sluice://)');
    return [m[1], Number(m[2]), Number(m[3]), m[4]];
  });
  assert.deepEqual(findings, EXPECTED);
  assert.match(lines.at(-1)!, /^5 secrets found in 4 files \(8 files scanned\)$/);
});

test('check --secrets: JSON has the same findings, with family, message and fix, and the skipped files', async () => {
  const dir = folder({ ...FILES, 'logo.png': '\x89PNG\r\n\x1a\n\0\0\0\rIHDR' });
  const out = await runCli(dir, 'check', '--secrets', dir, '--format', 'json');
  assert.equal(out.code, 1, out.stderr);
  assertNothingPlanted(out);
  const report = JSON.parse(out.stdout) as { path: string; scanned: number; findings: { file: string; line: number; column: number; ruleId: string; family: string; message: string; fix: string }[]; skipped: { file: string; reason: string }[] };
  assert.deepEqual(report.findings.map((f) => [f.file, f.line, f.column, f.ruleId]), EXPECTED);
  assert.deepEqual(report.findings.map((f) => f.family), ['cloud', 'jwt', 'url-credential', 'generic', 'private-key']);
  assert.ok(report.findings.every((f) => f.message.length > 0 && f.fix.startsWith('replace it with a secret reference')));
  assert.deepEqual(report.skipped, [{ file: 'logo.png', reason: 'binary' }]);
  assert.equal(report.scanned, 8);
});

test('check --secrets: SARIF 2.1.0 with relative URIs, the right lines, and every required property', async () => {
  const dir = folder(FILES);
  const out = await runCli(dir, 'check', '--secrets', '.', '--format', 'sarif');
  assert.equal(out.code, 1, out.stderr);
  assertNothingPlanted(out);
  const log = JSON.parse(out.stdout) as SarifLog;
  assert.equal(log.$schema, 'https://json.schemastore.org/sarif-2.1.0.json');
  assert.equal(log.version, '2.1.0');
  const [run] = log.runs;
  assert.equal(run.tool.driver.name, 'sluice');
  assert.ok(run.tool.driver.informationUri.startsWith('https://'));
  const ids = new Set(run.tool.driver.rules.map((r) => r.id));
  for (const rule of run.tool.driver.rules) assert.ok(rule.shortDescription.text && rule.fullDescription.text && rule.help.text, rule.id);
  assert.ok(run.originalUriBaseIds.SRCROOT?.uri.startsWith('file:///') && run.originalUriBaseIds.SRCROOT.uri.endsWith('/'));
  const results = run.results.map((r) => {
    assert.ok(ids.has(r.ruleId));
    assert.equal(r.level, 'error');
    assert.ok(r.message.text.length > 0);
    assert.match(r.partialFingerprints.primaryLocationLineHash, /^[0-9a-f]{16}:\d+$/);
    const { artifactLocation, region } = r.locations[0].physicalLocation;
    assert.equal(artifactLocation.uriBaseId, 'SRCROOT');
    assert.ok(!artifactLocation.uri.startsWith('/') && !artifactLocation.uri.includes(':'), `${artifactLocation.uri} is relative`);
    assert.ok(region && region.endLine >= region.startLine && region.endColumn >= 1);
    return [artifactLocation.uri, region.startLine, region.startColumn, r.ruleId];
  });
  assert.deepEqual(results, EXPECTED);
  const [key] = run.results.filter((r) => r.ruleId === 'private-key');
  assert.deepEqual(key && [key.locations[0].physicalLocation.region?.endLine, key.locations[0].physicalLocation.region?.endColumn], [8, 26], 'a private key block spans its lines');
});

test('check --secrets: a clean folder exits 0; a single file can be named; a missing path or a bad combination is a usage error', async () => {
  const clean = folder({ 'config.yaml': FILES['config.yaml']!.replace(/^ {2}url: .*$/m, '  url: env://CRM_DATABASE_URL'), 'README.md': FILES['README.md']!, 'package-lock.json': FILES['package-lock.json']! });
  const ok = await runCli(clean, 'check', '--secrets', '.');
  assert.equal(ok.code, 0, ok.stdout);
  assert.match(ok.stdout, /^no secrets found \(3 files scanned\)$/m);

  const dir = folder(FILES);
  const one = await runCli(dir, 'check', '--secrets', 'k8s/secret.yaml');
  assert.equal(one.code, 1);
  assert.match(one.stdout, /^k8s\/secret\.yaml:8:13 {2}kubernetes-secret {2}/m, 'the path is shown as given, so it opens from here');

  for (const args of [
    ['--secrets', 'no-such-folder'],
    ['pipeline.yaml', '--secrets', '.'],
    ['--secrets', '.', '--lineage'],
    ['--secrets', '.', '--format', 'xml'],
    ['--format', 'sarif'],
  ]) {
    const out = await runCli(dir, 'check', ...args);
    assert.equal(out.code, 2, `${args.join(' ')}: ${out.stderr}`);
    assertNoStack(out.stderr);
  }
  assert.match((await runCli(dir, 'check', '--secrets', 'no-such-folder')).stderr, /SLUICE_USAGE.*no-such-folder does not exist/);
});

test('check --secrets: a link out of the folder is named, not passed silently', async () => {
  const dir = folder({ 'a.env': `AWS_ACCESS_KEY_ID=${AWS_KEY}\n` });
  const outside = folder({ 'b.env': `AWS_ACCESS_KEY_ID=${AWS_KEY}\n` });
  symlinkSync(join(outside, 'b.env'), join(dir, 'linked.env'));
  const out = await runCli(dir, 'check', '--secrets', '.');
  assert.equal(out.code, 1);
  assert.match(out.stdout, /^linked\.env: not scanned: a symbolic link leading out of the folder$/m);
  assert.match(out.stdout, /1 secret found in 1 file \(1 file scanned; skipped: 1 a symbolic link leading out of the folder\)/);
});

/** The finding lines of a text report, as `file:line rule` and the fingerprint each one ends with. */
function findingLines(stdout: string): { place: string; fingerprint: string }[] {
  return [...stdout.matchAll(/^(\S+):(\d+):\d+ {2}(\S+) {2}.* {2}\[fingerprint ([0-9a-f]{16}:\d+)\]$/gm)].map((m) => ({ place: `${m[1]}:${m[2]} ${m[3]}`, fingerprint: m[4]! }));
}

test('check --secrets: fingerprints copied from the text output, globs and sluice:allow accept findings; the summary counts them, and all accepted exits 0', async () => {
  const dir = folder({ ...FILES, 'config.yaml': FILES['config.yaml']!.replace(/^( {2}url: .*)$/m, '$1  # sluice:allow (the CI database, reset nightly)') });
  const first = await runCli(dir, 'check', '--secrets', '.');
  assert.equal(first.code, 1);
  assertNothingPlanted(first);
  const lines = findingLines(first.stdout);
  assert.deepEqual(lines.map((l) => l.place), ['.env:2 aws-access-key-id', '.env:6 jwt', 'k8s/secret.yaml:8 kubernetes-secret', 'keys/service.pem:1 private-key']);
  assert.match(first.stdout, /^4 secrets found in 3 files, 1 suppressed by sluice:allow \(8 files scanned\)$/m);

  const aws = lines[0]!.fingerprint;
  writeFileSync(join(dir, '.sluiceignore'), `# accepted after review\n${aws}  # a revoked key, kept for the incident report\nk8s/**\nkeys/\n`);
  const second = await runCli(dir, 'check', '--secrets', '.');
  assert.equal(second.code, 1, 'the JWT is still open');
  assertNothingPlanted(second);
  assert.deepEqual(findingLines(second.stdout).map((l) => l.place), ['.env:6 jwt']);
  assert.match(second.stdout, /^1 secret found in 1 file, 1 suppressed by \.sluiceignore, 1 by sluice:allow \(5 files scanned, 1 folder and 1 file excluded\)$/m);

  writeFileSync(join(dir, '.sluiceignore'), `${readFileSync(join(dir, '.sluiceignore'), 'utf8')}${lines[1]!.fingerprint}\n`);
  const clean = await runCli(dir, 'check', '--secrets', '.');
  assert.equal(clean.code, 0, clean.stdout);
  assertNothingPlanted(clean);
  assert.equal(clean.stdout, 'no secrets found, 2 suppressed by .sluiceignore, 1 by sluice:allow (5 files scanned, 1 folder and 1 file excluded)\n');

  const json = await runCli(dir, 'check', '--secrets', '.', '--format', 'json');
  assert.equal(json.code, 0);
  assertNothingPlanted(json);
  const report = JSON.parse(json.stdout) as { ignoreFile: string; findings: unknown[]; suppressed: { file: string; fingerprint: string; suppression: { kind: string; justification?: string } }[]; excluded: { file: string; folder: boolean; by: string }[]; stale: unknown[] };
  assert.equal(report.ignoreFile, '.sluiceignore');
  assert.deepEqual(report.findings, []);
  assert.deepEqual(report.suppressed.map((f) => [f.file, f.suppression.kind, f.suppression.justification]), [
    ['.env', 'external', 'a revoked key, kept for the incident report'],
    ['.env', 'external', undefined],
    ['config.yaml', 'inSource', undefined],
  ]);
  assert.equal(report.suppressed[0]!.fingerprint, aws);
  assert.deepEqual(report.excluded.map((e) => [e.file, e.folder, e.by]), [['k8s/secret.yaml', false, '.sluiceignore'], ['keys', true, '.sluiceignore']]);
  assert.deepEqual(report.stale, []);
});

test('check --secrets: SARIF marks accepted results with suppressions (inSource or external) and exits 0 when all are accepted', async () => {
  const dir = folder({ '.env': `AWS_ACCESS_KEY_ID=${AWS_KEY} # sluice:allow\n`, 'config.yaml': FILES['config.yaml']! });
  const [url] = findingLines((await runCli(dir, 'check', '--secrets', '.')).stdout);
  assert.ok(url);
  writeFileSync(join(dir, '.sluiceignore'), `${url.fingerprint}  # the CI database\n`);
  const out = await runCli(dir, 'check', '--secrets', '.', '--format', 'sarif');
  assert.equal(out.code, 0, out.stderr);
  assertNothingPlanted(out);
  const [run] = (JSON.parse(out.stdout) as SarifLog).runs;
  assert.deepEqual(
    run.results.map((r) => [r.locations[0].physicalLocation.artifactLocation.uri, r.ruleId, r.suppressions?.map((s) => [s.kind, s.status, s.justification, s.location.physicalLocation.artifactLocation.uri, s.location.physicalLocation.region?.startLine])]),
    [
      ['.env', 'aws-access-key-id', [['inSource', 'accepted', undefined, '.env', 1]]],
      ['config.yaml', 'url-password', [['external', 'accepted', 'the CI database', '.sluiceignore', 1]]],
    ],
  );
});

test('check --secrets: --ignore-file replaces .sluiceignore, --exclude is repeatable, and a stale entry is a note, not a failure', async () => {
  const dir = folder({ ...FILES, '.sluiceignore': 'this-file-is-not-read/**\n', 'ci/secrets.ignore': '# accepted\nold-fixtures/**\n0123456789abcdef:1  # fixed long ago\n' });
  const out = await runCli(dir, 'check', '--secrets', '.', '--ignore-file', 'ci/secrets.ignore', '--exclude', '.env', '--exclude', 'k8s', '--exclude', 'keys/**', '--exclude', 'config.yaml');
  assert.equal(out.code, 0, out.stdout);
  assertNothingPlanted(out);
  assert.equal(
    out.stdout,
    [
      "ci/secrets.ignore:2: note: stale entry 'old-fixtures/**': this glob matched no path; remove it",
      "ci/secrets.ignore:3: note: stale entry '0123456789abcdef:1': no finding has this fingerprint; remove it",
      'no secrets found (4 files scanned, 1 folder and 5 files excluded)',
      '',
    ].join('\n'),
  );
  const sarif = JSON.parse((await runCli(dir, 'check', '--secrets', '.', '--ignore-file', 'ci/secrets.ignore', '--format', 'sarif')).stdout) as SarifLog;
  const notes = sarif.runs[0].invocations[0].toolExecutionNotifications.filter((n) => n.message.text.includes('stale'));
  assert.deepEqual(notes.map((n) => [n.level, n.locations[0]?.physicalLocation.artifactLocation.uri, n.locations[0]?.physicalLocation.region]), [
    ['note', 'ci/secrets.ignore', { startLine: 2 }],
    ['note', 'ci/secrets.ignore', { startLine: 3 }],
  ]);
});

test('check --secrets: an unusable ignore file or glob, a missing --ignore-file, or the options without --secrets are usage errors', async () => {
  const dir = folder({ '.env': `AWS_ACCESS_KEY_ID=${AWS_KEY}\n`, '.sluiceignore': `ok/**\n!keep.env\nsrc/../x  # ${AWS_KEY}\n` });
  const bad = await runCli(dir, 'check', '--secrets', '.');
  assert.equal(bad.code, 2, bad.stdout);
  assertNoStack(bad.stderr);
  assertNothingPlanted(bad);
  assert.match(bad.stderr, /SLUICE_USAGE.*\.sluiceignore has 2 lines that cannot be used/);
  assert.match(bad.stderr, /^ {2}\.sluiceignore:2: '!keep\.env' cannot be used: negation/m);
  assert.match(bad.stderr, /^ {2}\.sluiceignore:3: 'src\/\.\.\/x' cannot be used: a `\.\.` segment/m);

  const clean = folder({ 'a.txt': 'nothing\n' });
  for (const args of [
    ['--secrets', '.', '--ignore-file', 'no-such.ignore'],
    ['--secrets', '.', '--exclude', '!a.txt'],
    ['--secrets', '.', '--exclude', '[z-a]'],
    ['--exclude', 'a.txt'],
    ['--ignore-file', 'a.txt'],
  ]) {
    const out = await runCli(clean, 'check', ...args);
    assert.equal(out.code, 2, `${args.join(' ')}: ${out.stderr}`);
    assertNoStack(out.stderr);
    assert.match(out.stderr, /SLUICE_USAGE/, args.join(' '));
  }
});

test('check SPEC: a credential written in the spec is an SLC301 error with its place; run refuses the spec', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-secret-spec-'));
  const spec = customersSpec('crm', 100).replace('pipeline: crm\n', `pipeline: crm\ndescription: nightly export from postgres://etl:${DB_PASSWORD}@crm-db:5432/crm\n`);
  writeFileSync(join(dir, 'pipeline.yaml'), spec);
  writeFileSync(join(dir, 'customers.jsonl'), '');

  const check = await runCli(dir, 'check');
  assert.equal(check.code, 1, check.stderr);
  assertNothingPlanted(check);
  const column = 'description: nightly export from postgres://etl:'.length + 1;
  assert.match(check.stdout, new RegExp(`^pipeline\\.yaml:2:${column} {2}error SLC301 literal-secret: Password in a URL written in clear text \\(url-password\\)$`, 'm'));
  assert.match(check.stdout, /fix: {2}replace it with a secret reference \(env:\/\/, file:\/\/, vault:\/\/, aws-sm:\/\/ or sluice:\/\/\)/);

  const json = await runCli(dir, 'check', '--json');
  assert.equal(json.code, 1);
  assertNothingPlanted(json);
  const findings = (JSON.parse(json.stdout) as { findings: { rule: string; severity: string; location: { file: string; line: number; column: number } }[] }).findings;
  assert.deepEqual(findings.map((f) => [f.rule, f.severity, f.location]), [['SLC301', 'error', { file: 'pipeline.yaml', line: 2, column }]]);

  const run = await runCli(dir, 'run', '--progress', 'none');
  assert.equal(run.code, 1);
  assertNothingPlanted(run);
  assert.match(run.stderr, /SLC301/);
  assert.match(run.stderr, /SLUICE_PLAN_REJECTED/);
  assert.ok(!existsSync(join(dir, 'out')), 'nothing was written');
});

test('check SPEC: references in a spec are not findings, and a credential in a spec that is also invalid is listed with its problems', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-secret-spec-'));
  const clean = customersSpec('crm', 100).replace('pipeline: crm\n', 'pipeline: crm\n# the CRM token comes from vault://secret/crm#token, the export password from env://CRM_PASSWORD\n');
  writeFileSync(join(dir, 'pipeline.yaml'), clean);
  const ok = await runCli(dir, 'check');
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);

  writeFileSync(join(dir, 'broken.yaml'), `${clean}unknown_key: 1\n# AWS_ACCESS_KEY_ID=${AWS_KEY}\n`);
  const broken = await runCli(dir, 'check', 'broken.yaml');
  assert.equal(broken.code, 2);
  assertNothingPlanted(broken);
  assert.match(broken.stderr, /SLUICE_SPEC_INVALID/);
  assert.match(broken.stderr, /broken\.yaml:22:21 {2}error SLC301 literal-secret: AWS access key ID written in clear text/);
});
