// The CREDIT_CARD detector: issuers' published test numbers, the Luhn check and the IIN table, how numbers are
// grouped in text, the shapes that are not card numbers, linear time on hostile input, and spans that hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cardIssuer, creditCardDetector, isPaymentCardNumber, luhnValid } from './credit-card.ts';

const found = (text: string): string[] => creditCardDetector.detect(text).map((m) => text.slice(m.start, m.end));

/** `prefix`, zero padding, then the one check digit that makes `length` digits pass Luhn. */
function luhnComplete(prefix: string, length: number): string {
  const body = prefix.padEnd(length - 1, '0');
  for (let d = 0; d <= 9; d++) if (luhnValid(`${body}${d}`)) return `${body}${d}`;
  throw new Error('unreachable: one check digit always fits');
}

// Test numbers the issuers and payment gateways publish for sandboxes (Visa, Mastercard, American Express,
// Discover, JCB, Diners Club, UnionPay, Maestro) plus the UATP and Dankort samples Presidio uses.
const issuerTestNumbers: [string, string][] = [
  ['4111111111111111', 'Visa'],
  ['4012888888881881', 'Visa'],
  ['4222222222222', 'Visa'],
  ['4917300800000000', 'Visa'],
  ['5555555555554444', 'Mastercard'],
  ['5105105105105100', 'Mastercard'],
  ['2221000000000009', 'Mastercard'],
  ['2223003122003222', 'Mastercard'],
  ['378282246310005', 'American Express'],
  ['371449635398431', 'American Express'],
  ['6011111111111117', 'Discover'],
  ['6011000990139424', 'Discover'],
  ['6445644564456445', 'Discover'],
  ['3530111333300000', 'JCB'],
  ['3566002020360505', 'JCB'],
  ['30569309025904', 'Diners Club'],
  ['38520000023237', 'Diners Club'],
  ['36227206271667', 'Diners Club'],
  ['6200000000000005', 'UnionPay'],
  ['6759649826438453', 'Maestro'],
  ['6799990100000000019', 'Maestro'],
  ['5019717010103742', 'Maestro'],
  ['122000000000003', 'UATP'],
  ['2200000000000004', 'Mir'],
];

for (const [number, brand] of issuerTestNumbers) {
  test(`credit card: the ${brand} test number ${number} is found, checksum-validated (confidence >= 0.9)`, () => {
    assert.equal(cardIssuer(number), brand);
    const matches = creditCardDetector.detect(`pay with ${number} today`);
    assert.equal(matches.length, 1);
    assert.equal(matches[0]!.start, 9);
    assert.equal(matches[0]!.end, 9 + number.length);
    assert.ok(matches[0]!.confidence >= 0.9);
  });
}

const cases: { name: string; text: string; expect: string[] }[] = [
  { name: 'grouped in fours with spaces', text: 'card 4111 1111 1111 1111 ok', expect: ['4111 1111 1111 1111'] },
  { name: 'grouped in fours with dashes', text: 'card 4012-8888-8888-1881.', expect: ['4012-8888-8888-1881'] },
  { name: 'bare, dashed and spaced in one line', text: '4012888888881881 4012-8888-8888-1881 4012 8888 8888 1881', expect: ['4012888888881881', '4012-8888-8888-1881', '4012 8888 8888 1881'] },
  { name: 'Amex printed 4-6-5', text: 'amex 3782 822463 10005', expect: ['3782 822463 10005'] },
  { name: 'Diners printed 4-6-4', text: 'diners 3056 930902 5904', expect: ['3056 930902 5904'] },
  { name: 'a 19-digit card printed 4-4-4-4-3', text: 'maestro 6799 9901 0000 0000 019', expect: ['6799 9901 0000 0000 019'] },
  { name: 'an expiry date after the number is not a fifth group', text: '4111 1111 1111 1111 12/25', expect: ['4111 1111 1111 1111'] },
  { name: 'between punctuation', text: '(4111111111111111), "5555555555554444"', expect: ['4111111111111111', '5555555555554444'] },
  // Denials.
  { name: 'a Luhn failure', text: 'my credit card number is 4012-8888-8888-1882', expect: [] },
  { name: 'a Luhn failure in a Diners range', text: 'my credit card number is 36168002586008', expect: [] },
  { name: 'a Luhn-valid 13-digit number in no issuer range', text: '1748503543012', expect: [] },
  { name: 'a Luhn-valid number whose issuer does not use that length (Amex with 16 digits)', text: luhnComplete('37', 16), expect: [] },
  { name: 'a Luhn-valid number in an unassigned range (7)', text: luhnComplete('7', 16), expect: [] },
  { name: 'inconsistent separators', text: '4111 1111-1111 1111', expect: [] },
  { name: 'groups that no issuer prints (4-4-8)', text: '4111 1111 11111111', expect: [] },
  { name: 'a double separator', text: '4111  1111  1111  1111', expect: [] },
  { name: 'part of a longer run of digits', text: '94111111111111111 and 41111111111111111111', expect: [] },
  { name: 'five groups of four (20 digits)', text: '4111 1111 1111 1111 1111', expect: [] },
  { name: 'inside a word or identifier', text: 'id_4111111111111111 x4111111111111111 4111111111111111abc', expect: [] },
  { name: 'a decimal or a dotted number', text: '4111111111111111.5 and 1.4111111111111111', expect: [] },
  { name: 'phone numbers, SSNs and dates are not cards', text: '+1 415 555 0132, 078-05-1123, 2024-01-15', expect: [] },
  { name: 'fewer than 12 digits', text: '41111111111', expect: [] },
];

for (const c of cases) {
  test(`credit card: ${c.name}`, () => {
    assert.deepEqual(found(c.text), c.expect);
  });
}

test('credit card: Luhn known answers (ISO/IEC 7812-1 Annex B)', () => {
  assert.equal(luhnValid('79927398713'), true);
  for (let d = 0; d <= 9; d++) if (d !== 3) assert.equal(luhnValid(`7992739871${d}`), false);
  assert.equal(luhnValid('0'), true);
  assert.equal(luhnValid('18'), true);
  assert.equal(luhnValid('81'), false);
});

test('credit card: every IIN range accepts a Luhn-completed number of each length it uses, and only those', () => {
  const ranges: [string, number[]][] = [
    ['1', [15]], ['2200', [16, 19]], ['2221', [16]], ['2720', [16]], ['300', [14, 19]], ['3095', [14]], ['36', [14]], ['38', [14]],
    ['34', [15]], ['37', [15]], ['3528', [16, 19]], ['3589', [16]], ['4', [13, 16, 19]], ['50', [12, 19]], ['51', [16]],
    ['55', [16]], ['56', [12]], ['6011', [16, 19]], ['62', [16, 19]], ['644', [16]], ['65', [16, 19]], ['67', [12]], ['81', [16]],
    ['9792', [16]],
  ];
  for (const [prefix, lengths] of ranges) {
    for (const length of lengths) assert.ok(isPaymentCardNumber(luhnComplete(prefix, length)), `${prefix} length ${length}`);
  }
  for (const [prefix, length] of [['4', 15], ['51', 15], ['34', 16], ['2721', 16], ['2220', 16], ['3590', 16], ['0', 16], ['7', 16], ['8', 16], ['99', 16]] as const) {
    assert.equal(isPaymentCardNumber(luhnComplete(prefix, length)), false, `${prefix} length ${length}`);
  }
});

test('credit card: a context word raises the confidence, capped at 1', () => {
  const [plain] = creditCardDetector.detect('ref 4111111111111111');
  const [boosted] = creditCardDetector.detect('visa card 4111111111111111');
  assert.ok(plain && boosted);
  assert.ok(boosted.confidence > plain.confidence);
  assert.ok(boosted.confidence <= 1);
});

test('credit card: hostile input finishes (linear scanning)', { timeout: 10000 }, () => {
  const inputs = [
    '4'.repeat(100_000),
    '4111 '.repeat(25_000),
    '4111-'.repeat(25_000),
    '1-'.repeat(50_000),
    ' '.repeat(100_000),
    `${'4111 1111 '.repeat(10_000)}x`,
    '4111 111111 '.repeat(10_000),
    '4111111111111111 '.repeat(6_000),
    '9.'.repeat(50_000),
  ];
  for (const input of inputs) creditCardDetector.detect(input);
});

const alphabet = fc.constantFrom('0', '1', '3', '4', '5', '6', '9', ' ', '-', '.', '/', ',', 'a', '\u00a0', '\ud800', '😀');

test('credit card: never throws; every span is in bounds and a Luhn-valid number of a known issuer', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 120 }), fc.string({ unit: alphabet, maxLength: 120 })), (text) => {
      for (const m of creditCardDetector.detect(text)) {
        assert.equal(m.type, 'CREDIT_CARD');
        assert.ok(m.start >= 0 && m.start < m.end && m.end <= text.length);
        assert.ok(m.confidence >= 0.9 && m.confidence <= 1);
        assert.ok(isPaymentCardNumber(text.slice(m.start, m.end).replace(/[ -]/g, '')));
      }
    }),
    { seed: 7812, numRuns: 3000 },
  );
});

test('credit card: a valid number between non-digit text is always found, bare or grouped', () => {
  const visa = fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 14, maxLength: 14 }).map((ds) => luhnComplete(`4${ds.join('')}`, 16));
  const filler = fc.string({ unit: fc.constantFrom('a', 'b', ' ', ',', '\n', 'é'), maxLength: 10 }).map((s) => ` ${s} `);
  fc.assert(
    fc.property(filler, visa, fc.constantFrom('', ' ', '-'), filler, (before, number, sep, after) => {
      const written = sep === '' ? number : number.match(/.{4}/g)!.join(sep);
      assert.deepEqual(found(`${before}${written}${after}`), [written]);
    }),
    { seed: 16, numRuns: 500 },
  );
});
