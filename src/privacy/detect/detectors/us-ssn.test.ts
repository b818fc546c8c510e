// The US_SSN detector: the formats an SSN is written in, the SSA's never-issued numbers and published examples,
// separators, ZIP+4 codes, confidence with and without "SSN" near, linear time on hostile input, and spans.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isPlausibleSsn, usSsnDetector } from './us-ssn.ts';

const found = (text: string): string[] => usSsnDetector.detect(text).map((m) => text.slice(m.start, m.end));

const cases: { name: string; text: string; expect: string[] }[] = [
  { name: 'dashes', text: '078-05-1123', expect: ['078-05-1123'] },
  { name: 'dots', text: '078.05.1123', expect: ['078.05.1123'] },
  { name: 'spaces, inside text', text: 'abc 078 05 1123 abc', expect: ['078 05 1123'] },
  { name: 'nine bare digits', text: 'ssn 078051121', expect: ['078051121'] },
  { name: 'half-formatted AAA-GGSSSS and AAAGG-SSSS', text: '078-051121 07805-1121', expect: ['078-051121', '07805-1121'] },
  { name: 'in a sentence, with punctuation after', text: 'My SSN is 536-22-1234.', expect: ['536-22-1234'] },
  { name: 'several in a list', text: '536-22-1234, 432-11-8765; 219-09-9998', expect: ['536-22-1234', '432-11-8765', '219-09-9998'] },
  // SSA rules (POMS RM 10201.035): these were never issued.
  { name: 'area 000', text: '000-12-3456', expect: [] },
  { name: 'area 666', text: '666-12-3456', expect: [] },
  { name: 'area 900-999 (ITINs and unassigned)', text: '900-12-3456 950-12-3456 999-12-3456', expect: [] },
  { name: 'group 00', text: '078 00 1123', expect: [] },
  { name: 'serial 0000', text: '078-05-0000', expect: [] },
  { name: 'nine zeros and a repeated digit', text: '000000000 111-11-1111 666000000', expect: [] },
  // Numbers the SSA voided after they were published.
  { name: 'the Woolworth wallet card number', text: '078-05-1120 078051120', expect: [] },
  { name: 'the 1940s advertising sample', text: '219-09-9999', expect: [] },
  { name: 'the sequential placeholder', text: '123-45-6789', expect: [] },
  { name: 'the range reserved for advertisements', text: '987-65-4320 987-65-4325 987-65-4329', expect: [] },
  // Shapes that are not SSNs.
  { name: 'mixed separators', text: '693-09.4444 078-05 1123 078 05-1123', expect: [] },
  { name: 'ten digits', text: '0780511201', expect: [] },
  { name: 'part of a longer number', text: '1078-05-1123 078-05-11234 078-05-1123-4 078.05.1123.4', expect: [] },
  { name: 'part of a longer space-separated run', text: '12 078 05 1123 and 078 05 1123 45', expect: [] },
  { name: 'inside a word', text: 'A078-05-1123 078-05-1123B', expect: [] },
  { name: 'a phone number', text: '415-555-0132 (415) 555-0132', expect: [] },
  { name: 'a ZIP+4 code after a state', text: 'Springfield, IL 62704-1234 and Boston, MA  02110-1301', expect: [] },
  { name: 'a ZIP+4 code with a postal word', text: 'zip code 94105-1234', expect: [] },
];

for (const c of cases) {
  test(`us ssn: ${c.name}`, () => {
    assert.deepEqual(found(c.text), c.expect);
  });
}

test('us ssn: SSA structural rules at their edges', () => {
  for (const ok of ['001010001', '665999999', '667010001', '899999999', '078051121', '219099998']) {
    assert.equal(isPlausibleSsn(ok), true, ok);
  }
  for (const bad of ['000123456', '666123456', '900123456', '999999999', '123004567', '123450000', '555555555', '219099999', '987654320', '987654329']) {
    assert.equal(isPlausibleSsn(bad), false, bad);
  }
});

test('us ssn: dashed numbers are surer than spaced ones, and bare or half-formatted ones are weak', () => {
  const confidence = (text: string): number => usSsnDetector.detect(text)[0]!.confidence;
  const dashed = confidence('536-22-1234');
  const spaced = confidence('536 22 1234');
  const bare = confidence('536221234');
  const half = confidence('536-221234');
  assert.ok(dashed > spaced && spaced > bare && bare > half);
  assert.ok(bare < 0.5, 'a bare nine-digit run alone stays below the usual threshold');
});

test('us ssn: "SSN" or "social security" near a bare run raises it above 0.5', () => {
  for (const text of ['SSN: 536221234', 'social security number 536221234', '536221234 (ssn)']) {
    const [m] = usSsnDetector.detect(text);
    assert.ok(m && m.confidence > 0.5, text);
  }
});

test('us ssn: a ZIP+4-shaped number with "SSN" near is still an SSN', () => {
  assert.deepEqual(found('SSN 62704-1234'), ['62704-1234']);
});

test('us ssn: hostile input finishes (linear scanning)', { timeout: 10000 }, () => {
  const inputs = [
    '1'.repeat(100_000),
    '123-45-'.repeat(15_000),
    '123 45 '.repeat(15_000),
    '12345-'.repeat(15_000),
    '1.'.repeat(50_000),
    ' '.repeat(100_000),
    '536-22-1234 '.repeat(8_000),
  ];
  for (const input of inputs) usSsnDetector.detect(input);
});

const alphabet = fc.constantFrom('0', '1', '2', '5', '6', '7', '8', '9', ' ', '-', '.', '/', ':', 'a', 'S', '\u00a0', '\ud800', '😀');

test('us ssn: never throws; every span is in bounds, nine digits with one kind of separator, and plausible', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 120 }), fc.string({ unit: alphabet, maxLength: 120 })), (text) => {
      for (const m of usSsnDetector.detect(text)) {
        assert.equal(m.type, 'US_SSN');
        assert.ok(m.start >= 0 && m.start < m.end && m.end <= text.length);
        assert.ok(m.confidence > 0 && m.confidence <= 1);
        const value = text.slice(m.start, m.end);
        assert.match(value, /^\d[\d]*(?:([-. ])\d+(?:\1\d+)?)?$/);
        const digits = value.replace(/\D/g, '');
        assert.equal(digits.length, 9);
        assert.ok(isPlausibleSsn(digits));
      }
    }),
    { seed: 1936, numRuns: 3000 },
  );
});

test('us ssn: a plausible dashed number between non-digit text is always found', () => {
  const ssn = fc
    .tuple(fc.integer({ min: 1, max: 899 }), fc.integer({ min: 1, max: 99 }), fc.integer({ min: 1, max: 9999 }))
    .filter(([area]) => area !== 666)
    .map(([a, g, s]) => `${String(a).padStart(3, '0')}-${String(g).padStart(2, '0')}-${String(s).padStart(4, '0')}`)
    .filter((v) => isPlausibleSsn(v.replace(/-/g, '')));
  const filler = fc.string({ unit: fc.constantFrom('a', 'b', ' ', ',', '\n', 'é'), maxLength: 10 }).map((s) => ` ${s} `);
  fc.assert(
    fc.property(filler, ssn, filler, (before, value, after) => {
      assert.deepEqual(found(`${before}${value}${after}`), [value]);
    }),
    { seed: 1935, numRuns: 500 },
  );
});
