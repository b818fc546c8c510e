// The scan step: what it finds in free text and how each action rewrites it, nested values, values it cannot
// scan (quarantined, never passed through), counts by type in the summary, and how the planner treats it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { ComponentRegistry } from '../../spec/registry.ts';
import { validateSpec } from '../../spec/validate.ts';
import { fileOnlyLocator } from '../../spec/location.ts';
import { planPipeline } from '../../plan/plan.ts';
import { runPipeline } from '../../runtime/executor.ts';
import { SqliteStateStore } from '../../store/sqlite/sqlite-state-store.ts';
import { openObjectBuffer } from '../../crypto/envelope/envelope.ts';
import { scanStep, MAX_SCAN_DEPTH, ValueScanner } from './scan.ts';
import { detokenize } from '../../crypto/tokens.ts';
import { collected, collectingSink, datasets, memorySource, reader, sinkRecords } from '../../../test/support/memory-components.ts';
import { testEncryption } from '../../../test/support/test-keyring.ts';

const registry = new ComponentRegistry([memorySource, collectingSink, scanStep]);

function validate(scan: unknown, clearance = 'confidential') {
  return validateSpec(
    {
      pipeline: 'tickets',
      source: { memory: { dataset: 'tickets' } },
      contract: {
        fields: {
          id: { type: 'string', class: 'internal' },
          note: { type: 'string', class: 'confidential', nullable: true, required: false },
        },
        unknownFields: 'drop',
      },
      steps: [{ scan }],
      sinks: [{ collect: { name: 'out', clearance } }],
    },
    registry,
    fileOnlyLocator('tickets.yaml'),
    tmpdir(),
  );
}

function plan(scan: unknown, clearance = 'confidential') {
  const result = validate(scan, clearance);
  assert.deepEqual(result.issues, []);
  assert.ok(result.spec);
  return planPipeline(result.spec);
}

async function run(scan: unknown, notes: unknown[]) {
  datasets.set('tickets', notes.map((note, i) => ({ id: `t${i}`, note })));
  collected.clear();
  const encryption = await testEncryption();
  reader.keys = encryption.keys;
  const store = new SqliteStateStore(':memory:');
  const result = await runPipeline({ plan: plan(scan), store, stateDir: mkdtempSync(join(tmpdir(), 'sluice-scan-')), encryption, specHash: 'h', logger: pino({ level: 'silent' }) });
  await store.close();
  let quarantine = '';
  for (const name of readdirSync(result.quarantineDir).sort()) {
    quarantine += (await openObjectBuffer(readFileSync(join(result.quarantineDir, name)), encryption.keys, name)).plaintext.toString('utf8');
  }
  return { result, out: sinkRecords('out').map((r) => r.note), quarantine, encryption };
}

test('scan: redacts what it finds with the type label and counts by type, never the values', async () => {
  const { result, out } = await run({ fields: ['note'] }, [
    'call me on +1 (415) 555-0132 or write to ada@example.com',
    'card 4111 1111 1111 1111, ssn 078-05-1123',
    'nothing personal here',
    null,
  ]);
  assert.deepEqual(out, ['call me on [PHONE] or write to [EMAIL]', 'card [CREDIT_CARD], ssn [US_SSN]', 'nothing personal here', null]);
  assert.deepEqual(result.run.totals.piiFound, { PHONE: 1, EMAIL: 1, CREDIT_CARD: 1, US_SSN: 1 });
  assert.equal(result.run.totals.quarantined, 0);
});

test('scan: per-type actions (mask keeps the shape, tokenize reverses with the key, report leaves the text)', async () => {
  const { out, encryption } = await run(
    { fields: ['note'], action: 'report', actions: { CREDIT_CARD: 'mask', EMAIL: 'tokenize' } },
    ['paid with 4111-1111-1111-1111 by ada@example.com from 10.1.2.3'],
  );
  const text = String(out[0]);
  assert.match(text, /^paid with \*\*\*\*-\*\*\*\*-\*\*\*\*-\*\*\*\* by tok_1_[A-Za-z0-9_-]+ from 10\.1\.2\.3$/);
  const token = /tok_1_[A-Za-z0-9_-]+/.exec(text)?.[0] ?? '';
  assert.equal(await detokenize(token, encryption.keys, 'tokens', 'default'), 'ada@example.com');
});

test('scan: walks arrays and objects, and scans numbers (a card number stored as a number is still found)', () => {
  const scanner = new ValueScanner((text) => (text.includes('@') ? '[EMAIL]' : /^\d{16}$/.test(text) ? '[CREDIT_CARD]' : undefined));
  const value = { lines: ['ada@example.com', { deeper: 'x@y.org' }, 'clean'], n: 4111111111111111, ok: true, none: null };
  assert.deepEqual(scanner.scanValue(value), { lines: ['[EMAIL]', { deeper: '[EMAIL]' }, 'clean'], n: '[CREDIT_CARD]', ok: true, none: null });
  assert.deepEqual(value.lines[0], 'ada@example.com', 'the input is not changed in place');
  assert.equal(scanner.scanValue({ a: ['clean'] }), undefined, 'nothing found: nothing to replace');
});

test('scan: nesting deeper than the limit is refused, never passed unscanned (tries a value nested 33 levels)', () => {
  let deep: unknown = 'ada@example.com';
  for (let i = 0; i < MAX_SCAN_DEPTH + 1; i++) deep = [deep];
  const scanner = new ValueScanner(() => '[EMAIL]');
  assert.throws(() => scanner.scanValue(deep), /nested deeper than 32 levels/);
});

test('scan: a value it cannot scan is quarantined with the reason, never passed on (tries a non-string and a size limit)', async () => {
  const long = 'x'.repeat(2000) + ' ada@example.com';
  const { result, out, quarantine } = await run({ fields: ['note'], maxChars: 1000 }, [[['ada@example.com']], long, 'fine']);
  assert.deepEqual(out, ['fine']);
  assert.equal(result.run.totals.quarantined, 2);
  assert.match(quarantine, /field 'note': expected a string, got an array/);
  assert.match(quarantine, /field 'note' holds 2016 characters, more than maxChars 1000, so it was not scanned/);
});

test('scan: a string of several MB with PII at both ends is scanned whole', async () => {
  const big = 'ada@example.com ' + 'lorem ipsum dolor sit amet '.repeat(200_000) + ' 4111 1111 1111 1111';
  const { out, result } = await run({ fields: ['note'] }, [big]);
  const text = String(out[0]);
  assert.ok(text.startsWith('[EMAIL] '));
  assert.ok(text.endsWith(' [CREDIT_CARD]'));
  assert.deepEqual(result.run.totals.piiFound, { EMAIL: 1, CREDIT_CARD: 1 });
});

test('scan: lone surrogates and replacement characters (invalid UTF-8 upstream) do not break it', async () => {
  const { out } = await run({ fields: ['note'] }, ['\uD800 mail ada@example.com \uFFFD\uDC00']);
  assert.equal(out[0], '\uD800 mail [EMAIL] \uFFFD\uDC00');
});

test('planner: scanning keeps the class unless residual says otherwise; residual public is refused; report never lowers', () => {
  const unchanged = plan({ fields: ['note'] }, 'internal').findings;
  assert.deepEqual(unchanged.map((f) => f.field), ['note']);
  assert.deepEqual(plan({ fields: ['note'], residual: 'internal' }, 'internal').findings, []);
  assert.deepEqual(plan({ fields: ['note'], residual: 'internal', action: 'report' }, 'internal').findings.map((f) => f.field), ['note']);
  const pub = plan({ fields: ['note'], residual: 'public' }, 'internal').findings;
  assert.ok(pub.some((f) => /cannot be declared public/.test(f.message)));
});

test('scan: overlapping findings are rewritten as one span, so nothing of either stays in clear (tries a URL holding an e-mail)', async () => {
  const { out, result } = await run({ fields: ['note'], actions: { URL: 'report' } }, ['see ftp://john.doe@example.com today', 'open https://crm.example.com/c/8841?email=john.doe@example.com&x=1 now']);
  for (const text of out.map(String)) assert.ok(!text.includes('john.doe'), `an e-mail address stayed in clear: ${text}`);
  assert.equal(out[1], 'open [EMAIL] now');
  assert.equal(result.run.totals.piiFound.EMAIL, 2, 'every type found is counted, also inside a merged span');
  assert.equal(result.run.totals.piiFound.URL, 2);
});

test('scan: keys holding PII and objects that are not plain JSON are refused, never walked past (tries a Date and a Buffer)', () => {
  const scanner = new ValueScanner((text) => (text.includes('@') ? '[EMAIL]' : undefined));
  assert.throws(() => scanner.scanValue({ 'john.doe@example.com': 'x' }), /in an object key/);
  assert.throws(() => scanner.scanValue({ when: new Date(0) }), /not plain JSON/);
  assert.throws(() => scanner.scanValue([Buffer.from('john.doe@example.com')]), /not plain JSON/);
  assert.deepEqual(scanner.scanValue(Object.assign(Object.create(null) as object, { a: 'x@y.z' })), { a: '[EMAIL]' });
});
