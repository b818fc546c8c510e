// The PERSON detector: names after titles and cues, given names with surnames (initials, particles, hyphens,
// accents), what is not a name (months, places, function words), linear time on hostile input, and spans.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { personDetector } from './person.ts';
import { FIRST_NAMES } from './person-names.ts';

const found = (text: string): string[] => personDetector.detect(text).map((m) => text.slice(m.start, m.end));

const cases: { name: string; text: string; expect: string[] }[] = [
  // Titles: the span is the name, without the title (as NER corpora mark it).
  { name: 'a title and a surname', text: 'They call me Mr. Mayers', expect: ['Mayers'] },
  { name: 'a surname that is also a month', text: 'Mr. May', expect: ['May'] },
  { name: 'a title without a full stop and a full name', text: 'Dr Anna Schmidt said so', expect: ['Anna Schmidt'] },
  { name: 'German, French and Spanish titles', text: 'Herr Müller, Mme Élodie Dupont and Señora García', expect: ['Müller', 'Élodie Dupont', 'García'] },
  { name: 'an apostrophe in a surname', text: "Mrs. O'Brien", expect: ["O'Brien"] },
  // Cues.
  { name: '"my name is"', text: 'my name is Dan', expect: ['Dan'] },
  { name: '"name:" in a form', text: 'Name: Wanjiru Kamau', expect: ['Wanjiru Kamau'] },
  { name: '"I am" and "I\'m" with a known given name', text: "I am Priya. I'm Tunde and", expect: ['Priya', 'Tunde'] },
  { name: 'greetings and sign-offs', text: 'Dear John,\nthanks.\nSincerely,\nMaria Lopez', expect: ['John', 'Maria Lopez'] },
  // Given name + surname.
  { name: 'a given name and a surname', text: 'John Oliver is a comedian.', expect: ['John Oliver'] },
  { name: 'a middle name', text: 'Richard Milhous Nixon', expect: ['Richard Milhous Nixon'] },
  { name: 'a middle initial', text: 'Richard M. Nixon resigned', expect: ['Richard M. Nixon'] },
  { name: 'a surname that is a month or a word', text: 'Dan May has a bank account. Dan Bar too.', expect: ['Dan May', 'Dan Bar'] },
  { name: 'surname particles', text: 'Jan van der Berg and Ana de la Cruz', expect: ['Jan van der Berg', 'Ana de la Cruz'] },
  { name: 'hyphens in given name and surname', text: 'Anna-Lena Smith-Jones', expect: ['Anna-Lena Smith-Jones'] },
  { name: 'Mc and Mac surnames', text: 'Sean McDonald met Ian MacArthur', expect: ['Sean McDonald', 'Ian MacArthur'] },
  { name: 'names from several cultures', text: 'Mohammed Al-Farsi, Wei Zhang, Kwame Mensah, Yuki Tanaka', expect: ['Mohammed Al-Farsi', 'Wei Zhang', 'Kwame Mensah', 'Yuki Tanaka'] },
  // Not names.
  { name: 'a month', text: 'I bought my car in May. May 1st, 1977', expect: [] },
  { name: 'a year', text: 'I bought my car in 1972', expect: [] },
  { name: 'a greeting to no one in particular', text: 'Hello World. Dear Sir or Madam, Hi Team', expect: [] },
  { name: 'a given name before a function word', text: 'Mark As Read. Grace Is Enough', expect: [] },
  { name: 'places and firms named after people', text: 'George Washington Bridge, Victoria Station, John Lewis Inc', expect: [] },
  { name: 'a given name alone', text: 'ask John about it', expect: [] },
  { name: 'a capitalized word after a cue that is not a name', text: 'I am Happy. The file name is README', expect: [] },
  { name: '"call me" with a name not in the list', text: 'call me Ishmael', expect: [] },
  { name: 'part of a longer word', text: 'McJohn Smith and xJohn Smith', expect: [] },
  { name: 'lower and upper case', text: 'john smith and JOHN SMITH', expect: [] },
];

for (const c of cases) {
  test(`person: ${c.name}`, () => {
    assert.deepEqual(found(c.text), c.expect);
  });
}

test('person: a title or "name is" is surer than a given name, and a context word raises the latter', () => {
  const confidence = (text: string): number => personDetector.detect(text)[0]!.confidence;
  assert.ok(confidence('Mr. Mayers') > confidence('met John Oliver'));
  assert.ok(confidence('my name is Dan') > confidence('I am Dan'));
  assert.ok(confidence('patient John Oliver') > confidence('met John Oliver'));
});

test('person: the given-name list holds only capitalized names and none of the excluded words', () => {
  assert.ok(FIRST_NAMES.size >= 300);
  for (const name of FIRST_NAMES) assert.match(name, /^\p{Lu}\p{Ll}+$/u, name);
  for (const word of ['May', 'June', 'April', 'Will', 'Hope', 'Paris', 'Jordan', 'Ruby']) assert.ok(!FIRST_NAMES.has(word), word);
});

test('person: hostile input finishes (linear scanning)', { timeout: 10000 }, () => {
  const inputs = [
    'Mr '.repeat(35_000),
    'Mr. '.repeat(25_000),
    'John '.repeat(20_000),
    'John van '.repeat(12_000),
    `John ${'A'.repeat(100_000)}`,
    'Aa '.repeat(35_000),
    'A'.repeat(100_000),
    ' '.repeat(100_000),
    'my name is '.repeat(10_000),
    'my name is Dan '.repeat(7_000),
    "I'm ".repeat(25_000),
    'Anna-Lena-'.repeat(10_000),
    `Mr ${'Ab'.repeat(50_000)}`,
  ];
  for (const input of inputs) personDetector.detect(input);
});

const alphabet = fc.constantFrom('John ', 'Mr. ', 'Dan', 'May', 'Smith', 'van ', 'name is ', "I'm ", 'M. ', 'a', 'The ', '-', ' ', ',', 'É', '\ud800', '😀');

test('person: never throws; every span is in bounds and starts on a capital letter', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 120 }), fc.string({ unit: alphabet, maxLength: 30 })), (text) => {
      for (const m of personDetector.detect(text)) {
        assert.equal(m.type, 'PERSON');
        assert.ok(m.start >= 0 && m.start < m.end && m.end <= text.length);
        assert.ok(m.confidence > 0 && m.confidence <= 1);
        assert.match(text.slice(m.start, m.end), /^\p{Lu}/u);
      }
    }),
    { seed: 1138, numRuns: 3000 },
  );
});

test('person: spans do not overlap', () => {
  fc.assert(
    fc.property(fc.string({ unit: alphabet, maxLength: 30 }), (text) => {
      const spans = personDetector.detect(text);
      for (let i = 1; i < spans.length; i++) assert.ok(spans[i - 1]!.end <= spans[i]!.start);
    }),
    { seed: 1139, numRuns: 2000 },
  );
});
