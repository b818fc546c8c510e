// `sluice secrets` end to end on a real state folder: values go in through stdin, a file, the environment or
// the generator (never arguments), come out only through `get`, are audited, follow key rotation, and are
// reported by `check` when older than their max age.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { assertNoStack, runCli } from './support/cli-harness.ts';

const PLANTED = 'planted-cli-secret-8c2f7a';

function folder(): string {
  return mkdtempSync(join(tmpdir(), 'sluice-secrets-'));
}

test('secrets set (stdin), get, list, rotate (file), rm: values only come out of get, and every act is audited', async () => {
  const dir = folder();
  try {
    const set = await runCli({ cwd: dir, stdin: `${PLANTED}\n` }, 'secrets', 'set', 'crm/api-token', '--max-age', '90d');
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /sluice:\/\/crm\/api-token/);
    const got = await runCli(dir, 'secrets', 'get', 'crm/api-token');
    assert.equal(got.code, 0, got.stderr);
    assert.equal(got.stdout, PLANTED);
    writeFileSync(join(dir, 'new-value'), `${PLANTED}-rotated\n`, { mode: 0o600 });
    assert.equal((await runCli(dir, 'secrets', 'rotate', 'crm/api-token', '--from-file', 'new-value')).code, 0);
    assert.equal((await runCli(dir, 'secrets', 'get', 'crm/api-token')).stdout, `${PLANTED}-rotated`);
    const listed = await runCli(dir, 'secrets', 'list');
    assert.match(listed.stdout, /crm\/api-token {2}v2 .* max age 90d/);
    const json = JSON.parse((await runCli(dir, 'secrets', 'list', '--json')).stdout) as { name: string; version: number }[];
    assert.deepEqual(json.map((s) => [s.name, s.version]), [['crm/api-token', 2]]);
    assert.ok(!listed.stdout.includes(PLANTED));
    assert.equal((await runCli(dir, 'secrets', 'rm', 'crm/api-token')).code, 0);
    const gone = await runCli(dir, 'secrets', 'get', 'crm/api-token');
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /SLUICE_SECRET_NOT_FOUND/);
    assertNoStack(gone.stderr);
    const db = new Database(join(dir, '.sluice', 'state.db'), { readonly: true });
    const events = db.prepare('SELECT action, event FROM audit_events ORDER BY seq').all() as { action: string; event: string }[];
    db.close();
    assert.deepEqual(events.map((e) => e.action), ['secret.create', 'secret.read', 'secret.rotate', 'secret.read', 'secret.delete', 'secret.read']);
    assert.ok(events.every((e) => !e.event.includes(PLANTED)));
    for (const file of readdirSync(join(dir, '.sluice'))) {
      if (file.startsWith('state.db')) assert.ok(!readFileSync(join(dir, '.sluice', file)).includes(PLANTED), file);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('secrets set: --generate makes a random value; --from-env reads one; two sources or a bad name are usage errors', async () => {
  const dir = folder();
  try {
    assert.equal((await runCli(dir, 'secrets', 'set', 'gen/one', '--generate')).code, 0);
    assert.match((await runCli(dir, 'secrets', 'get', 'gen/one')).stdout, /^[A-Za-z0-9_-]{43}$/);
    process.env.SLUICE_TEST_SECRET_VALUE = PLANTED;
    try {
      assert.equal((await runCli(dir, 'secrets', 'set', 'env/one', '--from-env', 'SLUICE_TEST_SECRET_VALUE')).code, 0);
    } finally {
      delete process.env.SLUICE_TEST_SECRET_VALUE;
    }
    assert.equal((await runCli(dir, 'secrets', 'get', 'env/one')).stdout, PLANTED);
    const both = await runCli(dir, 'secrets', 'set', 'x/y', '--generate', '--from-env', 'HOME');
    assert.equal(both.code, 2);
    assert.match(both.stderr, /at most one/);
    const bad = await runCli({ cwd: dir, stdin: 'value-value' }, 'secrets', 'set', 'Bad Name');
    assert.equal(bad.code, 2);
    assertNoStack(bad.stderr);
    const exists = await runCli({ cwd: dir, stdin: 'value-value' }, 'secrets', 'set', 'gen/one');
    assert.equal(exists.code, 2);
    assert.match(exists.stderr, /rotate/);
    const empty = await runCli({ cwd: dir, stdin: '' }, 'secrets', 'set', 'x/empty');
    assert.equal(empty.code, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('secrets check reports a secret past its max age (exit 1) and the fix', async () => {
  const dir = folder();
  try {
    assert.equal((await runCli({ cwd: dir, stdin: PLANTED }, 'secrets', 'set', 'old/token', '--max-age', '30d')).code, 0);
    assert.equal((await runCli(dir, 'secrets', 'check')).code, 0);
    const db = new Database(join(dir, '.sluice', 'state.db'));
    db.prepare("UPDATE secrets SET rotated_at = '2020-01-01T00:00:00.000Z'").run();
    db.close();
    const check = await runCli(dir, 'secrets', 'check');
    assert.equal(check.code, 1);
    assert.match(check.stdout, /old\/token .*OVERDUE[\s\S]*fix: sluice secrets rotate old\/token/);
    // sluice check on a spec in the same folder reports it too, as a warning (the spec itself is fine).
    assert.equal((await runCli(dir, 'init', 'demo', '--source', 'file')).code, 0);
    const specCheck = await runCli(dir, 'check', 'demo/pipeline.yaml');
    assert.equal(specCheck.code, 0, specCheck.stdout);
    assert.match(specCheck.stdout, /SLC202[\s\S]*old\/token/);
    const badAge = await runCli({ cwd: dir, stdin: PLANTED }, 'secrets', 'set', 'x/y', '--max-age', '12h');
    assert.equal(badAge.code, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('keys rotate secrets + rewrap reseals stored secrets; destroy of the old version is refused until then', async () => {
  const dir = folder();
  try {
    assert.equal((await runCli({ cwd: dir, stdin: PLANTED }, 'secrets', 'set', 'a/token')).code, 0);
    assert.equal((await runCli(dir, 'keys', 'rotate', 'secrets')).code, 0);
    const refused = await runCli(dir, 'keys', 'destroy', 'secrets', '1');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /1 stored secret/);
    const rewrap = await runCli(dir, 'keys', 'rewrap', 'secrets');
    assert.match(rewrap.stdout, /1 stored secret\(s\) resealed/);
    assert.equal((await runCli(dir, 'secrets', 'get', 'a/token')).stdout, PLANTED);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
