// redact, hash and generalize: what each leaves of a value, how the planner counts them, and what they do
// with values they cannot handle (the record is quarantined with a reason that never quotes the value).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import fc from 'fast-check';
import { ComponentRegistry } from '../../spec/registry.ts';
import { validateSpec } from '../../spec/validate.ts';
import { fileOnlyLocator } from '../../spec/location.ts';
import { planPipeline } from '../../plan/plan.ts';
import { runPipeline } from '../../runtime/executor.ts';
import { SqliteStateStore } from '../../store/sqlite/sqlite-state-store.ts';
import { redactStep } from './redact.ts';
import { hashStep } from './hash.ts';
import { generalizeStep, generalizeDate, generalizeNumber, generalizePrefix } from './generalize.ts';
import { maskShape } from './mask.ts';
import { openPseudonymizer } from './pseudonyms.ts';
import { collectingSink, datasets, memorySource, reader, sinkRecords } from '../../../test/support/memory-components.ts';
import { testEncryption } from '../../../test/support/test-keyring.ts';

const registry = new ComponentRegistry([memorySource, collectingSink, redactStep, hashStep, generalizeStep]);

function validate(steps: unknown[], clearance = 'internal') {
  return validateSpec(
    {
      pipeline: 'people',
      source: { memory: { dataset: 'people' } },
      contract: {
        fields: {
          id: { type: 'string', class: 'internal' },
          email: { type: 'string', class: 'restricted', pii: 'email' },
          birth_date: { type: 'date', class: 'confidential', pii: 'date_of_birth', nullable: true },
          age: { type: 'integer', class: 'confidential', required: false },
          postcode: { type: 'string', class: 'confidential', pii: 'postal_address' },
        },
      },
      steps,
      sinks: [{ collect: { name: 'out', clearance } }],
    },
    registry,
    fileOnlyLocator('people.yaml'),
    tmpdir(),
  );
}

function plan(steps: unknown[], clearance = 'internal') {
  const result = validate(steps, clearance);
  assert.deepEqual(result.issues, []);
  assert.ok(result.spec);
  return planPipeline(result.spec);
}

const allProtected = [
  { hash: { fields: ['email'] } },
  { generalize: { fields: ['birth_date'], date: 'year' } },
  { generalize: { fields: ['age'], range: 10 } },
  { generalize: { fields: ['postcode'], prefix: 3 } },
];

async function run(steps: unknown[], records: Record<string, unknown>[]) {
  datasets.set('people', records);
  const encryption = await testEncryption();
  reader.keys = encryption.keys;
  const store = new SqliteStateStore(':memory:');
  const result = await runPipeline({ plan: plan(steps), store, stateDir: mkdtempSync(join(tmpdir(), 'sluice-protect-')), encryption, specHash: 'h', logger: pino({ level: 'silent' }) });
  await store.close();
  return { result, out: sinkRecords('out'), encryption };
}

test('planner: hash and generalize bring restricted and confidential fields to internal; without them the plan is refused', () => {
  assert.deepEqual(plan(allProtected).findings, []);
  assert.deepEqual(
    plan([]).findings.map((f) => f.field).sort(),
    ['age', 'birth_date', 'email', 'postcode'],
  );
});

test('planner: a redacted field may reach a public sink; a hashed one may not', () => {
  const findings = plan([{ redact: { fields: ['email', 'birth_date', 'age', 'postcode'] } }], 'public').findings;
  assert.deepEqual(findings.filter((f) => f.severity === 'error').map((f) => f.field), ['id']);
  const hashed = plan([{ hash: { fields: ['email'] } }, { redact: { fields: ['id', 'birth_date', 'age', 'postcode'] } }], 'public').findings;
  assert.deepEqual(hashed.map((f) => f.field), ['email']);
});

test('generalize: exactly one of date, range or prefix, said at the step', () => {
  const none = validate([{ generalize: { fields: ['age'] } }]);
  assert.match(JSON.stringify(none.issues), /exactly one of date, range or prefix \(got none\)/);
  const two = validate([{ generalize: { fields: ['age'], range: 5, prefix: 2 } }]);
  assert.match(JSON.stringify(two.issues), /got range, prefix/);
});

test('generalize: dates to month or year, numbers to ranges, postcodes to a prefix', () => {
  assert.equal(generalizeDate('1984-07-23', 'year'), '1984');
  assert.equal(generalizeDate('1984-07-23T10:00:00Z', 'month'), '1984-07');
  assert.throws(() => generalizeDate('23/07/1984', 'year'), /ISO 8601/);
  assert.throws(() => generalizeDate('1984-13-01', 'year'), /ISO 8601/);
  assert.equal(generalizeNumber(37, 10), '30-39');
  assert.equal(generalizeNumber(-1, 10), '-10--1');
  assert.equal(generalizeNumber('42', 5), '40-44');
  assert.equal(generalizeNumber(3.7, 2.5), '[2.5, 5)');
  assert.throws(() => generalizeNumber('forty', 10), /expected a number/);
  assert.equal(generalizePrefix('SW1A 1AA', 3), 'SW1');
  assert.equal(generalizePrefix(94107, 3), '941');
});

test('generalize: every number falls inside the range it is given (property)', () => {
  fc.assert(
    fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 1, max: 1000 }), (n, width) => {
      const [low, high] = /^(-?\d+)-(-?\d+)$/.exec(generalizeNumber(n, width))!.slice(1).map(Number) as [number, number];
      return low <= n && n <= high && high - low === width - 1 && low % width === 0;
    }),
  );
});

test('mask keepShape: separators stay, letters and digits go, at most half shown', () => {
  assert.equal(maskShape('4111-1111-1111-1234', 4, '*'), '****-****-****-1234');
  assert.equal(maskShape('ada@example.com', 0, '#'), '###@#######.###');
  assert.equal(maskShape('ab-cd', 4, '*'), '**-cd');
  assert.equal(maskShape('Zoë Ångström', 0, '*'), '*** ********');
});

test('redact, hash and generalize through a run: what the sink receives, and counts in the summary', async () => {
  const { result, out, encryption } = await run(
    [{ redact: { fields: ['id'], label: '[ID]' } }, ...allProtected],
    [
      { id: 'a', email: 'ada@example.com', birth_date: '1815-12-10', age: 36, postcode: 'SW1A 1AA' },
      { id: 'b', email: 'ADA@example.com', birth_date: null, postcode: 'EC1V 4PW' },
      { id: 'c', email: 'ada@example.com', birth_date: '1906-12-09', age: 85, postcode: '10001' },
    ],
  );
  assert.equal(result.run.status, 'succeeded');
  assert.deepEqual(out.map((r) => [r.id, r.birth_date, r.age, r.postcode]), [
    ['[ID]', '1815', '30-39', 'SW1'],
    ['[ID]', null, undefined, 'EC1'],
    ['[ID]', '1906', '80-89', '100'],
  ]);
  const emails = out.map((r) => String(r.email));
  assert.ok(emails.every((e) => /^hmac_1_[A-Za-z0-9_-]{43}$/.test(e)));
  assert.equal(emails[0], emails[2], 'the same value gives the same pseudonym');
  assert.notEqual(emails[0], emails[1]);
  const pseudonymizer = await openPseudonymizer(encryption.keys, 'pseudonyms', 'people');
  assert.equal(pseudonymizer.pseudonym('ada@example.com'), emails[0], 'keyed per data set: the pipeline name is the default domain');
  assert.deepEqual(result.run.totals.protectedFields, { 'redacted:id': 3, 'hashed:email': 3, 'generalized:birth_date': 2, 'generalized:age': 2, 'generalized:postcode': 3 });
});

test('hash: pseudonyms of another key or domain differ, so data sets cannot be linked (tries to link two data sets)', async () => {
  const { keyring } = await testEncryption();
  const a = await openPseudonymizer(keyring, 'pseudonyms', 'crm');
  const b = await openPseudonymizer(keyring, 'pseudonyms', 'billing');
  const other = await openPseudonymizer((await testEncryption()).keyring, 'pseudonyms', 'crm');
  const value = 'ada@example.com';
  assert.notEqual(a.pseudonym(value), b.pseudonym(value));
  assert.notEqual(a.pseudonym(value), other.pseudonym(value));
  assert.equal(a.pseudonym(value), (await openPseudonymizer(keyring, 'pseudonyms', 'crm')).pseudonym(value));
});

test('generalize: a value it cannot read quarantines the record without quoting the value', async () => {
  const { result, out } = await run(allProtected, [
    { id: 'a', email: 'e', birth_date: '10/12/1815', age: 36, postcode: 'SW1A 1AA' },
    { id: 'b', email: 'e', birth_date: '1815-12-10', age: 36, postcode: 'SW1A 1AA' },
  ]);
  assert.equal(result.run.totals.quarantined, 1);
  assert.equal(out.length, 1);
});
