// The DATE_OF_BIRTH detector: date formats next to birth words in four languages, dates that are not birth
// dates (no birth word, not a real day, too old, in the future, another date's word), linear time on hostile
// input, and spans that always hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { dateOfBirthDetector, daysInMonth } from './date-of-birth.ts';

const found = (text: string): string[] => dateOfBirthDetector.detect(text).map((m) => text.slice(m.start, m.end));

const cases: { name: string; text: string; expect: string[] }[] = [
  { name: 'ISO 8601 after "born"', text: 'She was born 1980-01-31 in Ohio.', expect: ['1980-01-31'] },
  { name: 'US month-first after "DOB:"', text: 'DOB: 01/31/1980', expect: ['01/31/1980'] },
  { name: 'a two-digit year', text: 'DOB 01/31/80', expect: ['01/31/80'] },
  { name: 'European day-first with dots', text: 'Date of birth: 31.01.1980', expect: ['31.01.1980'] },
  { name: 'day month year in words', text: 'I was born 31 January 1980', expect: ['31 January 1980'] },
  { name: 'month day, year', text: 'born on January 31, 1980 in Ohio', expect: ['January 31, 1980'] },
  { name: 'an abbreviated month with an ordinal', text: 'Jan. 31st, 1980 (date of birth)', expect: ['Jan. 31st, 1980'] },
  { name: '"the 3rd of March"', text: 'Born: 3rd of March, 1961', expect: ['3rd of March, 1961'] },
  { name: 'day-MON-year', text: 'dob: 5-May-1990', expect: ['5-May-1990'] },
  { name: 'the date part of an ISO date-time', text: 'birthdate: 1980-01-31T00:00:00Z', expect: ['1980-01-31'] },
  { name: 'the birth word after the date', text: '1980-01-31 is my birthday', expect: ['1980-01-31'] },
  { name: 'German', text: 'Geburtsdatum: 29.02.1984, geboren am 3. März 1975', expect: ['29.02.1984', '3. März 1975'] },
  { name: 'German abbreviation', text: 'Max Muster, geb. 12.05.1970', expect: ['12.05.1970'] },
  { name: 'French', text: 'née le 3 mars 1975, date de naissance : 14/07/1989', expect: ['3 mars 1975', '14/07/1989'] },
  { name: 'Spanish', text: 'fecha de nacimiento: 31 de enero de 1980', expect: ['31 de enero de 1980'] },
  { name: 'upper-case words', text: 'DATE OF BIRTH 12 DECEMBER 1955', expect: ['12 DECEMBER 1955'] },
  { name: 'a leap day in a leap year', text: 'DOB: 02/29/2000', expect: ['02/29/2000'] },
  // Dates that are not birth dates.
  { name: 'a date with no birth word', text: 'Meeting on 2024-01-15 at noon, invoice dated 31.01.1980', expect: [] },
  { name: 'a birth word too far away', text: `born in a small town far away, ${'x'.repeat(50)} 1980-01-31`, expect: [] },
  { name: 'the other date in the sentence', text: 'Hired 2010-05-01, born 1980-01-31', expect: ['1980-01-31'] },
  { name: 'a second date after the birth date', text: 'born 1980-01-31; joined 2005-02-02', expect: ['1980-01-31'] },
  { name: 'a birth word closing its clause', text: 'Ann 1980-01-31 (born), hired 2010-05-01', expect: ['1980-01-31'] },
  { name: 'a month 13', text: 'DOB: 1980-13-01', expect: [] },
  { name: 'February 30', text: 'geb. 30.02.1984', expect: [] },
  { name: 'a leap day in a common year', text: 'DOB: 02/29/2001', expect: [] },
  { name: '1900 was not a leap year (Gregorian century rule)', text: 'born 1900-02-29', expect: [] },
  { name: 'a year before 1900', text: 'born 1899-12-31', expect: [] },
  { name: 'a date in the future', text: 'birthday 2999-01-01', expect: [] },
  { name: 'a version or a longer number', text: 'born 12.5.1.2, dob 1980-01-311', expect: [] },
  { name: 'a word that contains a birth word', text: 'reborn 1980-01-31, stubborn 1980-01-31, births 1980-01-31', expect: [] },
  { name: 'a month name that is a word', text: 'born in May 1980', expect: [] },
];

for (const c of cases) {
  test(`date of birth: ${c.name}`, () => {
    assert.deepEqual(found(c.text), c.expect);
  });
}

test('date of birth: a four-digit year is surer than a two-digit one', () => {
  const [full] = dateOfBirthDetector.detect('DOB 01/31/1980');
  const [short] = dateOfBirthDetector.detect('DOB 01/31/80');
  assert.ok(full && short && full.confidence > short.confidence);
});

test('date of birth: days in a month, with the Gregorian leap-year rule', () => {
  assert.deepEqual(
    Array.from({ length: 12 }, (_, i) => daysInMonth(2023, i + 1)),
    [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31],
  );
  assert.equal(daysInMonth(2024, 2), 29);
  assert.equal(daysInMonth(1900, 2), 28);
  assert.equal(daysInMonth(2000, 2), 29);
});

test('date of birth: hostile input finishes (linear scanning)', { timeout: 10000 }, () => {
  const inputs = [
    'born '.repeat(20_000),
    'born 1980-01-'.repeat(8_000),
    `born ${'1'.repeat(100_000)}`,
    '1980-01-31 '.repeat(10_000),
    'dob 31 January '.repeat(7_000),
    `${'19'.repeat(50_000)} born`,
    ' '.repeat(100_000),
    '1/1/19 born '.repeat(9_000),
    'né '.repeat(30_000),
    'born 1980-01-31 '.repeat(6_000),
  ];
  for (const input of inputs) dateOfBirthDetector.detect(input);
});

const alphabet = fc.constantFrom('0', '1', '2', '9', '-', '/', '.', ' ', ',', 'born ', 'DOB ', 'Jan ', 'né ', 'a', '\ud800', '😀');

test('date of birth: never throws; every span is in bounds and begins and ends on a digit or a letter', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 120 }), fc.string({ unit: alphabet, maxLength: 60 })), (text) => {
      for (const m of dateOfBirthDetector.detect(text)) {
        assert.equal(m.type, 'DATE_OF_BIRTH');
        assert.ok(m.start >= 0 && m.start < m.end && m.end <= text.length);
        assert.ok(m.confidence > 0 && m.confidence <= 1);
        assert.match(text.slice(m.start, m.end), /^[\dA-Za-zÀ-ÿ].*\d$/s);
      }
    }),
    { seed: 1980, numRuns: 3000 },
  );
});

test('date of birth: without a birth word no date is ever reported', () => {
  const date = fc.tuple(fc.integer({ min: 1900, max: 2020 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 }));
  const filler = fc.constantFrom('on', 'the', 'meeting', 'invoice', 'dated', 'due', ',', 'x');
  fc.assert(
    fc.property(fc.array(fc.oneof(date.map(([y, m, d]) => `${y}-${m}-${d}`), date.map(([y, m, d]) => `${d}.${m}.${y}`), filler), { maxLength: 20 }), (words) => {
      assert.deepEqual(found(words.join(' ')), []);
    }),
    { seed: 31, numRuns: 500 },
  );
});
