// The contract check: type conversions for text sources, strict types for JSON, deny-by-default for
// undeclared fields, and reasons that never quote values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileContract } from './contract-validator.ts';
import { contractSchema } from '../spec/contract.ts';

const contract = contractSchema.parse({
  fields: {
    name: { type: 'string', class: 'internal' },
    age: { type: 'integer', class: 'internal', required: false },
    score: { type: 'number', class: 'internal', required: false },
    active: { type: 'boolean', class: 'public', required: false },
    born: { type: 'date', class: 'confidential', required: false },
    seen: { type: 'timestamp', class: 'internal', required: false },
    note: { type: 'string', class: 'internal', required: false, nullable: true },
  },
});

const cases: { name: string; textual: boolean; input: Record<string, unknown>; ok: boolean; expect?: Record<string, unknown>; reason?: RegExp }[] = [
  { name: 'text converts to integer, number, boolean', textual: true, input: { name: 'a', age: '42', score: '-1.5e2', active: 'true' }, ok: true, expect: { name: 'a', age: 42, score: -150, active: true } },
  { name: 'JSON integers pass as they are', textual: false, input: { name: 'a', age: 42 }, ok: true, expect: { name: 'a', age: 42 } },
  { name: 'JSON does not convert text to numbers', textual: false, input: { name: 'a', age: '42' }, ok: false, reason: /age.*integer/ },
  { name: 'a fraction is not an integer', textual: true, input: { name: 'a', age: '4.2' }, ok: false, reason: /age/ },
  { name: 'an unsafe integer is refused', textual: false, input: { name: 'a', age: 2 ** 53 + 2 }, ok: false, reason: /age/ },
  { name: 'leading zeros or hex are not integers', textual: true, input: { name: 'a', age: '0x10' }, ok: false, reason: /age/ },
  { name: 'a real date passes', textual: false, input: { name: 'a', born: '2024-02-29' }, ok: true },
  { name: 'an impossible date is refused', textual: false, input: { name: 'a', born: '2023-02-29' }, ok: false, reason: /born.*YYYY-MM-DD/ },
  { name: 'a timestamp with zone passes', textual: false, input: { name: 'a', seen: '2026-11-30T02:00:00.123+01:00' }, ok: true },
  { name: 'a bare date is not a timestamp', textual: false, input: { name: 'a', seen: '2026-11-30' }, ok: false, reason: /seen/ },
  { name: 'missing required field', textual: false, input: {}, ok: false, reason: /name.*missing/ },
  { name: 'null for a non-nullable required field', textual: false, input: { name: null }, ok: false, reason: /name.*empty/ },
  { name: 'null for a nullable field is kept', textual: false, input: { name: 'a', note: null }, ok: true, expect: { name: 'a', note: null } },
  { name: 'an undeclared field quarantines the record', textual: false, input: { name: 'a', ssn: '078-05-1120' }, ok: false, reason: /ssn.*not in the contract/ },
  { name: 'a __proto__ own property is an undeclared field, not a prototype', textual: false, input: JSON.parse('{"name":"a","__proto__":{"admin":true}}') as Record<string, unknown>, ok: false, reason: /__proto__/ },
];

for (const c of cases) {
  test(`contract check: ${c.name}`, () => {
    const outcome = compileContract(contract, c.textual)(c.input);
    assert.equal(outcome.ok, c.ok, JSON.stringify(outcome));
    if (outcome.ok && c.expect) assert.deepEqual({ ...outcome.record }, c.expect);
    if (!outcome.ok && c.reason) assert.match(outcome.reason, c.reason);
    if (outcome.ok) assert.equal(Object.getPrototypeOf(outcome.record), null);
  });
}

test('contract check: reasons never quote the value they refuse', () => {
  fc.assert(
    fc.property(fc.string({ minLength: 6 }).filter((s) => !/^-?\d/.test(s) && !['true', 'false'].includes(s)), (secret) => {
      const outcome = compileContract(contract, true)({ name: 'a', age: secret });
      return !outcome.ok && !outcome.reason.includes(secret);
    }),
    { seed: 20261130, numRuns: 2000 },
  );
});

test('contract check: any JSON value gives a record or a reason, never an exception', () => {
  const check = compileContract(contract, false);
  fc.assert(
    fc.property(fc.oneof(fc.jsonValue(), fc.dictionary(fc.constantFrom('name', 'age', 'score', 'active', 'born', 'seen', 'note', 'x'), fc.jsonValue())), (value) => {
      const outcome = check(value);
      return outcome.ok ? typeof outcome.record === 'object' : typeof outcome.reason === 'string';
    }),
    { seed: 7, numRuns: 10000 },
  );
});

test('contract check: unknownFields drop removes undeclared fields and counts them', () => {
  const dropping = contractSchema.parse({ unknownFields: 'drop', fields: { a: { type: 'string', class: 'public' } } });
  const outcome = compileContract(dropping, false)({ a: 'x', b: 1, c: 2 });
  assert.ok(outcome.ok);
  assert.deepEqual({ ...outcome.record }, { a: 'x' });
  assert.equal(outcome.droppedUnknown, 2);
});

test('contract check: a date passes exactly when it names a day of the Gregorian calendar (property, against Date)', () => {
  const check = compileContract(contract, false);
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  // Years from 100 on: Date.UTC reads 0-99 as 1900-1999, so it is no oracle there.
  const dayLike = fc.tuple(fc.integer({ min: 100, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 })).map(([y, m, d]) => `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`);
  fc.assert(
    fc.property(fc.oneof(dayLike, fc.string({ maxLength: 12 })), (born) => {
      const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(born);
      const [y, m, d] = match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [0, 0, 0];
      const date = new Date(Date.UTC(y, m - 1, d));
      const real = match !== null && y >= 100 && date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
      if (match !== null && y < 100) return;
      assert.equal(check({ name: 'a', born }).ok, real, born);
    }),
    { numRuns: 2000 },
  );
  for (const [born, ok] of [['2000-02-29', true], ['1900-02-29', false], ['2024-02-29', true], ['2023-02-29', false], ['2026-04-31', false], ['0050-01-01', true], ['0001-01-01', true], ['0000-02-29', false], ['0000-01-01', false], ['2026-1-01', false], ['２０２６-01-01', false]] as const) {
    assert.equal(check({ name: 'a', born }).ok, ok, born);
  }
});

test('contract check: a record with every field in the contract order (copied whole) gets the outcome the field-by-field check gives it in any other order (property)', () => {
  const names = Object.keys(contract.fields);
  // Mostly values of the field's type (as JSON and as text), sometimes null or anything at all.
  const mostly = (valid: fc.Arbitrary<unknown>, other: unknown) => fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: fc.constant(other) });
  const fitting: Record<string, fc.Arbitrary<unknown>> = {
    string: fc.string({ maxLength: 8 }),
    integer: mostly(fc.integer(), '42'),
    number: mostly(fc.double({ noNaN: true, noDefaultInfinity: true }), '-1.5e2'),
    boolean: mostly(fc.boolean(), 'true'),
    date: mostly(fc.constant('2024-02-29'), '2023-02-29'),
    timestamp: mostly(fc.constant('2026-11-30T02:00:00Z'), '2026-11-30'),
  };
  const values = fc.tuple(
    ...names.map((name) => fc.oneof({ weight: 12, arbitrary: fitting[contract.fields[name]!.type]! }, { weight: 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) })),
  );
  let passed = 0;
  fc.assert(
    fc.property(values, fc.boolean(), (values, textual) => {
      const validate = compileContract(contract, textual);
      const inOrder: Record<string, unknown> = Object.setPrototypeOf({}, null) as Record<string, unknown>;
      names.forEach((name, i) => (inOrder[name] = values[i]));
      const reversed: Record<string, unknown> = Object.setPrototypeOf({}, null) as Record<string, unknown>;
      [...names].reverse().forEach((name) => (reversed[name] = inOrder[name]));
      const fast = validate(inOrder);
      const slow = validate(reversed);
      assert.deepEqual(fast, slow);
      if (fast.ok) {
        passed++;
        assert.equal(Object.getPrototypeOf(fast.record), null);
        assert.notEqual(fast.record, inOrder, 'the record is a copy: steps change it, the quarantine keeps what arrived');
        assert.deepEqual(Object.keys(fast.record), Object.keys(slow.ok ? slow.record : {}), 'fields in the contract order');
      }
    }),
    { numRuns: 3000 },
  );
  // Not a property that holds on nothing: many of the records pass.
  assert.ok(passed > 300, `${passed} of 3000 passed`);
});
