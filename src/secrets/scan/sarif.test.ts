// The SARIF log of a secret scan: every property GitHub code scanning marks required is present and non-empty,
// locations are relative to SRCROOT with the right region, rules and results agree, skipped files are told,
// the log is deterministic and holds no secret; accepted findings carry their SARIF suppressions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { scanFiles } from './scan-files.ts';
import type { FolderScan } from './scan-files.ts';
import { relativeUri, secretScanSarif, SARIF_SCHEMA, SRCROOT } from './sarif.ts';
import { SECRET_RULES } from './rule-catalogue.ts';
import { parseIgnoreFile } from './ignore-file.ts';
import { ALNUM, BASE32, fakeGenerator } from './fake-tokens.ts';

const fake = fakeGenerator(31337);
const key = 'AKIA' + fake(BASE32, 12) + '3' + fake(BASE32, 3);
const password = fake(ALNUM, 12) + '9z';

async function scanned(): Promise<FolderScan> {
  const root = mkdtempSync(join(tmpdir(), 'sluice-sarif-'));
  mkdirSync(join(root, 'conf dir'));
  writeFileSync(join(root, 'conf dir', 'db #1.yaml'), `db:\n  url: postgres://app:${password}@db:5432/app\n`);
  writeFileSync(join(root, '.env'), `\nAWS_ACCESS_KEY_ID=${key}\n`);
  writeFileSync(join(root, 'big.csv'), 'x'.repeat(2048));
  writeFileSync(join(root, 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0]));
  return scanFiles(root, { maxFileBytes: 1024 });
}

/** Asserts `value` is a non-empty string (GitHub: "the empty string is not supported for required properties"). */
function text(value: unknown, what: string): void {
  assert.ok(typeof value === 'string' && value.length > 0, `${what} is a non-empty string`);
}

test('sarif: the log has every property code scanning requires', async () => {
  const scan = await scanned();
  const log = secretScanSarif(scan, { version: '1.2.3' });
  assert.equal(log.$schema, SARIF_SCHEMA);
  assert.equal(log.version, '2.1.0');
  assert.equal(log.runs.length, 1);
  const [run] = log.runs;
  const { driver } = run.tool;
  assert.equal(driver.name, 'sluice');
  assert.equal(driver.semanticVersion, '1.2.3');
  text(driver.informationUri, 'informationUri');
  assert.equal(driver.rules.length, SECRET_RULES.length);
  assert.equal(new Set(driver.rules.map((r) => r.id)).size, driver.rules.length, 'rule ids are unique');
  for (const rule of driver.rules) {
    text(rule.id, 'rule id');
    text(rule.shortDescription.text, `${rule.id} shortDescription`);
    text(rule.fullDescription.text, `${rule.id} fullDescription`);
    text(rule.help.text, `${rule.id} help`);
    assert.ok(rule.shortDescription.text.length <= 1024 && rule.fullDescription.text.length <= 1024);
    assert.equal(rule.defaultConfiguration.level, 'error');
  }
  assert.equal(run.results.length, 2);
  for (const result of run.results) {
    text(result.ruleId, 'ruleId');
    assert.equal(driver.rules[result.ruleIndex]?.id, result.ruleId, 'ruleIndex points at the rule');
    assert.equal(result.level, 'error');
    text(result.message.text, 'message');
    assert.equal(result.locations.length, 1);
    const { artifactLocation, region } = result.locations[0].physicalLocation;
    text(artifactLocation.uri, 'uri');
    assert.equal(artifactLocation.uriBaseId, SRCROOT);
    assert.ok(region !== undefined);
    for (const n of [region.startLine, region.startColumn, region.endLine, region.endColumn]) assert.ok(Number.isInteger(n) && n >= 1);
    assert.match(result.partialFingerprints.primaryLocationLineHash, /^[0-9a-f]{16}:\d+$/);
  }
  const base = run.originalUriBaseIds[SRCROOT];
  assert.equal(base?.uri, pathToFileURL(scan.root).href + '/', 'SRCROOT is the scanned folder, absolute, ending in /');
  assert.equal(run.columnKind, 'utf16CodeUnits');
});

test('sarif: results point at the file relative to the folder and at the secret', async () => {
  const log = secretScanSarif(await scanned());
  const places = log.runs[0].results.map((r) => {
    const { artifactLocation, region } = r.locations[0].physicalLocation;
    return [r.ruleId, artifactLocation.uri, region?.startLine, region?.startColumn, region?.endLine, region?.endColumn];
  });
  const urlColumn = '  url: postgres://app:'.length + 1;
  assert.deepEqual(places, [
    ['aws-access-key-id', '.env', 2, 19, 2, 19 + key.length],
    ['url-password', 'conf%20dir/db%20%231.yaml', 2, urlColumn, 2, urlColumn + password.length],
  ]);
  assert.match(log.runs[0].results[1]!.message.text, /Password in a URL.*Fix: replace it with a secret reference/);
});

test('sarif: skipped files are told as notifications, binary ones as notes', async () => {
  const [invocation] = secretScanSarif(await scanned()).runs[0].invocations;
  assert.equal(invocation.executionSuccessful, true);
  assert.deepEqual(
    invocation.toolExecutionNotifications.map((n) => [n.level, n.locations[0]?.physicalLocation.artifactLocation.uri]),
    [['warning', 'big.csv'], ['note', 'logo.png']],
  );
});

test('sarif: deterministic, and free of the secrets it reports', async () => {
  const scan = await scanned();
  const json = JSON.stringify(secretScanSarif(scan));
  assert.equal(JSON.stringify(secretScanSarif(scan)), json);
  for (const secret of [key, password, key.slice(4, 12), password.slice(0, 8)]) assert.ok(!json.includes(secret), 'no secret or piece of one');
});

test('sarif: relative URIs encode each path segment and keep the slashes', () => {
  assert.equal(relativeUri('a/b c/d#e%f.env'), 'a/b%20c/d%23e%25f.env');
  assert.equal(relativeUri('.env'), '.env');
});

test('sarif: accepted findings are results with their suppression, where it is written and why; stale entries are notes', async () => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-sarif-'));
  const other = 'AKIA' + fake(BASE32, 12) + '7' + fake(BASE32, 3);
  writeFileSync(join(root, 'a.env'), `AWS_ACCESS_KEY_ID=${key} # sluice:allow\n# sluice:allow-next-line\nAWS_ACCESS_KEY_ID=${other}\n`);
  writeFileSync(join(root, 'b.env'), `\nAWS_ACCESS_KEY_ID=${other}\nDB=postgres://app:${password}@db/app\n`);
  const [open] = (await scanFiles(join(root, 'b.env'))).findings;
  assert.ok(open);
  const ignoreText = `# reviewed\n${open.fingerprint}  # the CI key, revoked\nold/**\n`;
  writeFileSync(join(root, '.sluiceignore'), ignoreText);
  const scan = await scanFiles(root, { ignore: parseIgnoreFile(ignoreText, '.sluiceignore', join(root, '.sluiceignore')) });
  const { results, invocations } = secretScanSarif(scan).runs[0];
  const summary = results.map((r) => [r.locations[0].physicalLocation.artifactLocation.uri, r.locations[0].physicalLocation.region?.startLine, r.ruleId, r.suppressions]);
  assert.deepEqual(summary, [
    ['a.env', 1, 'aws-access-key-id', [{ kind: 'inSource', status: 'accepted', location: { physicalLocation: { artifactLocation: { uri: 'a.env', uriBaseId: SRCROOT }, region: { startLine: 1 } } } }]],
    ['a.env', 3, 'aws-access-key-id', [{ kind: 'inSource', status: 'accepted', location: { physicalLocation: { artifactLocation: { uri: 'a.env', uriBaseId: SRCROOT }, region: { startLine: 2 } } } }]],
    ['b.env', 2, 'aws-access-key-id', [{ kind: 'external', status: 'accepted', justification: 'the CI key, revoked', location: { physicalLocation: { artifactLocation: { uri: '.sluiceignore', uriBaseId: SRCROOT }, region: { startLine: 2 } } } }]],
    ['b.env', 3, 'url-password', undefined],
  ]);
  assert.ok(!('suppressions' in results[3]!), 'a result not accepted has no suppressions property at all');
  const stale = invocations[0].toolExecutionNotifications.filter((n) => /stale/.test(n.message.text));
  assert.deepEqual(stale.map((n) => [n.level, n.locations[0]?.physicalLocation.artifactLocation.uri, n.locations[0]?.physicalLocation.region]), [['note', '.sluiceignore', { startLine: 3 }]]);
  assert.match(stale[0]!.message.text, /'old\/\*\*'.*matched no path/);
  const json = JSON.stringify(secretScanSarif(scan));
  for (const secret of [key, other, password]) assert.ok(!json.includes(secret));
});

test('sarif: an ignore file outside the scanned folder is named by its absolute URI', async () => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-sarif-'));
  const elsewhere = join(mkdtempSync(join(tmpdir(), 'sluice-sarif-ignore-')), 'secrets.ignore');
  writeFileSync(join(root, '.env'), `AWS_ACCESS_KEY_ID=${key}\n`);
  const [finding] = (await scanFiles(root)).findings;
  const scan = await scanFiles(root, { ignore: parseIgnoreFile(finding!.fingerprint, 'secrets.ignore', elsewhere) });
  const [result] = secretScanSarif(scan).runs[0].results;
  assert.deepEqual(result?.suppressions?.[0]?.location.physicalLocation.artifactLocation, { uri: pathToFileURL(elsewhere).href });
});
