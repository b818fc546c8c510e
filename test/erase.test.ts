// Crypto-shredding end to end on the quickstart's data: fields encrypted per subject, one subject erased, and
// every copy of their fields (a backup included) unreadable while the rest of each record still reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './support/cli-harness.ts';

interface Row { customer_id: string; email: string; full_name: string; phone: string | null }

const rows = (text: string) => text.trim().split('\n').map((l) => JSON.parse(l) as Row);

test('encrypt per subject, erase one subject: their fields read as erased everywhere (backups too), the rest still reads', async () => {
  const parent = mkdtempSync(join(tmpdir(), 'sluice-erase-'));
  assert.equal((await runCli(parent, 'init', 'demo', '--source', 'file')).code, 0);
  const dir = join(parent, 'demo');
  const spec = readFileSync(join(dir, 'pipeline.yaml'), 'utf8');
  writeFileSync(join(dir, 'pipeline.yaml'), spec.replace('- mask: { fields: [email] }', '- encrypt: { fields: [email, phone] }'));
  const check = await runCli(dir, 'check');
  assert.equal(check.code, 0, check.stdout + check.stderr);
  const run = await runCli(dir, 'run', '--progress', 'none');
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /encrypted:per-subject/);

  const sealed = rows((await runCli(dir, 'cat', 'out/support')).stdout);
  assert.ok(sealed.every((r) => r.email.startsWith('enc_1_')), 'without --decrypt-fields the fields stay sealed');
  const source = new Map(rows(readFileSync(join(dir, 'data', 'customers.jsonl'), 'utf8')).map((r) => [r.customer_id, r]));
  const opened = rows((await runCli(dir, 'cat', '--decrypt-fields', 'out/support')).stdout);
  assert.equal(opened[0]?.email, source.get(opened[0]?.customer_id ?? '')?.email);

  cpSync(join(dir, 'out'), join(parent, 'backup'), { recursive: true });
  const erase = await runCli(dir, 'erase', '--subject', 'C0000001');
  assert.equal(erase.code, 0, erase.stderr);
  const receipt = JSON.parse(erase.stdout) as { receipt: string; keysDestroyed: number; subjectRefs: string[] };
  assert.equal(receipt.keysDestroyed, 1);
  assert.ok(!erase.stdout.includes('C0000001'), 'the receipt does not hold the subject id');

  for (const where of ['out/support', join(parent, 'backup', 'support')]) {
    const after = await runCli(dir, 'cat', '--decrypt-fields', where);
    assert.equal(after.code, 0, after.stderr);
    const byId = new Map(rows(after.stdout).map((r) => [r.customer_id, r]));
    const gone = byId.get('C0000001');
    assert.equal(gone?.email, '[erased]', `${where}: the erased subject's email`);
    assert.equal(gone?.full_name, source.get('C0000001')?.full_name, 'the rest of the record still reads');
    assert.equal(byId.get('C0000002')?.email, source.get('C0000002')?.email, 'other subjects are untouched');
    assert.match(after.stderr, /belong to erased data subjects/);
  }

  // A new run does not collect the erased subject's encrypted fields again: that record is quarantined.
  const again = await runCli(dir, 'run', '--progress', 'none');
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /quarantined\s+3\b/);
  const reasons = (await runCli(dir, 'cat', '.sluice/quarantine')).stdout;
  assert.match(reasons, /"ref":"customers.jsonl:1","reason":"steps\[1\] encrypt failed: this value belongs to an erased data subject/);
  const erasedLine = reasons.split('\n').find((line) => line.includes('"ref":"customers.jsonl:1"')) ?? '';
  assert.ok(!erasedLine.includes(source.get('C0000001')?.email ?? '@') && !erasedLine.includes('"record"'), 'the erased subject is not kept, not even in the quarantine');
  const second = await runCli(dir, 'erase', '--subject', 'C0000001');
  assert.match(second.stderr, /no key existed for this subject/);
});

test('encrypt without a subject field is refused by check (SLC106), naming the fix', async () => {
  const parent = mkdtempSync(join(tmpdir(), 'sluice-erase-'));
  assert.equal((await runCli(parent, 'init', 'demo', '--source', 'file')).code, 0);
  const dir = join(parent, 'demo');
  const spec = readFileSync(join(dir, 'pipeline.yaml'), 'utf8');
  writeFileSync(join(dir, 'pipeline.yaml'), spec.replace('  subject: customer_id\n', '').replace('- mask: { fields: [email] }', '- encrypt: { fields: [email] }'));
  const check = await runCli(dir, 'check');
  assert.equal(check.code, 1);
  assert.match(check.stdout, /SLC106 step-misconfigured: steps\[1\] encrypt: per-subject encryption needs a subject field/);
  assert.match(check.stdout, /fix: {2}name it in contract.subject/);
});
