// IBAN: International Bank Account Numbers (ISO 13616) of every country in the SWIFT IBAN registry, written
// whole or in the print form's groups of four, checked against the country's length and BBAN structure and
// the ISO 7064 MOD 97-10 check digits.
import { contextBoost, contextWords } from '../context.ts';
import type { Detector, PiiMatch } from '../detector.ts';
import { codeAt } from '../char-code.ts';
import { TextProfile } from '../text-profile.ts';

// Country, length, structure and a mod-97 check all have to agree.
const BASE_CONFIDENCE = 0.95;
const CONTEXT = contextWords(['iban', 'account', 'bank', 'transfer', 'swift', 'bic', 'sepa', 'payment', 'beneficiary']);

// SWIFT IBAN Registry as of 2025: country code, then the BBAN structure in the registry's notation
// (n digits, a upper-case letters, c either; "!" means fixed length). The IBAN is the code, two check
// digits and the BBAN.
const REGISTRY: Record<string, string> = {
  AD: '4!n4!n12!c', AE: '3!n16!n', AL: '8!n16!c', AT: '5!n11!n', AZ: '4!a20!c', BA: '3!n3!n8!n2!n',
  BE: '3!n7!n2!n', BG: '4!a4!n2!n8!c', BH: '4!a14!c', BI: '5!n5!n11!n2!n', BR: '8!n5!n10!n1!a1!c',
  BY: '4!c4!n16!c', CH: '5!n12!c', CR: '4!n14!n', CY: '3!n5!n16!c', CZ: '4!n6!n10!n', DE: '8!n10!n',
  DJ: '5!n5!n11!n2!n', DK: '4!n9!n1!n', DO: '4!c20!n', EE: '2!n14!n', EG: '4!n4!n17!n', ES: '4!n4!n1!n1!n10!n',
  FI: '3!n11!n', FK: '2!a12!n', FO: '4!n9!n1!n', FR: '5!n5!n11!c2!n', GB: '4!a6!n8!n', GE: '2!a16!n',
  GI: '4!a15!c', GL: '4!n9!n1!n', GR: '3!n4!n16!c', GT: '4!c20!c', HN: '4!a20!n', HR: '7!n10!n',
  HU: '3!n4!n1!n15!n1!n', IE: '4!a6!n8!n', IL: '3!n3!n13!n', IQ: '4!a3!n12!n', IS: '4!n2!n6!n10!n',
  IT: '1!a5!n5!n12!c', JO: '4!a4!n18!c', KW: '4!a22!c', KZ: '3!n13!c', LB: '4!n20!c', LC: '4!a24!c',
  LI: '5!n12!c', LT: '5!n11!n', LU: '3!n13!c', LV: '4!a13!c', LY: '3!n3!n15!n', MC: '5!n5!n11!c2!n',
  MD: '2!c18!c', ME: '3!n13!n2!n', MK: '3!n10!c2!n', MN: '4!n12!n', MR: '5!n5!n11!n2!n', MT: '4!a5!n18!c',
  MU: '4!a2!n2!n12!n3!n3!a', NI: '4!a20!n', NL: '4!a10!n', NO: '4!n6!n1!n', OM: '3!n16!c', PK: '4!a16!c',
  PL: '8!n16!n', PS: '4!a21!c', PT: '4!n4!n11!n2!n', QA: '4!a21!c', RO: '4!a16!c', RS: '3!n13!n2!n',
  RU: '9!n5!n15!c', SA: '2!n18!c', SC: '4!a2!n2!n16!n3!a', SD: '2!n12!n', SE: '3!n16!n1!n', SI: '5!n8!n2!n',
  SK: '4!n6!n10!n', SM: '1!a5!n5!n12!c', SO: '4!n3!n12!n', ST: '4!n4!n11!n2!n', SV: '4!a20!n',
  TL: '3!n14!n2!n', TN: '2!n3!n13!n2!n', TR: '5!n1!n16!c', UA: '6!n19!c', VA: '3!n15!n', VG: '4!a16!n',
  XK: '4!n10!n2!n', YE: '4!a4!n18!c',
};

/** A compiled registry entry: the whole IBAN's length and one character class per BBAN position. */
interface CountryFormat {
  length: number;
  bban: Uint8Array;
}

const UNICODE_WORD = /[\p{L}\p{N}]/u;

const DIGIT = 1;
const LETTER = 2;
const EITHER = DIGIT | LETTER;

const FORMATS = new Map<string, CountryFormat>(
  Object.entries(REGISTRY).map(([country, structure]) => {
    const classes: number[] = [];
    for (const [, count, kind] of structure.matchAll(/(\d+)!([nac])/g)) {
      classes.push(...new Array<number>(Number(count)).fill(kind === 'n' ? DIGIT : kind === 'a' ? LETTER : EITHER));
    }
    return [country, { length: 4 + classes.length, bban: Uint8Array.from(classes) }];
  }),
);

// A country code and check digits. Only the registry's letter pairs go further, so this is the whole cost on
// ordinary text.
const START = /[A-Z]{2}\d{2}/g;

/** Finds IBANs, compact ("DE89370400440532013000") or grouped by four with spaces or hyphens. */
export const ibanDetector: Detector = {
  type: 'IBAN',
  detect(text: string, profile: TextProfile = new TextProfile(text)): PiiMatch[] {
    if (!profile.mayHoldCapital()) return [];
    const matches: PiiMatch[] = [];
    START.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = START.exec(text)) !== null) {
      const start = m.index;
      const format = FORMATS.get(m[0].slice(0, 2));
      if (!format || isGlued(codeAt(text, start - 1))) continue;
      const end = ibanEnd(text, start, format);
      if (end === undefined) continue;
      matches.push({ type: 'IBAN', start, end, confidence: contextBoost(BASE_CONFIDENCE, text, start, end, CONTEXT) });
      START.lastIndex = end;
    }
    return matches;
  },
};

/**
 * Reads an IBAN of `format` starting at `start`: compact, or in groups of four joined by one separator used
 * throughout (ISO 13616's print form). Returns its end, or undefined when structure or checksum fail.
 */
function ibanEnd(text: string, start: number, format: CountryFormat): number | undefined {
  const separator = codeAt(text, start + 4);
  const grouped = isSeparator(separator);
  const chars: number[] = [];
  let i = start;
  while (chars.length < format.length) {
    if (grouped && chars.length > 0 && chars.length % 4 === 0) {
      if (codeAt(text, i) !== separator) return undefined;
      i++;
    }
    const c = codeAt(text, i);
    if (!isUpperAlnum(c)) return undefined;
    chars.push(c);
    i++;
  }
  // A longer run of letters and digits is some other code that starts like an IBAN.
  if (isGlued(codeAt(text, i))) return undefined;
  for (let k = 0; k < format.bban.length; k++) {
    const kind = isDigit(chars[4 + k]!) ? DIGIT : LETTER;
    if ((format.bban[k]! & kind) === 0) return undefined;
  }
  return hasValidCheckDigits(chars) ? i : undefined;
}

/** ISO 7064 MOD 97-10 as ISO 13616 applies it: BBAN, then country and check digits, letters as 10..35; rest 1. */
function hasValidCheckDigits(chars: readonly number[]): boolean {
  const check = (chars[2]! - 0x30) * 10 + (chars[3]! - 0x30);
  // Computed check digits run from 02 to 98 (98 minus a remainder mod 97); 00, 01 and 99 never occur.
  if (check < 2 || check > 98) return false;
  let rest = 0;
  for (let k = 0; k < chars.length; k++) {
    const c = chars[(k + 4) % chars.length]!;
    rest = isDigit(c) ? (rest * 10 + (c - 0x30)) % 97 : (rest * 100 + (c - 0x37)) % 97;
  }
  return rest === 1;
}

function isSeparator(c: number): boolean {
  return c === 0x20 || c === 0x2d || c === 0xa0 || c === 0x202f;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isUpperAlnum(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x5a);
}

/** Letters or digits (of any script) touching the IBAN make it part of a longer word. */
function isGlued(c: number): boolean {
  if (c < 0x80) return isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
  return UNICODE_WORD.test(String.fromCharCode(c));
}
