// The shapes of digit groups that validate as some region's phone number but are written as something else: a
// card number, an SSN, a date, an ISBN, a ZIP+4 code, an IPv4 address or a version, zero padding.
import { isPaymentCardNumber } from './credit-card.ts';

/** A stretch of digits in a run, and how it is attached to the group before it. */
export interface Group {
  start: number;
  end: number;
  digits: string;
  joint: Joint;
}

/**
 * 'soft': a space or a parenthesis, where a window (a candidate number) may start or end; 'joined': a lone
 * '-', '.' or '/', which keeps its neighbours in one number; 'break': anything else, which no window crosses.
 */
export type Joint = 'soft' | 'joined' | 'break';

const STATE_BEFORE = /\b[A-Z]{2},?\s{1,3}$/;

/** A card number written in groups is not a row of phone numbers either. */
export function isCardRun(groups: readonly Group[]): boolean {
  if (groups.length < 2) return false;
  let digits = groups[0]!.digits;
  for (let k = 1; k < groups.length; k++) {
    if (groups[k]!.joint === 'break') return false;
    digits += groups[k]!.digits;
  }
  return isPaymentCardNumber(digits);
}

/** Shapes that validate as some region's phone number but are written as something else. */
export function looksLikeOtherNumber(text: string, shape: readonly Group[], digits: string): boolean {
  if (digits.length >= 12 && isPaymentCardNumber(digits)) return true;
  // Hex dumps and zero padding ("02 00 00 00 00"): no subscriber number ends in six zeros.
  if (digits.endsWith('000000')) return true;
  // Placeholder digits ("0123456789", "1234567890").
  if ('01234567890123456789'.includes(digits)) return true;
  // An ISBN or a part number: phone numbers do not end in a group of one digit ("0-596-00461-3").
  if (shape.length > 2 && shape[shape.length - 1]!.digits.length === 1) return true;
  // A US ZIP+4 code after its state ("Boston, MA 02110-1301").
  if (shape.length === 2 && shape[0]!.digits.length === 5 && shape[1]!.digits.length === 4 && STATE_BEFORE.test(text.slice(Math.max(0, shape[0]!.start - 8), shape[0]!.start))) return true;
  // The separator before each group, trimmed ('' before the first).
  const sep: string[] = [''];
  let dotted = false;
  for (let k = 1; k < shape.length; k++) {
    const s = text.slice(shape[k - 1]!.end, shape[k]!.start).trim();
    if (s === '.') dotted = true;
    sep.push(s);
  }
  if (dotted) {
    // Dotted numbers are phones only in three or more groups of two or more digits (415.555.0132,
    // 01.42.68.53.00); a decimal, a version or an IPv4 address is something else.
    if (shape.length < 3 || shape.some((g) => g.digits.length < 2)) return true;
    if (shape.length === 4 && shape.every((g) => g.digits.length <= 3)) return true;
  }
  for (let k = 0; k + 2 < shape.length; k++) {
    const a = shape[k]!.digits;
    const b = shape[k + 1]!.digits;
    const c = shape[k + 2]!.digits;
    const joiner = sep[k + 1]!;
    if (joiner !== sep[k + 2]) continue;
    // SSA format AAA-GG-SSSS, with '-', '.' or a space.
    if (a.length === 3 && b.length === 2 && c.length === 4 && (k === 0 || joiner !== '')) return true;
    if (joiner !== '' && '-./'.includes(joiner) && isDate(a, b, c)) return true;
  }
  return false;
}

/** Y-M-D, D-M-Y or M-D-Y with a month 1-12, a day 1-31 and a two- or four-digit year. */
function isDate(a: string, b: string, c: string): boolean {
  if (a.length === 4 && b.length <= 2 && c.length <= 2) return isDayMonth(c, b);
  if (a.length <= 2 && b.length <= 2 && (c.length === 4 || c.length === 2)) return isDayMonth(a, b) || isDayMonth(b, a);
  return false;
}

function isDayMonth(d: string, m: string): boolean {
  return Number(d) >= 1 && Number(d) <= 31 && Number(m) >= 1 && Number(m) <= 12;
}

/** Every ')' closes a '(' before it, and every '(' is closed. */
export function parensBalanced(text: string, start: number, end: number): boolean {
  let depth = 0;
  for (let k = start; k < end; k++) {
    const c = text.charCodeAt(k);
    if (c === 0x28) depth++;
    else if (c === 0x29 && --depth < 0) return false;
  }
  return depth === 0;
}
