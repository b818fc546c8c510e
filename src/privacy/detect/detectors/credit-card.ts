// Payment card numbers (PAN): 12 to 19 digits, bare or grouped with one kind of separator, that pass the
// Luhn check and fall in an issuer's IIN range with a length that issuer uses (ISO/IEC 7812-1).
import type { Detector, PiiMatch } from '../detector.ts';
import { contextBoost, contextWords } from '../context.ts';
import { TextProfile } from '../text-profile.ts';

/** One issuer's IIN ranges (inclusive, compared on the first `digits` digits) and its card lengths. */
interface IssuerRange {
  brand: string;
  from: number;
  to: number;
  /** How many leading digits `from` and `to` cover. */
  width: number;
  lengths: readonly number[];
}

const MIN_LENGTH = 12;
const ANY_LENGTH = [12, 13, 14, 15, 16, 17, 18, 19];
const range = (brand: string, from: number, to: number, lengths: readonly number[]): IssuerRange => ({ brand, from, to, width: String(from).length, lengths });

// IIN prefixes as the issuers publish them (and as collected in the ISO/IEC 7812 register summaries).
// A range's width is its number of digits, so `range('Discover', 644, 649, ...)` compares the first three.
const ISSUERS: readonly IssuerRange[] = [
  range('UATP', 1, 1, [15]),
  range('Mir', 2200, 2204, [16, 17, 18, 19]),
  range('Mastercard', 2221, 2720, [16]),
  range('Diners Club', 300, 305, [14, 15, 16, 17, 18, 19]),
  range('Diners Club', 3095, 3095, [14, 15, 16, 17, 18, 19]),
  range('Diners Club', 36, 36, [14, 15, 16, 17, 18, 19]),
  range('Diners Club', 38, 39, [14, 15, 16, 17, 18, 19]),
  range('American Express', 34, 34, [15]),
  range('American Express', 37, 37, [15]),
  range('JCB', 3528, 3589, [16, 17, 18, 19]),
  range('RuPay', 353, 353, [16]),
  range('RuPay', 356, 356, [16]),
  range('Visa', 4, 4, [13, 16, 19]),
  range('Maestro', 50, 50, ANY_LENGTH), // 5019 is Dankort, co-badged with Visa or Maestro.
  range('Mastercard', 51, 55, [16]),
  range('Maestro', 56, 58, ANY_LENGTH),
  range('RuPay', 60, 60, [16]),
  range('Discover', 6011, 6011, [16, 17, 18, 19]),
  range('UnionPay', 62, 62, [16, 17, 18, 19]),
  range('Maestro', 6304, 6304, ANY_LENGTH),
  range('InterPayment', 636, 636, [16, 17, 18, 19]),
  range('InstaPayment', 637, 639, [16]),
  range('Discover', 644, 649, [16, 17, 18, 19]),
  range('Discover', 65, 65, [16, 17, 18, 19]),
  range('Maestro', 67, 67, ANY_LENGTH),
  range('RuPay', 81, 82, [16]),
  range('Troy', 9792, 9792, [16]),
];

/** The Luhn mod-10 check (ISO/IEC 7812-1 Annex B) over a string of ASCII digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

// Longest prefixes first, so 6011 (Discover) is tried before 60 (RuPay).
const BY_PREFIX_LENGTH = [...ISSUERS].sort((a, b) => b.width - a.width);

/** The issuer whose IIN range and card lengths fit `digits`, if any (the most specific range wins). */
export function cardIssuer(digits: string): string | undefined {
  // The first one to four digits as numbers, read once rather than once per range.
  const prefixes = [0, Number(digits.slice(0, 1)), Number(digits.slice(0, 2)), Number(digits.slice(0, 3)), Number(digits.slice(0, 4))];
  for (const issuer of BY_PREFIX_LENGTH) {
    const prefix = prefixes[issuer.width]!;
    if (prefix >= issuer.from && prefix <= issuer.to && issuer.lengths.includes(digits.length)) return issuer.brand;
  }
  return undefined;
}

/** True when `digits` (ASCII digits only) is a plausible payment card number: issuer range, length and Luhn. */
export function isPaymentCardNumber(digits: string): boolean {
  return digits.length >= 12 && digits.length <= 19 && luhnValid(digits) && cardIssuer(digits) !== undefined;
}

// Bare: 12-19 digits. Grouped: a first group of four, then groups joined by one separator, the same each time
// (the backreference); each later group must end the digit run or be followed by its own separator, so an
// expiry date after the number ("4111 1111 1111 1111 12/25") is not taken as a fifth group. The lookarounds
// keep the number from being a piece of a longer run of digits, a decimal, a date or an identifier.
// Every quantifier is bounded and the classes next to each other are disjoint, so matching is linear.
// One shared global regex, rewound at each call: detect() is synchronous, and a fresh copy per call (or
// matchAll, which makes one) costs more than scanning a short line. Every candidate lies in a number run (see
// text-profile.ts) that holds MIN_LENGTH digits, and the lookarounds read one character before it and two
// after, so only those runs are searched.
const CANDIDATE =
  /(?<![\w.,+/-])(?:\d{12,19}|\d{4}([ -])\d{4,6}(?:\1\d{1,6}(?!\d|[/:.,]\d)){1,3})(?![\w-]|[./:,]\d)/g;

const CONTEXT_WORDS = contextWords(['card', 'credit', 'debit', 'visa', 'mastercard', 'amex', 'american express', 'discover', 'cc', 'ccn', 'pan', 'payment', 'cvv', 'expiry', 'exp']);

/** Grouped numbers are printed as issuers print them: 4-4-4-4(-3), 4-4-4-1..4, or 4-6-4/5 (Amex, Diners). */
function groupingIsPlausible(groups: readonly string[]): boolean {
  const [, second] = groups;
  const last = groups[groups.length - 1]!;
  if (second?.length === 6) return groups.length === 3 && (last.length === 4 || last.length === 5);
  if (second?.length !== 4) return false;
  return groups.slice(1, -1).every((g) => g.length === 4) && last.length >= 1 && last.length <= 4;
}

/** CREDIT_CARD: Luhn-valid numbers in a known issuer range; bare ones a little less sure than grouped ones. */
export const creditCardDetector: Detector = {
  type: 'CREDIT_CARD',
  detect(text: string, profile: TextProfile = new TextProfile(text)): PiiMatch[] {
    const found: PiiMatch[] = [];
    const windows = profile.runWindows(MIN_LENGTH);
    for (let w = 0; w < windows.length; w += 2) {
      const offset = windows[w]!;
      const window = text.slice(offset, windows[w + 1]);
      CANDIDATE.lastIndex = 0;
      for (let m = CANDIDATE.exec(window); m !== null; m = CANDIDATE.exec(window)) {
        const value = m[0];
        const separator = m[1];
        const digits = separator === undefined ? value : value.split(separator).join('');
        if (separator !== undefined && !groupingIsPlausible(value.split(separator))) continue;
        if (!isPaymentCardNumber(digits)) continue;
        const start = offset + m.index;
        const end = start + value.length;
        const base = separator === undefined ? 0.9 : 0.95;
        found.push({ type: 'CREDIT_CARD', start, end, confidence: contextBoost(base, text, start, end, CONTEXT_WORDS) });
      }
    }
    return found;
  },
};
