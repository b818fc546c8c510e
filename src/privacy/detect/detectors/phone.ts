// Telephone numbers in international (+CC) and national formats, validated against libphonenumber's
// numbering plans (phone-regions.ts). The profile's number runs are cut into digit groups; windows of groups
// that are not some other kind of number (phone-shapes.ts) go to the parser.
import type { PhoneNumber } from 'libphonenumber-js/max';
import type { Detector, PiiMatch } from '../detector.ts';
import { codeAt } from '../char-code.ts';
import { contextBoost, contextWords, hasContext } from '../context.ts';
import { LISTED_RUN_DIGITS, TextProfile, isRunChar } from '../text-profile.ts';
import { MAX_IDD_DIGITS, fitsNoRegion, mayBeFromSomeRegion, validNational } from './phone-regions.ts';
import { isValidInternational } from './phone-plan-check.ts';
import { type Group, type Joint, isCardRun, looksLikeOtherNumber, parensBalanced } from './phone-shapes.ts';

export { PHONE_DEFAULT_REGIONS } from './phone-regions.ts';

/** A window (the candidate number) spans at most this many digit groups. */
const MAX_WINDOW_GROUPS = 8;
/** E.164 §6: at most 15 digits including the country code. National numbers need fewer. */
const MAX_INTERNATIONAL_DIGITS = 15;
const MAX_NATIONAL_DIGITS = 13;
/** Shorter numbers exist (subscriber numbers without area code) but cannot be told from counts and prices. */
const MIN_DIGITS = 8;
// The profile lists the runs that hold LISTED_RUN_DIGITS digits; a phone number's run must be among them.
if (MIN_DIGITS < LISTED_RUN_DIGITS) throw new Error("phone.ts: MIN_DIGITS is below the profile's LISTED_RUN_DIGITS");

// A run is a stretch of digits and the punctuation numbers are written with (the profile's number runs; only
// those with MIN_DIGITS digits are looked at). A number is read from the first two adjacent digits of a run
// that MIN_DIGITS - 2 more run characters follow, and up to MAX_RUN_LENGTH of them; the code then walks back
// to where the run begins ("+1 415 …", "(0)20 …"). A run longer than that is a table of figures, not a phone
// number, and is passed over.
const MAX_RUN_LENGTH = 80;

/** Words that make a run of digits a phone number. */
const PHONE_WORD_LIST: readonly string[] = [
  'phone', 'phones', 'telephone', 'tel', 'mobile', 'cell', 'cellphone', 'landline', 'call', 'calls', 'called', 'fax',
  'dial', 'contact', 'whatsapp', 'sms', 'text', 'telefon', 'fon', 'handy', 'téléphone', 'portable', 'telefono',
  'teléfono', 'celular', 'móvil', '电话', '手机', '電話', '携帯', '전화',
];
const PHONE_WORDS = contextWords(PHONE_WORD_LIST);
/** Phone words plus "number": they raise confidence, and let an unformatted number of any default region through. */
const CONTEXT_WORDS = contextWords([...PHONE_WORD_LIST, 'number', 'no', 'nr']);
/** Words that say an unformatted run of digits is some other number, unless a phone word is near too. */
const OTHER_NUMBER_WORDS = contextWords([
  'order', 'invoice', 'account', 'acct', 'ref', 'reference', 'tracking', 'ticket', 'serial', 'sku', 'isbn', 'id', 'transaction',
  'receipt', 'case', 'po', 'policy', 'claim', 'item', 'part', 'model', 'version', 'build', 'batch', 'lot', 'iban', 'routing',
  'timestamp', 'epoch', 'total', 'amount', 'price', 'population',
]);

const INTERNATIONAL_BASE = 0.7;
const FORMATTED_BASE = 0.55;
const BARE_BASE = 0.4;
/** A number glued to a word ("is415-555-0132"): Presidio's lenient mode finds it; kept at low confidence. */
const GLUED_BASE = 0.3;

/** PHONE: numbers libphonenumber validates, written in a shape that is not a date, time, IP, SSN or card. */
export const phoneDetector: Detector = {
  type: 'PHONE',
  detect(text: string, profile: TextProfile = new TextProfile(text)): PiiMatch[] {
    const found: PiiMatch[] = [];
    const runs = profile.numberRuns();
    for (let k = 0; k < runs.length; k += 3) {
      const runEnd = runs[k + 1]!;
      const at = firstDigitPair(text, runs[k]!, runEnd - MIN_DIGITS);
      if (at < 0) continue;
      const end = Math.min(runEnd, at + 2 + MAX_RUN_LENGTH);
      const start = findRunStart(text, at);
      if (end < runEnd || end - start > MAX_RUN_LENGTH + 2) continue;
      scanRun(text, start, end, found);
    }
    return found;
  },
};

/**
 * Cuts the run into digit groups and, from each group a number may start at, tries windows of up to
 * MAX_WINDOW_GROUPS groups, longest first; the first that validates is kept and the scan goes on after it.
 */
function scanRun(text: string, runStart: number, runEnd: number, found: PiiMatch[]): void {
  if (isLoneNumberOfNoRegion(text, runStart, runEnd)) return;
  const groups = splitGroups(text, runStart, runEnd);
  // digitsUpTo[k]: how many digits groups 0..k-1 hold, so a window's count costs nothing to get.
  const digitsUpTo = [0];
  for (const g of groups) digitsUpTo.push(digitsUpTo[digitsUpTo.length - 1]! + g.digits.length);
  const total = digitsUpTo[groups.length]!;
  if (total < MIN_DIGITS || (total >= 12 && total <= 19 && isCardRun(groups))) return;
  // A group glued to a time or a decimal (":30", ",5") belongs to that, not to a phone number.
  const first = startsMidToken(text, runStart) ? 1 : 0;
  const last = endsMidToken(text, groups[groups.length - 1]!.end) ? groups.length - 2 : groups.length - 1;
  for (let i = first; i <= last; ) {
    let next = i + 1;
    if (groups[i]!.joint !== 'joined') {
      for (let j = Math.min(last, i + MAX_WINDOW_GROUPS - 1); j >= i; j--) {
        const count = digitsUpTo[j + 1]! - digitsUpTo[i]!;
        if (count < MIN_DIGITS) break;
        if (count > MAX_INTERNATIONAL_DIGITS + MAX_IDD_DIGITS) continue;
        if ((j < last && groups[j + 1]!.joint === 'joined') || hasBreak(groups, i, j)) continue;
        const match = tryWindow(text, groups, i, j, runStart);
        if (match) {
          found.push(match);
          next = j + 1;
          break;
        }
      }
    }
    i = next;
  }
}

/**
 * The commonest run in ordinary text is one block of digits (a build number, an id, a year and a count) that
 * fits no default region; this says so without cutting the run into groups.
 */
function isLoneNumberOfNoRegion(text: string, runStart: number, runEnd: number): boolean {
  let end = runEnd;
  while (end > runStart && !isDigit(text.charCodeAt(end - 1))) end--;
  for (let k = runStart; k < end; k++) if (!isDigit(text.charCodeAt(k))) return false;
  return fitsNoRegion(text.slice(runStart, end));
}

function splitGroups(text: string, runStart: number, runEnd: number): Group[] {
  const groups: Group[] = [];
  let sepStart = runStart;
  for (let i = runStart; i < runEnd; ) {
    if (!isDigit(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    while (i < runEnd && isDigit(text.charCodeAt(i))) i++;
    const joint = groups.length === 0 ? 'break' : classifySeparator(text, sepStart, start);
    groups.push({ start, end: i, digits: text.slice(start, i), joint });
    sepStart = i;
  }
  return groups;
}

/** How the separator text[from, to) (run characters other than digits) joins the groups on either side. */
function classifySeparator(text: string, from: number, to: number): Joint {
  if (to - from > 4) return 'break';
  let joiners = 0;
  let parens = 0;
  let spaces = 0;
  for (let k = from; k < to; k++) {
    const c = text.charCodeAt(k);
    if (c === 45 || c === 46 || c === 47) joiners++;
    else if (c === 40 || c === 41) parens++;
    else if (c === 32 && text.charCodeAt(k - 1) === 32 && k > from) return 'break'; // two spaces
    else spaces++;
  }
  if (joiners > 1 || parens > 1) return 'break';
  return joiners === 1 && parens === 0 && spaces === 0 ? 'joined' : 'soft';
}

function hasBreak(groups: readonly Group[], i: number, j: number): boolean {
  for (let k = i + 1; k <= j; k++) if (groups[k]!.joint === 'break') return true;
  return false;
}

function tryWindow(text: string, groups: readonly Group[], i: number, j: number, runStart: number): PiiMatch | undefined {
  let digits = groups[i]!.digits;
  for (let k = i + 1; k <= j; k++) digits += groups[k]!.digits;
  let start = groups[i]!.start;
  if (i === 0) start = runStart;
  else if (text[start - 1] === '(') start--;
  const plus = text[start] === '+';
  const maxDigits = plus ? MAX_INTERNATIONAL_DIGITS : digits.startsWith('00') || digits.startsWith('011') ? MAX_INTERNATIONAL_DIGITS + MAX_IDD_DIGITS : MAX_NATIONAL_DIGITS;
  if (digits.length < MIN_DIGITS || digits.length > maxDigits) return undefined;
  // Most runs in ordinary text (build numbers, ids, dates) fit no default region at all: rule them out first.
  if (!plus && !mayBeFromSomeRegion(digits, groups[i]!.digits)) return undefined;
  const end = groups[j]!.end;
  if (!parensBalanced(text, start, end)) return undefined;
  const shape = groups.slice(i, j + 1);
  if (!plus && looksLikeOtherNumber(text, shape, digits)) return undefined;

  // A run glued to a word is a phone only when written in three or more groups ("is415-555-0132"), and
  // never after a single letter ("v10.15.3", "x123-456-7890").
  const glued = i === 0 && start > 0 && isLetter(text.charCodeAt(start - 1));
  if (glued && (j - i < 2 || start < 2 || !isLetter(text.charCodeAt(start - 2)))) return undefined;
  if (i === 0 && !glued && !boundaryOk(text, start)) return undefined;

  const window = text.slice(start, end);
  let base: number;
  if (plus) {
    if (!isValidInternational(window)) return undefined;
    base = INTERNATIONAL_BASE;
  } else {
    const spacedOnly = j > i && /^[\d\s]+$/.test(window);
    const phone = validNational(window, digits, shape, spacedOnly);
    if (!phone) return undefined;
    const formatted = j > i || window.includes('(');
    if (!formatted && !bareNumberOk(text, start, end, phone, digits)) return undefined;
    base = formatted ? FORMATTED_BASE : BARE_BASE;
  }
  if (glued) base = GLUED_BASE;
  return { type: 'PHONE', start, end, confidence: contextBoost(base, text, start, end, CONTEXT_WORDS) };
}

/**
 * A bare run of 8 to 13 digits is valid in some region more often than not, so without a phone word near it
 * only the two shapes that are rarely anything else pass: a North American number (its area and exchange
 * codes rule out most ids) and a number that starts with its trunk prefix. Words such as "order" or
 * "invoice" veto it unless a phone word is near as well.
 */
function bareNumberOk(text: string, start: number, end: number, phone: PhoneNumber, digits: string): boolean {
  if (hasContext(text, start, end, PHONE_WORDS)) return true;
  if (hasContext(text, start, end, OTHER_NUMBER_WORDS)) return false;
  if (hasContext(text, start, end, CONTEXT_WORDS)) return true;
  return phone.countryCallingCode === '1' || (digits.startsWith('0') && !phone.nationalNumber.startsWith('0'));
}

/**
 * What comes just before a run decides whether it is a number on its own: not after '#', a currency sign or
 * '@'; nor after a digit and ':', '.', ',', '/' or '-' (the tail of a time, decimal, date or range); nor after
 * a '-' or '/' glued to a word ("misc-fixed--18-120-100-100", "path/0301234567").
 */
function boundaryOk(text: string, start: number): boolean {
  if (start === 0) return true;
  const c = text[start - 1]!;
  if ('#$€£¥@%&_'.includes(c)) return false;
  if (start < 2) return true;
  const before = text.charCodeAt(start - 2);
  if (':.,/-'.includes(c) && isDigit(before)) return false;
  return !((c === '-' || c === '/') && (isLetter(before) || before === 45 || before === 47));
}

/** The run's first group ends a time or a decimal that began before it ("10:30 …", "3,1415 …"). */
function startsMidToken(text: string, runStart: number): boolean {
  return runStart > 1 && ':,'.includes(text[runStart - 1]!) && isDigit(text.charCodeAt(runStart - 2));
}

/**
 * The run's last group is the hour of a time ("2024-01-15 10:30:00"), goes on as a word, an amount or a
 * percentage, or is glued to a word by '-', '.' or '/' ("…-100-c-90", "0132.txt").
 */
function endsMidToken(text: string, end: number): boolean {
  const c = text[end];
  if (c === undefined) return false;
  if ((c === ':' || c === ',') && isDigit(codeAt(text, end + 1))) return true;
  if ('-./'.includes(c) && isLetter(codeAt(text, end + 1))) return true;
  return '%_€$'.includes(c) || isLetter(text.charCodeAt(end));
}

/** Where the run around `from` begins: back over run characters, then a '+', then forward to '+', '(' or a digit. */
function findRunStart(text: string, from: number): number {
  let start = from;
  const limit = Math.max(0, from - MAX_RUN_LENGTH);
  while (start > limit && isRunChar(text.charCodeAt(start - 1))) start--;
  if (start > 0 && text[start - 1] === '+') start--;
  while (start < from && !isDigit(text.charCodeAt(start)) && text[start] !== '+' && text[start] !== '(') start++;
  return start;
}

/** The first of two adjacent digits from `from` to `last` (inclusive), or -1. */
function firstDigitPair(text: string, from: number, last: number): number {
  for (let i = from; i <= last; i++) if (isDigit(text.charCodeAt(i)) && isDigit(text.charCodeAt(i + 1))) return i;
  return -1;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** A Latin letter. Scripts written without spaces (Chinese, Japanese ...) may touch a number and do not count. */
function isLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || (code >= 0xc0 && code <= 0x24f && code !== 0xd7 && code !== 0xf7);
}
