// `sluice audit` end to end on the quickstart: runs, key operations, secret reads, detokenizations and erasures
// are recorded; the log verifies; an exported checkpoint and a proof check offline with only the public key
// (tools/audit-verify.mjs); tampering with the database is named by sequence number; bad queries are usage errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { assertNoStack, runCli } from './support/cli-harness.ts';
import { SqliteStateStore } from '../src/store/sqlite/sqlite-state-store.ts';
import { AuditLog } from '../src/audit/audit-log.ts';

const PLANTED = 'planted-audit-secret-6f3e9a1c';
const VERIFIER = join(import.meta.dirname, '..', 'tools', 'audit-verify.mjs');

test('audit: acts are recorded, the log verifies, proofs check offline, tampering is named by sequence number', async () => {
  const parent = mkdtempSync(join(tmpdir(), 'sluice-audit-cli-'));
  try {
    assert.equal((await runCli(parent, 'init', 'demo', '--source', 'file')).code, 0);
    const dir = join(parent, 'demo');
    assert.equal((await runCli(dir, 'run', '--progress', 'none')).code, 0);
    assert.equal((await runCli({ cwd: dir, stdin: PLANTED }, 'secrets', 'set', 'crm/token')).code, 0);
    assert.equal((await runCli(dir, 'secrets', 'get', 'crm/token')).stdout, PLANTED);
    assert.equal((await runCli(dir, 'keys', 'rotate', 'default')).code, 0);
    assert.equal((await runCli(dir, 'cat', 'out')).code, 0);

    const query = await runCli(dir, 'audit', 'query');
    assert.equal(query.code, 0, query.stderr);
    const events = query.stdout.trim().split('\n').map((line) => JSON.parse(line) as { seq: number; action: string; outcome: string; actor: { principal: string } });
    assert.deepEqual(
      events.map((e) => e.action),
      ['config.change', 'run.start', 'run.finish', 'secret.create', 'secret.read', 'key.rotate', 'data.read'],
    );
    assert.ok(events.every((e, i) => e.seq === i + 1 && e.actor.principal.startsWith('os:')));
    assert.ok(!query.stdout.includes(PLANTED), 'no secret value in the audit log');
    assert.equal((JSON.parse((await runCli(dir, 'audit', 'query', '--action', 'secret.read')).stdout) as { action: string }).action, 'secret.read');

    const verified = await runCli(dir, 'audit', 'verify');
    assert.equal(verified.code, 0, verified.stdout);
    assert.match(verified.stdout, /audit log ok: 7 events, \d+ checkpoint\(s\) matched/);

    const exported = await runCli(dir, 'audit', 'checkpoint', '--export', 'trusted.checkpoint');
    assert.equal(exported.code, 0, exported.stderr);
    const publicKey = await runCli(dir, 'audit', 'public-key');
    writeFileSync(join(dir, 'audit.pub'), publicKey.stdout);
    assert.match(publicKey.stdout, /BEGIN PUBLIC KEY/);
    const size = Number(readFileSync(join(dir, 'trusted.checkpoint'), 'utf8').split('\n')[1]);
    assert.ok(size >= 8, 'the verify event is in the log too');

    const proof = await runCli(dir, 'audit', 'prove', '5', '--size', String(size));
    assert.equal(proof.code, 0, proof.stderr);
    writeFileSync(join(dir, 'proof.json'), proof.stdout);
    const offline = spawnSync(process.execPath, [VERIFIER, '--key', 'audit.pub', '--checkpoint', 'trusted.checkpoint', 'proof.json'], { cwd: dir, encoding: 'utf8' });
    assert.equal(offline.status, 0, offline.stderr + offline.stdout);
    const consistency = await runCli(dir, 'audit', 'prove', '--consistency', '3', '--size', String(size));
    assert.equal(consistency.code, 0, consistency.stderr);
    assert.match(consistency.stdout, /sluice-audit-consistency-proof\/v1/);

    // The attack: someone with the database file drops the triggers and rewrites event 5 (the secret read).
    const db = new Database(join(dir, '.sluice', 'state.db'));
    db.exec('DROP TRIGGER audit_events_no_update');
    db.prepare("UPDATE audit_events SET event = replace(event, '\"outcome\":\"success\"', '\"outcome\":\"denied\"') WHERE seq = 5").run();
    db.close();
    const tampered = await runCli(dir, 'audit', 'verify', '--checkpoint', 'trusted.checkpoint');
    assert.equal(tampered.code, 1);
    assert.match(tampered.stdout, /first bad event 5/);
    assertNoStack(tampered.stderr);
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});

test('audit query: a malformed or reversed time range, an unknown action and a bad limit are usage errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-audit-query-'));
  try {
    for (const args of [['--from', 'yesterday'], ['--from', '2026-12-01', '--to', '2026-11-01'], ['--action', 'secret.steal'], ['--limit', '0'], ['--outcome', 'maybe']]) {
      const outcome = await runCli(dir, 'audit', 'query', ...args);
      assert.equal(outcome.code, 2, `${args.join(' ')}: ${outcome.stderr}`);
      assert.match(outcome.stderr, /SLUICE_USAGE/);
      assertNoStack(outcome.stderr);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('audit alerts: a burst of failed logins from one address is raised once, recorded once (credential stuffing)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-audit-alerts-'));
  try {
    assert.equal((await runCli({ cwd: dir, stdin: PLANTED }, 'secrets', 'set', 'x/token')).code, 0);
    assert.equal((await runCli(dir, 'audit', 'alerts')).code, 0);
    const store = new SqliteStateStore(join(dir, '.sluice', 'state.db'));
    const log = new AuditLog(store);
    const start = Date.parse('2026-11-30T03:00:00Z');
    await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        log.append({ time: new Date(start + i * 5000).toISOString(), actor: { principal: `oidc:https://idp.example#user${i}`, method: 'oidc' }, action: 'auth.failure', resource: 'api', outcome: 'failure', source: '203.0.113.9', reason: 'SLUICE_AUTH_FAILED' }),
      ),
    );
    await log.close();
    await store.close();
    const alerts = await runCli(dir, 'audit', 'alerts');
    assert.equal(alerts.code, 1);
    assert.match(alerts.stdout, /auth-failure-burst {2}203\.0\.113\.9 {2}10 failed authentications/);
    assert.equal((await runCli(dir, 'audit', 'alerts', '--record')).code, 1);
    const recorded = (await runCli(dir, 'audit', 'query', '--action', 'audit.alert')).stdout.trim().split('\n');
    assert.equal(recorded.length, alerts.stdout.trim().split('\n').length, 'each alert recorded once');
    await runCli(dir, 'audit', 'alerts', '--record');
    assert.equal((await runCli(dir, 'audit', 'query', '--action', 'audit.alert')).stdout.trim().split('\n').length, recorded.length, 'not recorded twice');
    assert.equal((await runCli(dir, 'audit', 'verify')).code, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('audit: a run with a spec the pipeline has not run with before records a config.change, a rerun does not', async () => {
  const parent = mkdtempSync(join(tmpdir(), 'sluice-audit-spec-'));
  try {
    assert.equal((await runCli(parent, 'init', 'demo', '--source', 'file')).code, 0);
    const dir = join(parent, 'demo');
    assert.equal((await runCli(dir, 'run', '--progress', 'none')).code, 0);
    assert.equal((await runCli(dir, 'run', '--progress', 'none')).code, 0);
    const spec = join(dir, 'pipeline.yaml');
    writeFileSync(spec, readFileSync(spec, 'utf8') + '\n# a comment is a change of the spec text\n');
    assert.equal((await runCli(dir, 'run', '--progress', 'none')).code, 0);
    const changes = (await runCli(dir, 'audit', 'query', '--action', 'config.change')).stdout.trim().split('\n').map((l) => JSON.parse(l) as { details: { specHash: string; previousSpecHash?: string } });
    assert.equal(changes.length, 2);
    assert.equal(changes[1]!.details.previousSpecHash, changes[0]!.details.specHash);
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});
