// The PHONE detector: international and national numbers of the default regions, the words that decide a bare
// run of digits, the number-like things that are not phones (times, dates, versions, IPs, cards, SSNs, ids),
// linear time on hostile input, and spans that always hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PHONE_DEFAULT_REGIONS, phoneDetector } from './phone.ts';

const found = (text: string): string[] => phoneDetector.detect(text).map((m) => text.slice(m.start, m.end));

const cases: { name: string; text: string; expect: string[] }[] = [
  // North America.
  { name: 'US national with parentheses', text: 'My US number is (415) 555-0132, thanks', expect: ['(415) 555-0132'] },
  { name: 'US national without a space after the area code', text: '_: (415)555-0132', expect: ['(415)555-0132'] },
  { name: 'US dashed, dotted and spaced', text: 'US: 415-555-0132, 415.555.0132 or 415 555 0132', expect: ['415-555-0132', '415.555.0132', '415 555 0132'] },
  { name: 'US with the trunk 1 and a toll-free code', text: 'call 1-800-555-0199', expect: ['1-800-555-0199'] },
  { name: 'US international', text: 'my international one is +1 415 555 0132', expect: ['+1 415 555 0132'] },
  { name: 'US international with an extension after it', text: '+1 (415) 555-0132 ext. 12', expect: ['+1 (415) 555-0132'] },
  { name: 'two numbers in one run of spaced digits', text: 'lines 415 555 0132 415 555 0199', expect: ['415 555 0132', '415 555 0199'] },
  { name: 'a number glued to a word, in three groups', text: 'my international one is415-555-0132', expect: ['415-555-0132'] },
  // Elsewhere, international.
  { name: 'Brazil', text: 'Brazil: +55 11 98456 5666', expect: ['+55 11 98456 5666'] },
  { name: 'UK with the area code in parentheses', text: 'one is +44 (20) 7123 4567', expect: ['+44 (20) 7123 4567'] },
  { name: 'Germany', text: 'Berlin +49 30 1234567', expect: ['+49 30 1234567'] },
  { name: 'Italy (no trunk prefix, found with +)', text: 'Roma +39 06 678 4343', expect: ['+39 06 678 4343'] },
  { name: 'Greece', text: 'Athens +30 21 0 1234567', expect: ['+30 21 0 1234567'] },
  { name: 'France in pairs', text: 'Paris +33 1 42 68 53 00', expect: ['+33 1 42 68 53 00'] },
  { name: 'India', text: 'India +91 4155 550132 or +91 98765 43210', expect: ['+91 4155 550132', '+91 98765 43210'] },
  { name: 'China and Japan', text: '+86 138 1234 5678 / +81 90-1234-5678', expect: ['+86 138 1234 5678', '+81 90-1234-5678'] },
  { name: 'a country code without +, as its own group', text: 'one is 91-415-555-0132', expect: ['91-415-555-0132'] },
  { name: 'an international call prefix instead of +', text: 'dial 0044 20 7123 4567', expect: ['0044 20 7123 4567'] },
  // Elsewhere, national: the trunk prefix is written.
  { name: 'Israel', text: 'My Israeli number is 09-7625400', expect: ['09-7625400'] },
  { name: 'Japan mobile and Tokyo', text: 'My Japanese number is 090-1234-5678, office 03-1234-5678', expect: ['090-1234-5678', '03-1234-5678'] },
  { name: 'UK mobile and London', text: 'mobile 07700 900123, office 020 7123 4567', expect: ['07700 900123', '020 7123 4567'] },
  { name: 'UK with the trunk 0 in parentheses', text: 'Tel +44 (0)20 7123 4567', expect: ['+44 (0)20 7123 4567'] },
  { name: 'Germany with a slash', text: 'Fon: 089/12345678', expect: ['089/12345678'] },
  { name: 'France', text: 'appelez le 01 42 68 53 00', expect: ['01 42 68 53 00'] },
  { name: 'Australia', text: 'Sydney (02) 9876 5432', expect: ['(02) 9876 5432'] },
  { name: 'Brazil national', text: 'São Paulo (11) 98456-5666', expect: ['(11) 98456-5666'] },
  { name: 'India national', text: 'Mumbai 022 2345 6789', expect: ['022 2345 6789'] },
  { name: 'China mobile, spaced as Chinese numbers are', text: 'mobile 138 1234 5678', expect: ['138 1234 5678'] },
  { name: 'China mobile, bare, with "number" near', text: 'My CN number is 13812345678', expect: ['13812345678'] },
  { name: 'a bare US number', text: 'reach me at 4155550132', expect: ['4155550132'] },
  { name: 'a number after Chinese text, without a space', text: '电话13812345678', expect: ['13812345678'] },
  // Things that look like numbers but are not phones.
  { name: 'a timestamp', text: 'logged at 2024-01-15 10:30:00 by cron', expect: [] },
  { name: 'an ISO date-time', text: 'at 2024-01-15T10:30:00Z and 20240115T103000', expect: [] },
  { name: 'a time of day', text: 'at 10:30:45 sharp', expect: [] },
  { name: 'dates', text: 'on 2024-01-15, 01/15/2024, 15.01.2024 and 15-01-2024', expect: [] },
  { name: 'an order number', text: 'Order #123456789 and order 4155550132 shipped', expect: [] },
  { name: 'version strings', text: 'v10.15.3, 1.2.3.4 and 10.0.19041.1', expect: [] },
  { name: 'IP addresses', text: 'hosts 192.168.100.200 and 10.0.0.1', expect: [] },
  { name: 'card numbers', text: 'card 4111 1111 1111 1111 or 4111111111111111', expect: [] },
  { name: 'SSNs', text: 'ssn 078-05-1123 or 078 05 1123', expect: [] },
  { name: 'decimals, amounts and percentages', text: 'pi 3.14159265358, total 1234567.89, $4155550132, 4155550132%', expect: [] },
  { name: 'a Unix timestamp', text: 'epoch 1700000000 or 1700000000123', expect: [] },
  { name: 'ISBNs', text: 'ISBN 978-3-16-148410-0, (O\'Reilly, ISBN 0-596-00461-3)', expect: [] },
  { name: 'placeholder digits', text: 'digits 0123456789 and 1234567890', expect: [] },
  { name: 'ZIP+4 codes', text: 'zip 94105-1234; Boston, MA  02110-1301 USA', expect: [] },
  { name: 'digits inside a name glued with hyphens', text: 'font -misc-fixed-medium-r-normal--18-120-100-100-c-90-iso10646-1', expect: [] },
  { name: 'a hex dump', text: 'buf 0a 00 00 00 00 00 00 00 28 13 de 02 00 00 00 00 05', expect: [] },
  { name: 'digits in an identifier', text: 'uuid 550e8400-e29b-41d4-a716-446655440000, sha 1234567 abc', expect: [] },
  { name: 'figures in a row grouped unlike any phone number', text: 'scores 1477 4617 831 and 8687 195 2155', expect: [] },
  { name: 'a national number without its trunk prefix', text: 'Tokyo 3-1234-5678, Japan 90 1234 5678', expect: [] },
  { name: 'a subscriber number without area code', text: 'call 555-0132', expect: [] },
  { name: 'a number after a single letter', text: 'x415-555-0132', expect: [] },
];

for (const c of cases) {
  test(`phone: ${c.name}`, () => {
    assert.deepEqual(found(c.text), c.expect);
  });
}

test('phone: national numbers are tried in the US first', () => {
  assert.equal(PHONE_DEFAULT_REGIONS[0], 'US');
  assert.ok(PHONE_DEFAULT_REGIONS.includes('GB') && PHONE_DEFAULT_REGIONS.includes('JP'));
});

test('phone: a bare run of digits needs a North American shape, a trunk prefix or a phone word', () => {
  assert.deepEqual(found('13812345678'), []);
  assert.deepEqual(found('call 13812345678'), ['13812345678']);
  assert.deepEqual(found('07700900123'), ['07700900123']);
  assert.deepEqual(found('invoice 07700900123'), []);
  assert.deepEqual(found('invoice 07700900123, phone'), ['07700900123']);
});

test('phone: international is surer than national, national formatted surer than bare, and phone words raise all', () => {
  const confidence = (text: string): number => phoneDetector.detect(text)[0]!.confidence;
  const international = confidence('x +1 415 555 0132');
  const formatted = confidence('x (415) 555-0132');
  const bare = confidence('x 4155550132');
  assert.ok(international > formatted && formatted > bare);
  assert.ok(confidence('phone: 4155550132') > bare);
  assert.ok(confidence('tel +1 415 555 0132') <= 1);
});

test('phone: hostile input finishes (linear scanning)', { timeout: 10000 }, () => {
  const inputs = [
    '4'.repeat(100_000),
    '12 '.repeat(35_000),
    '415 555 0132 '.repeat(8_000),
    '415-'.repeat(25_000),
    '1-'.repeat(50_000),
    '(415) '.repeat(17_000),
    '+1 '.repeat(35_000),
    '('.repeat(100_000),
    ' '.repeat(100_000),
    '0.'.repeat(50_000),
    '12:'.repeat(35_000),
    'a415-555-0132 '.repeat(7_000),
  ];
  for (const input of inputs) phoneDetector.detect(input);
});

const alphabet = fc.constantFrom('0', '1', '2', '4', '5', '7', '9', ' ', '-', '.', '/', '(', ')', '+', ':', '#', 'a', '\u00a0', '电', '\ud800', '😀');

test('phone: never throws; every span is in bounds, starts at +, ( or a digit, ends on a digit, and holds 8-19 digits', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 120 }), fc.string({ unit: alphabet, maxLength: 120 })), (text) => {
      for (const m of phoneDetector.detect(text)) {
        assert.equal(m.type, 'PHONE');
        assert.ok(m.start >= 0 && m.start < m.end && m.end <= text.length);
        assert.ok(m.confidence > 0 && m.confidence <= 1);
        const value = text.slice(m.start, m.end);
        assert.match(value, /^[+(\d][\d ().\-/\u00a0]*\d$/);
        // E.164 allows 15 digits; an international prefix written for '+' ("0044") adds up to four.
        const digits = value.replace(/\D/g, '').length;
        assert.ok(digits >= 8 && digits <= 19, value);
      }
    }),
    { seed: 164, numRuns: 2000 },
  );
});

test('phone: a US number written any usual way, between words, is found whole', () => {
  const npa = fc.integer({ min: 201, max: 989 }).filter((n) => n % 100 !== 11 && ![555, 666, 800, 900].includes(n));
  const number = fc.tuple(npa, fc.integer({ min: 200, max: 999 }), fc.integer({ min: 0, max: 9999 }), fc.constantFrom('(A) B-C', 'A-B-C', 'A.B.C', '+1 A B C', '1-A-B-C'));
  fc.assert(
    fc.property(number, ([a, b, c, format]) => {
      const value = format.replace('A', String(a)).replace('B', String(b)).replace('C', String(c).padStart(4, '0'));
      const hits = found(`call me at ${value} today`);
      // Not every area code is assigned; an assigned one is found exactly.
      if (hits.length > 0) assert.deepEqual(hits, [value]);
    }),
    { seed: 2125, numRuns: 500 },
  );
});
