// `sluice detect` and `sluice scan` end to end: the output format, offsets, bad lines, and the proposed contract.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { assertNoStack, runCli } from './support/cli-harness.ts';

function workdir(): string {
  return mkdtempSync(join(tmpdir(), 'sluice-privacy-cli-'));
}

interface DetectLine {
  line: number;
  matches: { type: string; start: number; end: number; confidence: number }[];
  error?: string;
}

test('detect: one JSON line per input line, offsets are string indices into that line', async () => {
  const dir = workdir();
  const lines = ['write to ada@example.com or call +1 (415) 555-0132', '', 'nothing here', 'card 4111 1111 1111 1111 from 192.168.0.1 — naïve café ada@example.org'];
  writeFileSync(join(dir, 'notes.txt'), lines.join('\n') + '\n');
  const out = await runCli(dir, 'detect', 'notes.txt');
  assert.equal(out.code, 0, out.stderr);
  const results = out.stdout.trim().split('\n').map((l) => JSON.parse(l) as DetectLine);
  assert.deepEqual(results.map((r) => r.line), [1, 2, 3, 4]);
  const slice = (i: number, m: DetectLine['matches'][number]) => lines[i]!.slice(m.start, m.end);
  const first = results[0]!.matches;
  assert.deepEqual(first.map((m) => [m.type, slice(0, m)]).filter(([t]) => t === 'EMAIL' || t === 'PHONE'), [['EMAIL', 'ada@example.com'], ['PHONE', '+1 (415) 555-0132']]);
  assert.deepEqual(results[1]!.matches, []);
  assert.deepEqual(results[2]!.matches, []);
  const fourth = results[3]!.matches;
  assert.ok(fourth.some((m) => m.type === 'CREDIT_CARD' && slice(3, m) === '4111 1111 1111 1111'));
  assert.ok(fourth.some((m) => m.type === 'IP_ADDRESS' && slice(3, m) === '192.168.0.1'));
  assert.ok(fourth.some((m) => m.type === 'EMAIL' && slice(3, m) === 'ada@example.org'), 'offsets stay right after non-ASCII text');
  for (const m of [...first, ...fourth]) assert.ok(m.confidence > 0 && m.confidence <= 1);
});

test('detect --field: JSON Lines; a line that is not JSON or lacks the field is reported with its number, and the exit code says so', async () => {
  const dir = workdir();
  writeFileSync(join(dir, 'events.jsonl'), ['{"msg":"mail ada@example.com"}', 'not json', '{"other":1}', '{"msg":4111111111111111}'].join('\n') + '\n');
  const out = await runCli(dir, 'detect', 'events.jsonl', '--field', 'msg');
  assert.equal(out.code, 1);
  assertNoStack(out.stderr);
  const results = out.stdout.trim().split('\n').map((l) => JSON.parse(l) as DetectLine);
  assert.equal(results.length, 4);
  assert.deepEqual(results[0]!.matches.map((m) => [m.type, m.start, m.end]), [['EMAIL', 5, 20]]);
  assert.equal(results[1]!.error, 'not a JSON object');
  assert.equal(results[2]!.error, "no field 'msg'");
  assert.deepEqual(results[3]!.matches.map((m) => m.type), ['CREDIT_CARD'], 'a number that is a card is still found');
  assert.match(out.stderr, /events\.jsonl:2: not a JSON object; this line was not scanned/);
  assert.match(out.stderr, /events\.jsonl:3: no field 'msg'/);
});

test('detect: --types filters, --fail-on-find makes findings an exit code, an unknown type is a usage error', async () => {
  const dir = workdir();
  writeFileSync(join(dir, 'a.txt'), 'ada@example.com 192.168.0.1\n');
  const only = await runCli(dir, 'detect', 'a.txt', '--types', 'ip_address');
  assert.deepEqual((JSON.parse(only.stdout) as DetectLine).matches.map((m) => m.type), ['IP_ADDRESS']);
  assert.equal((await runCli(dir, 'detect', 'a.txt', '--fail-on-find')).code, 1);
  writeFileSync(join(dir, 'clean.txt'), 'nothing to see\n');
  assert.equal((await runCli(dir, 'detect', 'clean.txt', '--fail-on-find')).code, 0);
  const bad = await runCli(dir, 'detect', 'a.txt', '--types', 'EMAIL,PASSPORT');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown PII type 'PASSPORT'/);
  const missing = await runCli(dir, 'detect', 'nope.txt');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /cannot read nope\.txt \(ENOENT\)/);
  assertNoStack(missing.stderr);
});

test('scan: proposes a contract from a sample, with classes from what each column holds and a scan step for free text', async () => {
  const dir = workdir();
  const rows: string[] = [];
  for (let i = 0; i < 200; i++) {
    rows.push(
      JSON.stringify({
        id: i,
        contact: `user${i}@example.com`,
        payment: i % 2 === 0 ? '4111 1111 1111 1111' : '5500 0000 0000 0004',
        note: i % 10 === 0 ? `customer asked to be called on +1 (415) 555-${String(1000 + i).slice(-4)} tomorrow` : 'customer asked about the delivery date of the order',
        country: 'DE',
        joined: '2024-03-01',
        score: i / 7,
        ...(i % 4 === 0 ? { referrer: null } : { referrer: 'web' }),
      }),
    );
  }
  writeFileSync(join(dir, 'crm.jsonl'), rows.join('\n') + '\n');
  const out = await runCli(dir, 'scan', 'crm.jsonl', '--sample', '150');
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /from 150 of 200 records/);
  const proposed = parse(out.stdout) as { contract: { fields: Record<string, Record<string, unknown>> }; steps: { scan: { fields: string[] } }[] };
  const f = proposed.contract.fields;
  assert.deepEqual(f.contact, { type: 'string', class: 'confidential', pii: 'email' });
  assert.deepEqual(f.payment, { type: 'string', class: 'restricted', pii: 'payment_card' });
  assert.equal(f.note?.class, 'confidential');
  assert.equal(f.note?.pii, 'other');
  assert.deepEqual(f.country, { type: 'string', class: 'internal' });
  assert.equal(f.joined?.type, 'date');
  assert.equal(f.score?.type, 'number');
  assert.equal(f.id?.type, 'integer');
  assert.equal(f.referrer?.nullable, true);
  assert.deepEqual(proposed.steps[0]?.scan.fields, ['note']);
  assert.match(out.stdout, /# EMAIL in 100% of 150 values/);
});

test('scan: a file it cannot tell how to read is a usage error naming the fix', async () => {
  const dir = workdir();
  writeFileSync(join(dir, 'data.bin'), 'x');
  const out = await runCli(dir, 'scan', 'data.bin');
  assert.equal(out.code, 2);
  assert.match(out.stderr, /name it \.jsonl, \.ndjson or \.csv/);
  assertNoStack(out.stderr);
});

test('detect: a line that is not UTF-8 is reported with its number, not scanned as garbage (tries a stray 0xff byte)', async () => {
  const dir = workdir();
  writeFileSync(join(dir, 'mixed.txt'), Buffer.concat([Buffer.from('mail ada@example.com\n'), Buffer.from([0x62, 0xff, 0x0a]), Buffer.from('call +1 (415) 555-0132\n')]));
  const out = await runCli(dir, 'detect', 'mixed.txt');
  assert.equal(out.code, 1);
  const results = out.stdout.trim().split('\n').map((l) => JSON.parse(l) as DetectLine);
  assert.deepEqual(results.map((r) => r.line), [1, 2, 3]);
  assert.deepEqual(results[0]!.matches.map((m) => m.type), ['EMAIL']);
  assert.match(results[1]!.error ?? '', /UTF-8/);
  assert.deepEqual(results[2]!.matches.map((m) => m.type), ['PHONE']);
  assert.match(out.stderr, /mixed\.txt:2: .*UTF-8.*; this line was not scanned/);
  assertNoStack(out.stderr);
});

test('scan: CSV columns get their types from the text, and a line that does not parse is skipped and counted', async () => {
  const dir = workdir();
  writeFileSync(join(dir, 'people.csv'), ['id,age,active,joined,email', ...Array.from({ length: 30 }, (_, i) => `${i},${20 + i},${i % 2 === 0},2024-01-0${1 + (i % 9)},p${i}@example.com`)].join('\n') + '\n');
  const csv = await runCli(dir, 'scan', 'people.csv');
  assert.equal(csv.code, 0, csv.stderr);
  const fields = (parse(csv.stdout) as { contract: { fields: Record<string, { type: string }> } }).contract.fields;
  assert.deepEqual(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v.type])), { id: 'integer', age: 'integer', active: 'boolean', joined: 'date', email: 'string' });
  writeFileSync(join(dir, 'broken.jsonl'), '{"a":"x@example.com"}\n{not json\n{"a":"y@example.com"}\n');
  const broken = await runCli(dir, 'scan', 'broken.jsonl');
  assert.equal(broken.code, 0, broken.stderr);
  assert.match(broken.stdout, /from 2 of 2 records \(1 unreadable records skipped\)/);
});
