// Person names, best effort and without a language model: a capitalized name after a title ("Mr. May",
// "Dr Anna Schmidt"), after a cue ("my name is Dan", "Dear John", "I am Priya"), or a known given name
// followed by a capitalized surname ("John Oliver", "Richard M. Nixon").
//
// How good it is, measured when it was written:
// - Presidio's PERSON cases (21 texts, 12 names; the labels are what NER models are expected to find):
//   precision 0.92, recall 0.92. The one miss is "his name is Mr. May", labeled with its title.
// - Precision on ordinary text is high: 0.9 MB of licences and the Vim user manual gave 55 matches, all names;
//   10 MB of package READMEs and the Vim manuals gave 4630, of which 40 sampled were all names and one found
//   was not ("file name: Setting").
// - Recall is the weak side: of 937 people credited as "(Given Surname)" in Vim's release notes it finds 49%.
//   Not found: a surname alone, a given name not in the list, names in lower or upper case, non-Latin scripts.
// Use it to flag names, not to promise that none are left.
import type { Detector, PiiMatch } from '../detector.ts';
import { contextBoost, contextWords } from '../context.ts';
import { FIRST_NAMES } from './person-names.ts';
import { TextProfile } from '../text-profile.ts';

// Letters of Latin scripts, written out rather than as \p{Lu}/\p{Ll}: with those, V8 scans text that holds any
// character outside Latin-1 about ten times slower. Latin Extended-A (U+0100-U+017F) alternates upper and
// lower case, so it is in both classes.
const UPPER = 'A-ZÀ-ÖØ-ÞĀ-ſ';
const LOWER = 'a-zß-öø-ÿĀ-ſ';

// A name word: "Smith", "O'Brien", "McDonald", "DeVito", "Smith-Jones". Bounded, and the optional middle part
// ends on an upper-case letter the rest cannot start with, so it backtracks at most three steps.
const WORD = `[${UPPER}](?:['’][${UPPER}]|[${LOWER}]{1,3}[${UPPER}])?[${LOWER}]{1,24}(?:-[${UPPER}][${LOWER}]{1,24})?`;
const INITIAL = `[${UPPER}]\\.`;
const PARTICLE = '(?:van|von|de|da|del|della|der|den|di|du|la|le|bin|ibn|al|dos|das|ten|ter)';
const PARTICLES = `(?:${PARTICLE} ){1,2}`; // "van der Berg", "de la Cruz"
const NAME_WORD = new RegExp(WORD, 'y');
/** One more part of a name: a word, a middle initial, or a surname with its particle ("van Gogh"). */
const NAME_PART = new RegExp(` {1,2}(?:${INITIAL}|(?:${PARTICLES})?${WORD})`, 'y');
/** "Richard Milhous Nixon", "Anna Maria de la Cruz": at most this many parts after the first word. */
const MAX_MORE_PARTS = 3;

// Cues a name follows: "name is", "name:", "I'm", "I am" and "call me". The scan starts on the letter they all
// share, 'm', and lookbehinds check the rest (the "na" of "name" is checked in code): one starting letter lets
// the engine skip text half again as fast as an alternation of the cues. A capital must follow.
const CUE = new RegExp(`m(?:e(?: is|:)|(?<=I'm|I am)|e(?<=call me)) {1,2}(?=[${UPPER}])`, 'g');
/** The CUE matches that are "name is" or "name:". */
const NAME_CUE = /^me(?: is|:)/;

const TITLES = new Set([
  'Mr', 'Mrs', 'Ms', 'Mx', 'Miss', 'Dr', 'Prof', 'Sir', 'Dame', 'Lady', 'Lord', 'Herr', 'Frau', 'Mme', 'Mlle', 'Monsieur',
  'Madame', 'Señor', 'Señora', 'Sr', 'Sra', 'Rev', 'Hon', 'Capt', 'Sgt', 'Lt', 'Col',
]);
const GREETINGS = new Set(['Dear', 'Hi', 'Hello', 'Hey', 'Signed', 'Sincerely', 'Patient', 'Customer', 'Client', 'Attn']);

// Two capitalized words in a row (the first may end in '.', the second may follow a particle): where
// titles, greetings and "given name + surname" all start. The first word must be a title, a greeting or a
// given name, so the scan starts only on the letters those begin with: the fewer, the faster the engine
// skips text. The first word is captured to be looked up.
const FIRST_LETTERS = [...new Set([...TITLES, ...GREETINGS, ...FIRST_NAMES].map((w) => w[0]!))].join('');
const PAIR = new RegExp(`([${FIRST_LETTERS}][${LOWER}]{1,20}(?:-[${UPPER}][${LOWER}]{1,20})?)(\\.?) {1,2}(?:${PARTICLES})?[${UPPER}]`, 'g');

/** Capitalized words that do not continue a name: function words, days, and what places and firms end in. */
const NOT_A_NAME = new Set([
  'The', 'A', 'An', 'And', 'Or', 'But', 'Nor', 'Is', 'Was', 'Are', 'Were', 'Be', 'Of', 'In', 'On', 'At', 'To', 'For',
  'From', 'With', 'By', 'As', 'If', 'It', 'Its', 'He', 'She', 'We', 'They', 'I', 'You', 'This', 'That', 'These',
  'Those', 'My', 'His', 'Her', 'Our', 'Their', 'Your', 'Not', 'No', 'Yes', 'Do', 'Does', 'Did', 'Has', 'Have', 'Had',
  'Will', 'Would', 'Can', 'Could', 'Should', 'Must', 'Shall', 'So', 'Then', 'Than', 'There', 'Here', 'When', 'Where',
  'What', 'Who', 'Why', 'How', 'All', 'Any', 'Some', 'Each', 'Every', 'New', 'Old', 'Monday', 'Tuesday', 'Wednesday',
  'Thursday', 'Friday', 'Saturday', 'Sunday',
]);
const PLACE_OR_FIRM = new Set([
  'Street', 'Avenue', 'Road', 'Lane', 'Drive', 'Boulevard', 'Square', 'Park', 'River', 'Lake', 'Mountain', 'Beach',
  'Bay', 'Island', 'County', 'City', 'Town', 'University', 'College', 'School', 'Institute', 'Hospital', 'Clinic',
  'Center', 'Centre', 'Station', 'Airport', 'Hall', 'Church', 'Bridge', 'Tower', 'Building', 'Inc', 'Ltd', 'Llc',
  'Corp', 'Corporation', 'Company', 'Group', 'Bank', 'Foundation', 'Association', 'Society', 'Club', 'Press', 'Hotel',
  'Award', 'Prize', 'Act', 'Day',
]);

const TITLE_CONFIDENCE = 0.8;
const NAME_IS_CONFIDENCE = 0.75;
const GIVEN_NAME_CUE_CONFIDENCE = 0.6;
const GIVEN_AND_SURNAME_CONFIDENCE = 0.6;
const CONTEXT_WORDS = contextWords(['name', 'named', 'patient', 'customer', 'client', 'employee', 'contact', 'signed', 'author', 'user', 'member']);

/** PERSON: names after titles and cues, and known given names with a surname. See the header for how well. */
export const personDetector: Detector = {
  type: 'PERSON',
  detect(text: string, profile: TextProfile = new TextProfile(text)): PiiMatch[] {
    // Every rule ends on a capitalized word.
    if (!profile.mayHoldCapital()) return [];
    const fromPairs: PiiMatch[] = [];
    // The regexes are shared and rewound: cheaper than a copy per call, and detect() is synchronous.
    const pair = PAIR;
    pair.lastIndex = 0;
    for (let m = pair.exec(text); m !== null; m = pair.exec(text)) {
      const secondWord = m.index + m[0].length - 1;
      const match = isWordStart(text, m.index) ? fromPair(text, m.index, m[1]!, m[2] === '.', secondWord) : undefined;
      if (match) fromPairs.push(match);
      pair.lastIndex = match ? match.end : secondWord;
    }
    const fromCues: PiiMatch[] = [];
    const cue = CUE;
    cue.lastIndex = 0;
    for (let m = cue.exec(text); m !== null; m = cue.exec(text)) {
      const match = afterCue(text, m.index, m[0]);
      if (match) fromCues.push(match);
    }
    return mergeDisjoint(fromPairs, fromCues);
  },
};

/** Both lists sorted and each free of overlaps: all of `first`, and what of `second` overlaps none of it. */
function mergeDisjoint(first: readonly PiiMatch[], second: readonly PiiMatch[]): PiiMatch[] {
  if (second.length === 0) return [...first];
  const merged: PiiMatch[] = [];
  let i = 0;
  for (const m of second) {
    while (i < first.length && first[i]!.end <= m.start) merged.push(first[i++]!);
    const last = merged[merged.length - 1];
    if ((i < first.length && first[i]!.start < m.end) || (last && last.end > m.start)) continue;
    merged.push(m);
  }
  while (i < first.length) merged.push(first[i++]!);
  return merged;
}

/** A pair of capitalized words at `start`: a title or greeting and a name, or a given name and a surname. */
function fromPair(text: string, start: number, first: string, dotted: boolean, secondWord: number): PiiMatch | undefined {
  // The span is the name without the title, as NER corpora (CoNLL, OntoNotes) mark it.
  if (TITLES.has(first)) {
    const end = nameEnd(text, secondWord, 'any', 0);
    return end === undefined ? undefined : person(secondWord, end, TITLE_CONFIDENCE);
  }
  if (GREETINGS.has(first)) {
    const end = nameEnd(text, secondWord, 'given', 0);
    return end === undefined ? undefined : person(secondWord, end, GIVEN_NAME_CUE_CONFIDENCE);
  }
  if (dotted || !isGivenName(first)) return undefined;
  const end = nameEnd(text, start, 'given', 1);
  return end === undefined ? undefined : person(start, end, contextBoost(GIVEN_AND_SURNAME_CONFIDENCE, text, start, end, CONTEXT_WORDS));
}

/** After "name is" or "name:" any capitalized name will do; after "I am" or "call me" only a known given name. */
function afterCue(text: string, at: number, matched: string): PiiMatch | undefined {
  const anyName = NAME_CUE.test(matched);
  let cueStart: number;
  if (anyName) {
    cueStart = at - 2;
    if (cueStart < 0 || text.slice(cueStart + 1, at) !== 'a' || (text[cueStart] !== 'n' && text[cueStart] !== 'N')) return undefined;
  } else if (matched.startsWith('me')) {
    cueStart = at - 'call '.length - 1;
  } else {
    cueStart = text[at - 1] === "'" ? at - 2 : at - 3;
  }
  if (!isWordStart(text, cueStart)) return undefined;
  const start = at + matched.length;
  const end = nameEnd(text, start, anyName ? 'any' : 'given', 0);
  return end === undefined ? undefined : person(start, end, anyName ? NAME_IS_CONFIDENCE : GIVEN_NAME_CUE_CONFIDENCE);
}

/**
 * Where the name that starts at `start` ends, or undefined if there is none there. Its first word is not a
 * function word or a title ('given': it is a known given name); at least `minMore` words follow it (middle
 * initials do not count, and a name does not end on one); and a name that runs into "Street" or "Inc" is a
 * place or a firm.
 */
function nameEnd(text: string, start: number, head: 'any' | 'given', minMore: number): number | undefined {
  NAME_WORD.lastIndex = start;
  const first = NAME_WORD.exec(text)?.[0];
  if (first === undefined || NOT_A_NAME.has(first) || TITLES.has(first)) return undefined;
  if (head === 'given' && !isGivenName(first)) return undefined;
  let at = start + first.length;
  let end = at;
  let more = 0;
  for (let k = 0; k < MAX_MORE_PARTS; k++) {
    NAME_PART.lastIndex = at;
    const part = NAME_PART.exec(text)?.[0];
    if (part === undefined) break;
    const word = part.slice(part.lastIndexOf(' ') + 1);
    if (NOT_A_NAME.has(word)) break;
    if (PLACE_OR_FIRM.has(word)) return undefined;
    at += part.length;
    if (!word.endsWith('.')) {
      more++;
      end = at;
    }
  }
  return more >= minMore && isWordEnd(text, end) ? end : undefined;
}

/** A listed given name, or a double one whose first half is listed ("Anna-Lena", "Jean-Pierre"). */
function isGivenName(word: string): boolean {
  if (FIRST_NAMES.has(word)) return true;
  const hyphen = word.indexOf('-');
  return hyphen > 0 && FIRST_NAMES.has(word.slice(0, hyphen));
}

function person(start: number, end: number, confidence: number): PiiMatch {
  return { type: 'PERSON', start, end, confidence };
}

/** Not preceded by a letter, a digit, an apostrophe or a hyphen (so "McDonald" holds no "Donald"). */
function isWordStart(text: string, at: number): boolean {
  if (at === 0) return true;
  const c = text.charCodeAt(at - 1);
  return !isLetterOrDigit(c) && c !== 39 && c !== 0x2019 && c !== 45;
}

function isWordEnd(text: string, at: number): boolean {
  return at >= text.length || !isLetterOrDigit(text.charCodeAt(at));
}

function isLetterOrDigit(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || (code >= 0xc0 && code <= 0x24f && code !== 0xd7 && code !== 0xf7);
}
