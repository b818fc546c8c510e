// Telephone numbers in international (+CC) and national formats, validated against libphonenumber's
// numbering plans. A cheap scan finds runs of digits and phone punctuation; only those go to the parser.
import { Metadata, getCountryCallingCode, parsePhoneNumberFromString, type CountryCode, type PhoneNumber } from 'libphonenumber-js/max';
import type { Detector, PiiMatch } from '../detector.ts';
import { contextBoost, hasContext } from '../context.ts';
import { isPaymentCardNumber } from './credit-card.ts';

// Why the "max" metadata: with "min", isValid() checks little more than a region's number lengths, so 8- to
// 10-digit ids and dates pass as German numbers ("123456789", "20240115"); "max" holds each region's real
// number ranges per type. A validation costs about the same with either (15-30 µs); the parser only ever
// sees candidate windows, so the larger bundle is the whole cost.

/**
 * Where a number written without '+' may come from, tried in this order. `bare` is the shape of the national
 * numbers people write without a trunk prefix; everywhere else the trunk prefix ('0') is part of how a
 * national number is written ("03-1234-5678" is a Tokyo number, "3-1234-5678" is nothing).
 *
 * Every added region makes more runs of 8 to 13 digits valid somewhere, so the list stays short and skips
 * regions with no trunk prefix at all (Italy, Spain, Mexico ...), whose numbering plans would accept most
 * 9- and 10-digit ids. Numbers from anywhere are still found when written with '+'.
 */
const DEFAULT_REGIONS: readonly { region: CountryCode; bare?: RegExp }[] = [
  { region: 'US', bare: /^1?[2-9]\d\d[2-9]\d{6}$/ }, // NANP: [1] NPA-NXX-XXXX (covers Canada)
  { region: 'GB' },
  { region: 'DE' },
  { region: 'FR' },
  { region: 'IN' },
  { region: 'BR', bare: /^[1-9][1-9]\d{8,9}$/ }, // area code, then 8 (fixed) or 9 (mobile) digits
  { region: 'IL' },
  { region: 'JP' },
  { region: 'CN', bare: /^1[3-9]\d{9}$/ }, // mobile numbers have no trunk prefix
  { region: 'AU' },
];

/** International call prefixes written instead of '+' (ITU-T E.164 Annex A; '011' in the NANP, '0011' in Australia). */
const IDD_PREFIXES = ['00', '011', '010', '0011'];

interface RegionPlan {
  region: CountryCode;
  bare: RegExp | undefined;
  callingCode: string;
  lengths: ReadonlySet<number>;
}

const PLANS: readonly RegionPlan[] = DEFAULT_REGIONS.map(({ region, bare }) => {
  const metadata = new Metadata();
  metadata.selectNumberingPlan(region);
  return { region, bare, callingCode: getCountryCallingCode(region), lengths: new Set(metadata.numberingPlan?.possibleLengths() ?? []) };
});

/** The regions a number written without "+" is tried in, in order. */
export const PHONE_DEFAULT_REGIONS: readonly CountryCode[] = PLANS.map((p) => p.region);

/** A window (the candidate number) spans at most this many digit groups. */
const MAX_WINDOW_GROUPS = 8;
/** E.164 §6: at most 15 digits including the country code. National numbers need fewer. */
const MAX_INTERNATIONAL_DIGITS = 15;
const MAX_NATIONAL_DIGITS = 13;
/** The longest international call prefix in IDD_PREFIXES, which may stand where '+' would. */
const MAX_IDD_DIGITS = 4;
/** Shorter numbers exist (subscriber numbers without area code) but cannot be told from counts and prices. */
const MIN_DIGITS = 8;

// A run is a stretch of digits and the punctuation numbers are written with. The regex finds the first two
// adjacent digits followed by enough run characters for MIN_DIGITS digits (starting on two digits lets the
// engine skip ordinary text about twice as fast as starting on one); the code then walks back to where the
// run begins ("+1 415 …", "(0)20 …"). One bounded character class after a fixed start: no backtracking.
// A run longer than MAX_RUN_LENGTH is a table of figures, not a phone number, and is skipped to its end.
const MAX_RUN_LENGTH = 80;
const RUN = new RegExp(`\\d\\d[\\d ().\\-/\\u00a0]{${MIN_DIGITS - 2},${MAX_RUN_LENGTH}}`, 'g');

/** Words that make a run of digits a phone number. */
const PHONE_WORDS = [
  'phone', 'phones', 'telephone', 'tel', 'mobile', 'cell', 'cellphone', 'landline', 'call', 'calls', 'called', 'fax',
  'dial', 'contact', 'whatsapp', 'sms', 'text', 'telefon', 'fon', 'handy', 'téléphone', 'portable', 'telefono',
  'teléfono', 'celular', 'móvil', '电话', '手机', '電話', '携帯', '전화',
];
/** Phone words plus "number": they raise confidence, and let an unformatted number of any default region through. */
const CONTEXT_WORDS = [...PHONE_WORDS, 'number', 'no', 'nr'];
/** Words that say an unformatted run of digits is some other number, unless a phone word is near too. */
const OTHER_NUMBER_WORDS = [
  'order', 'invoice', 'account', 'acct', 'ref', 'reference', 'tracking', 'ticket', 'serial', 'sku', 'isbn', 'id', 'transaction',
  'receipt', 'case', 'po', 'policy', 'claim', 'item', 'part', 'model', 'version', 'build', 'batch', 'lot', 'iban', 'routing',
  'timestamp', 'epoch', 'total', 'amount', 'price', 'population',
];

const INTERNATIONAL_BASE = 0.7;
const FORMATTED_BASE = 0.55;
const BARE_BASE = 0.4;
/** A number glued to a word ("is415-555-0132"): Presidio's lenient mode finds it; kept at low confidence. */
const GLUED_BASE = 0.3;

/** PHONE: numbers libphonenumber validates, written in a shape that is not a date, time, IP, SSN or card. */
export const phoneDetector: Detector = {
  type: 'PHONE',
  detect(text: string): PiiMatch[] {
    const found: PiiMatch[] = [];
    const run = RUN; // shared and rewound: cheaper than a copy per call, and detect() is synchronous
    run.lastIndex = 0;
    for (let m = run.exec(text); m !== null; m = run.exec(text)) {
      const end = m.index + m[0].length;
      const start = findRunStart(text, m.index);
      if (isRunChar(text.charCodeAt(end)) || end - start > MAX_RUN_LENGTH + 2) {
        run.lastIndex = skipRun(text, end);
        continue;
      }
      scanRun(text, start, end, found);
    }
    return found;
  },
};

/** A stretch of digits in a run, and how it is attached to the group before it. */
interface Group {
  start: number;
  end: number;
  digits: string;
  joint: Joint;
}

/**
 * 'soft': a space or a parenthesis, where a window (a candidate number) may start or end; 'joined': a lone
 * '-', '.' or '/', which keeps its neighbours in one number; 'break': anything else, which no window crosses.
 */
type Joint = 'soft' | 'joined' | 'break';

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
  const digits = text.slice(runStart, end);
  return !PLANS.some((plan) => mayBeFrom(plan, digits, digits));
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
    const joint = groups.length === 0 ? 'break' : classifySeparator(text.slice(sepStart, start));
    groups.push({ start, end: i, digits: text.slice(start, i), joint });
    sepStart = i;
  }
  return groups;
}

function classifySeparator(sep: string): Joint {
  if (sep.length > 4 || sep.includes('  ')) return 'break';
  let joiners = 0;
  let parens = 0;
  let spaces = 0;
  for (const c of sep) {
    if (c === '-' || c === '.' || c === '/') joiners++;
    else if (c === '(' || c === ')') parens++;
    else spaces++;
  }
  if (joiners > 1 || parens > 1) return 'break';
  return joiners === 1 && parens === 0 && spaces === 0 ? 'joined' : 'soft';
}

function hasBreak(groups: readonly Group[], i: number, j: number): boolean {
  for (let k = i + 1; k <= j; k++) if (groups[k]!.joint === 'break') return true;
  return false;
}

/** A card number written in groups is not a row of phone numbers either. */
function isCardRun(groups: readonly Group[]): boolean {
  if (groups.length < 2) return false;
  let digits = groups[0]!.digits;
  for (let k = 1; k < groups.length; k++) {
    if (groups[k]!.joint === 'break') return false;
    digits += groups[k]!.digits;
  }
  return isPaymentCardNumber(digits);
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
  const firstGroup = groups[i]!.digits;
  if (!plus && !PLANS.some((plan) => mayBeFrom(plan, digits, firstGroup))) return undefined;
  const shape = groups.slice(i, j + 1);
  const end = groups[j]!.end;
  const window = text.slice(start, end);
  if (!parensBalanced(window) || (!plus && looksLikeOtherNumber(text, shape, digits))) return undefined;

  // A run glued to a word is a phone only when written in three or more groups ("is415-555-0132"), and
  // never after a single letter ("v10.15.3", "x123-456-7890").
  const glued = i === 0 && start > 0 && isLetter(text.charCodeAt(start - 1));
  if (glued && (j - i < 2 || start < 2 || !isLetter(text.charCodeAt(start - 2)))) return undefined;
  if (i === 0 && !glued && !boundaryOk(text, start)) return undefined;

  let base: number;
  if (plus) {
    if (!cached(window, () => parse(window, undefined))) return undefined;
    base = INTERNATIONAL_BASE;
  } else {
    const spacedOnly = j > i && /^[\d\s]+$/.test(window);
    const phone = cached(window, () => nationalNumber(window, digits, shape, spacedOnly));
    if (!phone) return undefined;
    const formatted = j > i || window.includes('(');
    if (!formatted && !bareNumberOk(text, start, end, phone, digits)) return undefined;
    base = formatted ? FORMATTED_BASE : BARE_BASE;
  }
  if (glued) base = GLUED_BASE;
  return { type: 'PHONE', start, end, confidence: contextBoost(base, text, start, end, CONTEXT_WORDS) };
}

// Validation costs 15-30 µs a region, and the same numbers come back again and again in logs and tables, so
// the verdict for a window is remembered (a window's text decides it: its digits, groups and separators).
const VERDICT_CACHE_SIZE = 4096;
const verdicts = new Map<string, PhoneNumber | null>();

function cached(window: string, validate: () => PhoneNumber | undefined): PhoneNumber | undefined {
  const known = verdicts.get(window);
  if (known !== undefined) return known ?? undefined;
  const phone = validate();
  if (verdicts.size >= VERDICT_CACHE_SIZE) verdicts.clear();
  verdicts.set(window, phone ?? null);
  return phone;
}

function parse(window: string, region: CountryCode | undefined): PhoneNumber | undefined {
  const phone = parsePhoneNumberFromString(window, { defaultCountry: region, extract: false });
  return phone?.isValid() ? phone : undefined;
}

/**
 * The first default region in which the window is a valid number written the way that region writes it.
 * Regions are ruled out on the digits alone before the (costly) parse: a national number either starts with
 * the trunk prefix '0', or has that region's bare shape, or starts with its country code as a group of its
 * own ("44 20 7123 4567", "0044 …", "91-415-555-0132"), and what remains must be one of the region's lengths.
 * Numbers separated by spaces alone must also be grouped as that region groups them (groupedAsFormatted).
 */
function nationalNumber(window: string, digits: string, shape: readonly Group[], spacedOnly: boolean): PhoneNumber | undefined {
  for (const plan of PLANS) {
    if (!mayBeFrom(plan, digits, shape[0]!.digits)) continue;
    const phone = parse(window, plan.region);
    if (phone && writtenAsInRegion(phone, digits) && (!spacedOnly || groupedAsFormatted(phone, shape))) return phone;
  }
  return undefined;
}

function mayBeFrom(plan: RegionPlan, digits: string, firstGroup: string): boolean {
  const { callingCode: cc, lengths } = plan;
  // The country code as a group of its own, bare or after an IDD prefix: "44 20 …", "0044 20 …".
  if (firstGroup.length <= cc.length + MAX_IDD_DIGITS && firstGroup.endsWith(cc)) {
    const idd = firstGroup.slice(0, firstGroup.length - cc.length);
    if ((idd === '' || IDD_PREFIXES.includes(idd)) && lengths.has(digits.length - firstGroup.length)) return true;
  }
  // An IDD prefix as a group of its own: "00 44 20 …".
  if (IDD_PREFIXES.includes(firstGroup) && digits.startsWith(cc, firstGroup.length) && lengths.has(digits.length - firstGroup.length - cc.length)) return true;
  if (digits.charCodeAt(0) === 48) return plan.region !== 'US' && lengths.has(digits.length - 1);
  return plan.bare !== undefined && plan.bare.test(digits);
}

/**
 * libphonenumber accepts a national significant number without the trunk prefix its region requires (it
 * reads "123456789" as Japanese); people write that prefix, so the digits must be the number as formatted
 * nationally, or with the trunk '0', or with the country code in front (with or without an IDD prefix).
 */
function writtenAsInRegion(phone: PhoneNumber, digits: string): boolean {
  // (The country-code forms were checked against the groups in mayBeFrom.)
  const nsn: string = phone.nationalNumber;
  const cc: string = phone.countryCallingCode;
  if (digits === nsn) return phone.formatNational().replace(/\D/g, '') === nsn;
  if (digits === `0${nsn}` || digits === `${cc}${nsn}`) return true;
  return IDD_PREFIXES.some((idd) => digits === `${idd}${cc}${nsn}`);
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
 * Numbers separated by nothing but spaces are as often a row of figures as a phone number, so there the
 * groups must be the ones the national format has, or merge some of them (libphonenumber's STRICT_GROUPING
 * idea): "138 1234 5678" and "138 12345678" are Chinese mobile numbers, "1381 2345 678" is three figures.
 * Boundaries are counted from the end, and any in front of the national significant number (after a trunk
 * prefix, a country code or an international prefix) is allowed.
 */
function groupedAsFormatted(phone: PhoneNumber, shape: readonly Group[]): boolean {
  const nsnLength = phone.nationalNumber.length;
  const formatted = phone.formatNational().split(/\D+/).filter((g) => g !== '');
  const allowed = new Set<number>();
  let fromEnd = 0;
  for (let k = formatted.length - 1; k > 0; k--) allowed.add((fromEnd += formatted[k]!.length));
  fromEnd = 0;
  for (let k = shape.length - 1; k > 0; k--) {
    fromEnd += shape[k]!.digits.length;
    if (fromEnd < nsnLength && !allowed.has(fromEnd)) return false;
  }
  return true;
}

/** Shapes that validate as some region's phone number but are written as something else. */
function looksLikeOtherNumber(text: string, shape: readonly Group[], digits: string): boolean {
  if (digits.length >= 12 && isPaymentCardNumber(digits)) return true;
  // Hex dumps and zero padding ("02 00 00 00 00"): no subscriber number ends in six zeros.
  if (digits.endsWith('000000')) return true;
  // Placeholder digits ("0123456789", "1234567890").
  if ('01234567890123456789'.includes(digits)) return true;
  // An ISBN or a part number: phone numbers do not end in a group of one digit ("0-596-00461-3").
  if (shape.length > 2 && shape[shape.length - 1]!.digits.length === 1) return true;
  // A US ZIP+4 code after its state ("Boston, MA 02110-1301").
  if (shape.length === 2 && shape[0]!.digits.length === 5 && shape[1]!.digits.length === 4 && STATE_BEFORE.test(text.slice(Math.max(0, shape[0]!.start - 8), shape[0]!.start))) return true;
  const sep = shape.map((g, k) => (k === 0 ? '' : text.slice(shape[k - 1]!.end, g.start).trim()));
  if (sep.includes('.')) {
    // Dotted numbers are phones only in three or more groups of two or more digits (415.555.0132,
    // 01.42.68.53.00); a decimal, a version or an IPv4 address is something else.
    if (shape.length < 3 || shape.some((g) => g.digits.length < 2)) return true;
    if (shape.length === 4 && shape.every((g) => g.digits.length <= 3)) return true;
  }
  for (let k = 0; k + 2 < shape.length; k++) {
    const [a, b, c] = [shape[k]!.digits, shape[k + 1]!.digits, shape[k + 2]!.digits];
    const joiner = sep[k + 1]!;
    if (joiner !== sep[k + 2]) continue;
    // SSA format AAA-GG-SSSS, with '-', '.' or a space.
    if (a.length === 3 && b.length === 2 && c.length === 4 && (k === 0 || joiner !== '')) return true;
    if (joiner !== '' && '-./'.includes(joiner) && isDate(a, b, c)) return true;
  }
  return false;
}

const STATE_BEFORE = /\b[A-Z]{2},?\s{1,3}$/;

/** Y-M-D, D-M-Y or M-D-Y with a month 1-12, a day 1-31 and a two- or four-digit year. */
function isDate(a: string, b: string, c: string): boolean {
  const dayMonth = (d: string, m: string): boolean => Number(d) >= 1 && Number(d) <= 31 && Number(m) >= 1 && Number(m) <= 12;
  if (a.length === 4 && b.length <= 2 && c.length <= 2) return dayMonth(c, b);
  if (a.length <= 2 && b.length <= 2 && (c.length === 4 || c.length === 2)) return dayMonth(a, b) || dayMonth(b, a);
  return false;
}

function parensBalanced(window: string): boolean {
  let depth = 0;
  for (const c of window) {
    if (c === '(') depth++;
    else if (c === ')' && --depth < 0) return false;
  }
  return depth === 0;
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
  if ((c === ':' || c === ',') && isDigit(text.charCodeAt(end + 1))) return true;
  if ('-./'.includes(c) && isLetter(text.charCodeAt(end + 1))) return true;
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

function skipRun(text: string, from: number): number {
  let i = from;
  while (i < text.length && isRunChar(text.charCodeAt(i))) i++;
  return i;
}

/** The characters RUN continues over. */
function isRunChar(code: number): boolean {
  return isDigit(code) || code === 32 || code === 0xa0 || code === 40 || code === 41 || code === 45 || code === 46 || code === 47;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** A Latin letter. Scripts written without spaces (Chinese, Japanese ...) may touch a number and do not count. */
function isLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || (code >= 0xc0 && code <= 0x24f && code !== 0xd7 && code !== 0xf7);
}
