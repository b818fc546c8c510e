// Key operations end to end on the quickstart's data: rotate, rewrap (payload untouched), destroy (refused
// while objects depend on a version, unless forced), and what a destroyed version means for readers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './support/cli-harness.ts';
import { parseHeader } from '../src/crypto/envelope/object-format.ts';
import Database from 'better-sqlite3';
import { createSoftHsmToken, softHsmMissing, SOFTHSM_LIBRARY } from './support/softhsm.ts';
import { selfSignedCertificate } from './support/tls-fixture.ts';
import { startVaultTransitDouble } from './support/vault-transit-double.ts';
import { KMS_KEY_ARN, startKmsDouble } from './support/aws-kms-double.ts';

function objectFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.sluice')) found.push(path);
    }
  };
  walk(join(dir, 'out'));
  walk(join(dir, '.sluice', 'quarantine'));
  return found.sort();
}

const versionOf = (file: string) => parseHeader(readFileSync(file), file, true)?.keyVersion;

test('rotate, rewrap and destroy on the quickstart: objects follow the primary version, payloads are untouched', async () => {
  const parent = mkdtempSync(join(tmpdir(), 'sluice-keys-'));
  assert.equal((await runCli(parent, 'init', 'demo', '--source', 'file')).code, 0);
  const dir = join(parent, 'demo');
  assert.equal((await runCli(dir, 'run', '--progress', 'none')).code, 0);
  const files = objectFiles(dir);
  assert.equal(files.length, 3, 'two sink objects and one quarantine object');
  assert.ok(files.every((f) => versionOf(f) === 1));
  const before = new Map(files.map((f) => [f, readFileSync(f)]));
  const catBefore = (await runCli(dir, 'cat', 'out')).stdout;

  const rotated = await runCli(dir, 'keys', 'rotate', 'default');
  assert.equal(rotated.code, 0, rotated.stderr);
  assert.match(rotated.stdout, /version 2 is now primary/);

  // Version 1 still seals three objects: destroying it is refused, naming them and the fix.
  const refused = await runCli(dir, 'keys', 'destroy', 'default', '1');
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /SLUICE_KEY_IN_USE: key 'default' version 1 still seals 3 object\(s\); run 'sluice keys rewrap default' first/);
  assert.match(refused.stderr, /part-000001\.jsonl\.sluice/);

  const rewrap = await runCli(dir, 'keys', 'rewrap');
  assert.equal(rewrap.code, 0, rewrap.stderr);
  assert.match(rewrap.stdout, /rewrapped 3 object\(s\); 0 already/);
  for (const file of files) {
    assert.equal(versionOf(file), 2, `${file} is under version 2`);
    const old = before.get(file) as Buffer;
    const oldHeader = parseHeader(old, file, true);
    const newBytes = readFileSync(file);
    const newHeader = parseHeader(newBytes, file, true);
    assert.ok(oldHeader && newHeader);
    assert.ok(old.subarray(oldHeader.payloadOffset).equals(newBytes.subarray(newHeader.payloadOffset)), 'the payload was not re-encrypted');
  }
  assert.equal((await runCli(dir, 'cat', 'out')).stdout, catBefore, 'the records read back unchanged');
  assert.match((await runCli(dir, 'keys', 'rewrap', 'default')).stdout, /rewrapped 0 object\(s\); 3 already/);

  // Right after a rotation, running processes may still seal with the old version: destroy waits a minute.
  const tooSoon = await runCli(dir, 'keys', 'destroy', 'default', '1');
  assert.equal(tooSoon.code, 1);
  assert.match(tooSoon.stderr, /stopped being primary less than a minute ago/);
  const db = new Database(join(dir, '.sluice', 'state.db'));
  db.prepare("UPDATE key_versions SET created_at = '2026-01-01T00:00:00.000Z' WHERE key_id = 'default' AND version = 2").run();
  db.close();
  const destroyed = await runCli(dir, 'keys', 'destroy', 'default', '1');
  assert.equal(destroyed.code, 0, destroyed.stderr);
  assert.equal((await runCli(dir, 'cat', 'out')).code, 0, 'nothing depended on version 1 any more');
  const listed = JSON.parse((await runCli(dir, 'keys', 'list', '--json')).stdout) as { key: string; version: number; state: string }[];
  assert.deepEqual(listed.filter((v) => v.key === 'default').map((v) => [v.version, v.state]), [[1, 'destroyed'], [2, 'primary']]);

  const primary = await runCli(dir, 'keys', 'destroy', 'default', '2');
  assert.equal(primary.code, 2);
  assert.match(primary.stderr, /primary version; rotate the key first/);

  // Forced destruction of a version objects depend on makes exactly those objects unreadable.
  assert.equal((await runCli(dir, 'keys', 'rotate', 'default')).code, 0);
  const forced = await runCli(dir, 'keys', 'destroy', 'default', '2', '--force');
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, /3 object\(s\) sealed under it can no longer be read/);
  const unreadable = await runCli(dir, 'cat', 'out');
  assert.equal(unreadable.code, 1);
  assert.match(unreadable.stderr, /SLUICE_KEY_DESTROYED: key 'default' version 2 was destroyed/);
});

test('keys: a missing root key is a clear error, and keys init refuses to replace an existing one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-keys-'));
  const none = await runCli(dir, 'keys', 'list');
  assert.equal(none.code, 1);
  assert.match(none.stderr, /SLUICE_KEY_PROVIDER: no root key: set SLUICE_MASTER_KEY, or create .* with 'sluice keys init'/);
  assert.equal((await runCli(dir, 'keys', 'init')).code, 0);
  const again = await runCli(dir, 'keys', 'init');
  assert.equal(again.code, 1);
  assert.match(again.stderr, /a root key is never replaced/);
});

test('with keys.provider pkcs11, the quickstart runs on a SoftHSM2 token: keys init, run, cat, rotate, rewrap', { skip: softHsmMissing() }, async () => {
  createSoftHsmToken('sluice-cli', '4321');
  process.env.SLUICE_PKCS11_PIN = '4321';
  try {
    const parent = mkdtempSync(join(tmpdir(), 'sluice-keys-hsm-'));
    assert.equal((await runCli(parent, 'init', 'demo', '--source', 'file')).code, 0);
    const dir = join(parent, 'demo');
    rmSync(join(dir, '.sluice', 'master.key'));
    writeFileSync(join(dir, 'sluice.settings.yaml'), `stateDir: .sluice\nkeys:\n  provider: pkcs11\n  pkcs11: { library: ${SOFTHSM_LIBRARY}, token: sluice-cli }\n`);
    const init = await runCli(dir, 'keys', 'init');
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /in the PKCS#11 token 'sluice-cli' \(sensitive, never extractable\)/);
    const run = await runCli(dir, 'run', '--progress', 'none');
    assert.equal(run.code, 0, run.stderr);
    assert.ok(!existsSync(join(dir, '.sluice', 'master.key')), 'no local root key was created');
    assert.equal((await runCli(dir, 'cat', 'out/analytics')).stdout.trim().split('\n').length, 998);
    const listed = JSON.parse((await runCli(dir, 'keys', 'list', '--json')).stdout) as { key: string; provider: string }[];
    assert.deepEqual(listed.map((v) => [v.key, v.provider]), [['audit', 'pkcs11'], ['default', 'pkcs11']], 'the default key and the audit signing key, both under the token');
    assert.equal((await runCli(dir, 'keys', 'rotate', 'default')).code, 0);
    assert.match((await runCli(dir, 'keys', 'rewrap')).stdout, /rewrapped 3 object\(s\)/);
    assert.equal((await runCli(dir, 'cat', 'out/support')).code, 0);
    delete process.env.SLUICE_PKCS11_PIN;
    const noPin = await runCli(dir, 'cat', 'out/support');
    assert.equal(noPin.code, 1);
    assert.match(noPin.stderr, /SLUICE_SECRET_NOT_FOUND: env:\/\/SLUICE_PKCS11_PIN: the environment variable SLUICE_PKCS11_PIN is not set/);
  } finally {
    delete process.env.SLUICE_PKCS11_PIN;
  }
});

test('tokenize in the quickstart: emails become tokens that still join, and sluice detokenize reverses one', async () => {
  const parent = mkdtempSync(join(tmpdir(), 'sluice-tokens-'));
  assert.equal((await runCli(parent, 'init', 'demo', '--source', 'file')).code, 0);
  const dir = join(parent, 'demo');
  const spec = readFileSync(join(dir, 'pipeline.yaml'), 'utf8');
  writeFileSync(join(dir, 'pipeline.yaml'), spec.replace('- mask: { fields: [email] }', '- tokenize: { fields: [email] }'));
  const run = await runCli(dir, 'run', '--progress', 'none');
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /tokenized:email 998/);
  const first = JSON.parse((await runCli(dir, 'cat', 'out/support')).stdout.split('\n')[0] ?? '{}') as { customer_id: string; email: string };
  assert.match(first.email, /^tok_1_/);
  const original = readFileSync(join(dir, 'data', 'customers.jsonl'), 'utf8').split('\n').map((l) => (l ? (JSON.parse(l) as { customer_id: string; email: string }) : undefined)).find((r) => r?.customer_id === first.customer_id);
  const back = await runCli(dir, 'detokenize', first.email);
  assert.equal(back.code, 0, back.stderr);
  assert.equal(back.stdout.trim(), original?.email);
  const wrong = await runCli(dir, 'detokenize', '--domain', 'elsewhere', first.email);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /SLUICE_TOKEN_INVALID/);
  assert.ok(!wrong.stderr.includes(original?.email ?? '@'), 'the error does not reveal the value');
});

test('with keys.provider vault-transit (against a TEST DOUBLE of Vault Transit), the quickstart runs and reads back', async () => {
  const tls = selfSignedCertificate();
  const vault = await startVaultTransitDouble(tls, 'hvs.cli-double-token');
  process.env.VAULT_TOKEN = 'hvs.cli-double-token';
  try {
    const parent = mkdtempSync(join(tmpdir(), 'sluice-keys-vault-'));
    assert.equal((await runCli(parent, 'init', 'demo', '--source', 'file')).code, 0);
    const dir = join(parent, 'demo');
    rmSync(join(dir, '.sluice', 'master.key'));
    writeFileSync(join(dir, 'vault-ca.pem'), tls.cert);
    writeFileSync(join(dir, 'sluice.settings.yaml'), `stateDir: .sluice\nkeys:\n  provider: vault-transit\n  vault: { address: '${vault.address}', caFile: vault-ca.pem }\n`);
    assert.match((await runCli(dir, 'keys', 'init')).stdout, /Transit key 'sluice'/);
    const run = await runCli(dir, 'run', '--progress', 'none');
    assert.equal(run.code, 0, run.stderr);
    assert.ok(!existsSync(join(dir, '.sluice', 'master.key')));
    assert.equal((await runCli(dir, 'cat', 'out/analytics')).stdout.trim().split('\n').length, 998);
    process.env.VAULT_TOKEN = 'hvs.revoked';
    const refused = await runCli(dir, 'cat', 'out/analytics');
    assert.equal(refused.code, 1);
    assert.ok(!refused.stderr.includes('hvs.'), 'no token in the error');
  } finally {
    delete process.env.VAULT_TOKEN;
    await vault.close();
  }
});

test('with keys.provider aws-kms (against a TEST DOUBLE of AWS KMS), the quickstart runs and reads back', async () => {
  const tls = selfSignedCertificate();
  process.env.AWS_ACCESS_KEY_ID = 'AKIACLIDOUBLE0000001';
  process.env.AWS_SECRET_ACCESS_KEY = 'cli-double-secret';
  const kms = await startKmsDouble(tls, 'AKIACLIDOUBLE0000001');
  try {
    const parent = mkdtempSync(join(tmpdir(), 'sluice-keys-kms-'));
    assert.equal((await runCli(parent, 'init', 'demo', '--source', 'file')).code, 0);
    const dir = join(parent, 'demo');
    rmSync(join(dir, '.sluice', 'master.key'));
    writeFileSync(join(dir, 'kms-ca.pem'), tls.cert);
    writeFileSync(join(dir, 'sluice.settings.yaml'), `stateDir: .sluice\nkeys:\n  provider: aws-kms\n  awsKms: { keyId: '${KMS_KEY_ARN}', region: eu-west-1, endpoint: '${kms.endpoint}', caFile: kms-ca.pem }\n`);
    const run = await runCli(dir, 'run', '--progress', 'none');
    assert.equal(run.code, 0, run.stderr);
    assert.equal((await runCli(dir, 'cat', 'out/support')).stdout.trim().split('\n').length, 998);
    assert.ok(kms.targets.filter((t) => t === 'TrentService.Encrypt').length >= 1);
  } finally {
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    await kms.close();
  }
});

test('cat --out writes a file only when every object verified: a tampered object leaves no file and no temp file', async () => {
  const parent = mkdtempSync(join(tmpdir(), 'sluice-cat-out-'));
  assert.equal((await runCli(parent, 'init', 'demo', '--source', 'file')).code, 0);
  const dir = join(parent, 'demo');
  assert.equal((await runCli(dir, 'run', '--progress', 'none')).code, 0);
  const ok = await runCli(dir, 'cat', 'out/analytics', '--out', 'analytics.jsonl');
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(readFileSync(join(dir, 'analytics.jsonl'), 'utf8').trim().split('\n').length, 998);
  const [object] = objectFiles(dir).filter((f) => f.includes('/support/'));
  assert.ok(object);
  const bytes = readFileSync(object);
  bytes[bytes.length - 5] = (bytes[bytes.length - 5] ?? 0) ^ 1;
  writeFileSync(object, bytes);
  const bad = await runCli(dir, 'cat', 'out/support', '--out', 'support.jsonl');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /SLUICE_DECRYPT_FAILED/);
  assert.ok(!existsSync(join(dir, 'support.jsonl')));
  assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.support.jsonl')), [], 'no temp file with partial plaintext');
});

test('cat refuses an object copied into another run or batch: its authenticated context says where it belongs', async () => {
  const parent = mkdtempSync(join(tmpdir(), 'sluice-moved-'));
  assert.equal((await runCli(parent, 'init', 'demo', '--source', 'file')).code, 0);
  const dir = join(parent, 'demo');
  assert.equal((await runCli(dir, 'run', '--progress', 'none')).code, 0);
  const [object] = objectFiles(dir).filter((f) => f.includes('/analytics/'));
  assert.ok(object);
  const moved = object.replace('part-000001', 'part-000002');
  writeFileSync(moved, readFileSync(object));
  const refused = await runCli(dir, 'cat', moved);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /SLUICE_OBJECT_MALFORMED: .* was written as sink 'analytics' batch 1 .* it was moved or copied/);
  assert.equal((await runCli(dir, 'cat', object)).code, 0, 'the object in its own place still reads');
});
