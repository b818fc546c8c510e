// Dates of birth: a calendar date with a plausible birth year, next to a word that says it is one ("born",
// "DOB", "geboren", "née" ...). A date alone is just a date: without such a word nothing is reported.
import type { Detector, PiiMatch } from '../detector.ts';
import { CONTEXT_WINDOW } from '../context.ts';
import { codeAt } from '../char-code.ts';
import { TextProfile } from '../text-profile.ts';

// Birth words in English, German, French and Spanish, factored by first letter: an alternation that starts
// with fewer distinct letters scans faster. Whole words are checked in code (isWholeWord), since \b would
// not see 'é' as a letter and a lookbehind here makes the scan three times slower.
const BIRTH_WORD = /b(?:orn|irth(?:days?|dates?)?)|d(?:ob|\.o\.b\.?)|geb(?:oren|\.|urtsdatum|urtstag)|n(?:ée?|aissance|acid[oa]|acimiento)/gi;

const MONTHS = new Map<string, number>();
const monthNames: readonly (readonly string[])[] = [
  ['january', 'jan', 'januar', 'jänner', 'janvier', 'enero'],
  ['february', 'feb', 'februar', 'février', 'fevrier', 'febrero'],
  ['march', 'mar', 'märz', 'maerz', 'mars', 'marzo'],
  ['april', 'apr', 'avril', 'abril'],
  ['may', 'mai', 'mayo'],
  ['june', 'jun', 'juni', 'juin', 'junio'],
  ['july', 'jul', 'juli', 'juillet', 'julio'],
  ['august', 'aug', 'août', 'aout', 'agosto'],
  ['september', 'sep', 'sept', 'septembre', 'septiembre', 'setiembre'],
  ['october', 'oct', 'oktober', 'octobre', 'octubre'],
  ['november', 'nov', 'novembre', 'noviembre'],
  ['december', 'dec', 'dezember', 'décembre', 'decembre', 'diciembre'],
];
monthNames.forEach((names, i) => names.forEach((name) => MONTHS.set(name, i + 1)));
const MONTH = [...MONTHS.keys()].sort((a, b) => b.length - a.length).join('|');

// Each pattern names its parts; every quantifier is bounded and neighbouring parts are disjoint classes.
// The lookarounds keep a date from being the middle of a longer number, version or identifier.
const EDGE_BEFORE = String.raw`(?<![\w.\/-])`;
const EDGE_AFTER = String.raw`(?=$|\W|T\d)(?![.\/-]\d)`; // "T" starts the time of an ISO 8601 date-time
const ORDINAL = String.raw`(?:st|nd|rd|th|er|\.)?`;
const DATE_PATTERNS: readonly RegExp[] = [
  // ISO 8601 and its slashed or dotted variants: 1980-01-31, 1980/1/31.
  new RegExp(String.raw`${EDGE_BEFORE}(?<y>\d{4})(?<s>[-/.])(?<m>\d{1,2})\k<s>(?<d>\d{1,2})${EDGE_AFTER}`, 'g'),
  // Numeric day and month in either order (01/31/1980 in the US, 31.01.1980 in Europe), 2- or 4-digit year.
  new RegExp(String.raw`${EDGE_BEFORE}(?<a>\d{1,2})(?<s>[-/.])(?<b>\d{1,2})\k<s>(?<y>\d{4}|\d{2})${EDGE_AFTER}`, 'g'),
  // 31 January 1980, 31st of January, 1980, 31. Januar 1980, 31 de enero de 1980, 31-Jan-1980.
  new RegExp(String.raw`${EDGE_BEFORE}(?<d>\d{1,2})${ORDINAL}[ -]{1,2}(?:of |de )?(?<mon>${MONTH})\.?,?[ -]{1,2}(?:de )?(?<y>\d{4})${EDGE_AFTER}`, 'gi'),
  // January 31, 1980, Jan. 31st 1980.
  new RegExp(String.raw`(?<![\wà-ÿ])(?<mon>${MONTH})\.? {1,2}(?<d>\d{1,2})${ORDINAL},? {1,2}(?<y>\d{4})${EDGE_AFTER}`, 'gi'),
];

/** The longest date any pattern matches ("31st of September, 1980" and the like), to bound the search. */
const MAX_DATE_LENGTH = 32;
/** How far from a birth word a date is looked for, and from a date a birth word. */
const REACH = CONTEXT_WINDOW + MAX_DATE_LENGTH;

// Every date above has a year from 19xx or 20xx, or is numeric with a two-digit year. This anchor regex skips
// text several times faster than the birth-word alternation does, so birth words are only looked for within
// REACH of an anchor, and each stretch of text is searched for them once.
const DATE_ANCHOR = /(?:19|20)\d\d|\d[-/.]\d{1,2}[-/.]\d\d/g;
/** Longer than any birth word, so one that straddles the end of a searched stretch is still seen whole. */
const WORD_OVERLAP = 16;

const FOUR_DIGIT_YEAR_CONFIDENCE = 0.85;
const TWO_DIGIT_YEAR_CONFIDENCE = 0.65;

interface Span {
  start: number;
  end: number;
}
interface FoundDate extends Span {
  confidence: number;
}

/** DATE_OF_BIRTH: valid past dates from 1900 on, each claimed by the nearest birth word within CONTEXT_WINDOW. */
export const dateOfBirthDetector: Detector = {
  type: 'DATE_OF_BIRTH',
  detect(text: string, profile: TextProfile = new TextProfile(text)): PiiMatch[] {
    // The profile's scan looks for what every date DATE_PATTERNS and readDate() accept holds; without one there
    // is no birth date, and the birth words, the costly search, are not looked for.
    if (!profile.mayHoldDate()) return [];
    const words = findBirthWords(text);
    if (words.length === 0) return [];
    const dates = findDates(text, words);
    const claimed = new Set<FoundDate>();
    // Words and dates are both in text order: `next` is the first date not before the current word.
    let next = 0;
    for (const word of words) {
      while (next < dates.length && dates[next]!.end <= word.start) next++;
      const date = nearestDate(text, dates[next - 1], dates[next], word);
      if (date) claimed.add(date);
    }
    return [...claimed].sort((a, b) => a.start - b.start).map((d) => ({ type: 'DATE_OF_BIRTH', start: d.start, end: d.end, confidence: d.confidence }));
  },
};

function findBirthWords(text: string): Span[] {
  const words: Span[] = [];
  let from = -1;
  let to = -1;
  // The regexes are shared and rewound: cheaper than a copy per call, and detect() is synchronous.
  const anchors = DATE_ANCHOR;
  anchors.lastIndex = 0;
  for (let a = anchors.exec(text); a !== null; a = anchors.exec(text)) {
    const start = Math.max(0, a.index - REACH);
    if (start > to) {
      if (to > from) searchBirthWords(text, from, to, words);
      from = start;
    }
    to = Math.min(text.length, a.index + REACH);
  }
  if (to > from) searchBirthWords(text, from, to, words);
  return words;
}

/** Birth words starting in [from, to). */
function searchBirthWords(text: string, from: number, to: number, words: Span[]): void {
  // One character of lead-in for the lookbehind, and WORD_OVERLAP after for a word cut at `to`.
  const offset = Math.max(0, from - 1);
  const slice = text.slice(offset, to + WORD_OVERLAP);
  const re = BIRTH_WORD;
  re.lastIndex = 0;
  for (let m = re.exec(slice); m !== null; m = re.exec(slice)) {
    const start = offset + m.index;
    const end = start + m[0].length;
    if (start >= from && start < to && isWholeWord(text, start, end)) words.push({ start, end });
  }
}

function isWholeWord(text: string, start: number, end: number): boolean {
  return !isLetter(codeAt(text, start - 1)) && (text[end - 1] === '.' || !isLetter(codeAt(text, end)));
}

/** ASCII and Latin-1 letters (what birth words and the words around them are written in). */
function isLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || (code >= 0xc0 && code <= 0x24f && code !== 0xd7 && code !== 0xf7);
}

/** Valid dates within reach of a birth word (and a little beyond), sorted by start, without duplicates. */
function findDates(text: string, words: readonly Span[]): FoundDate[] {
  const regions: Span[] = [];
  for (const w of words) {
    const start = Math.max(0, w.start - REACH);
    const end = Math.min(text.length, w.end + REACH);
    const last = regions[regions.length - 1];
    if (last && start <= last.end) last.end = end;
    else regions.push({ start, end });
  }
  const byStart = new Map<number, FoundDate>();
  const now = new Date();
  for (const region of regions) {
    // A margin on both sides, so the lookarounds see what is next to a date at the edge of the region.
    const offset = Math.max(0, region.start - MAX_DATE_LENGTH);
    const slice = text.slice(offset, region.end + MAX_DATE_LENGTH);
    for (const pattern of DATE_PATTERNS) {
      pattern.lastIndex = 0;
      for (let m = pattern.exec(slice); m !== null; m = pattern.exec(slice)) {
        const date = readDate(m.groups ?? {}, now);
        if (date === undefined) continue;
        const start = offset + m.index;
        const previous = byStart.get(start);
        if (previous && previous.end >= start + m[0].length) continue;
        byStart.set(start, { start, end: start + m[0].length, confidence: date.twoDigitYear ? TWO_DIGIT_YEAR_CONFIDENCE : FOUR_DIGIT_YEAR_CONFIDENCE });
      }
    }
  }
  return [...byStart.values()].sort((a, b) => a.start - b.start);
}

/** Where a clause ends: a comma, a semicolon, a closing parenthesis or a full stop. */
const CLAUSE_END = /[,;)]|\.\s/;

/**
 * The date a birth word refers to, of the last date before it and the first after it, each within
 * CONTEXT_WINDOW characters: the one after ("born 1980-01-31", "geboren am 3. März 1975"), unless a clause
 * ends between the two (',', ';', ')' or a full stop) and not between the word and the date before it
 * ("1980-01-31 (born), hired 2010-05-01"). So in "hired 2010-05-01, born 1980-01-31" only the second date is
 * a birth date.
 */
function nearestDate(text: string, lastBefore: FoundDate | undefined, firstNotBefore: FoundDate | undefined, word: Span): FoundDate | undefined {
  let before = lastBefore;
  // No date overlaps a birth word (one starts with a digit or a month name), so this one comes after it.
  let after = firstNotBefore && firstNotBefore.start >= word.end ? firstNotBefore : undefined;
  if (before && word.start - before.end > CONTEXT_WINDOW) before = undefined;
  if (after && after.start - word.end > CONTEXT_WINDOW) after = undefined;
  if (!after || !before) return after ?? before;
  const clauseAfter = CLAUSE_END.test(text.slice(word.end, after.start));
  const clauseBefore = CLAUSE_END.test(text.slice(before.end, word.start));
  return clauseAfter && !clauseBefore ? before : after;
}

/** The calendar date the match spells, if it is a real one in a plausible birth range (1900 to today). */
function readDate(groups: Record<string, string | undefined>, now: Date): { twoDigitYear: boolean } | undefined {
  const { y, m, d, a, b, mon } = groups;
  if (y === undefined) return undefined;
  const twoDigitYear = y.length === 2;
  const year = twoDigitYear ? expandYear(Number(y), now) : Number(y);
  if (mon !== undefined) {
    const month = MONTHS.get(mon.toLowerCase());
    return month !== undefined && isBirthDate(year, month, Number(d), now) ? { twoDigitYear } : undefined;
  }
  if (m !== undefined) return isBirthDate(year, Number(m), Number(d), now) ? { twoDigitYear } : undefined;
  // Numeric day and month: month-first (US) or day-first (most elsewhere); either reading will do.
  const first = Number(a);
  const second = Number(b);
  return isBirthDate(year, first, second, now) || isBirthDate(year, second, first, now) ? { twoDigitYear } : undefined;
}

/** A two-digit year is in this century if that is not in the future, else in the last one. */
function expandYear(yy: number, now: Date): number {
  const century = Math.floor(now.getFullYear() / 100) * 100;
  return century + yy <= now.getFullYear() ? century + yy : century - 100 + yy;
}

function isBirthDate(year: number, month: number, day: number, now: Date): boolean {
  if (year < 1900 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false;
  return new Date(year, month - 1, day) <= now;
}

/** Gregorian calendar: February has 29 days in years divisible by 4, except centuries not divisible by 400. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
