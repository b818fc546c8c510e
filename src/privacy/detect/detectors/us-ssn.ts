// US Social Security numbers: AAA-GG-SSSS with one kind of separator (or none), filtered by the SSA's rules
// for numbers that are never issued and by the well-known example numbers printed in advertising.
import type { Detector, PiiMatch } from '../detector.ts';
import { contextBoost, hasContext, contextWords } from '../context.ts';
import { TextProfile } from '../text-profile.ts';

// Two shapes: AAA?GG?SSSS with the same separator twice ('-', '.', ' ') or none at all (9 bare digits), and the
// half-formatted AAA-GGSSSS and AAAGG-SSSS (Presidio scores these "very weak"). The lookarounds keep the match
// from being a piece of a longer number, a decimal, a date or a word; `\1\d` after a space-separated number
// means the run of digit groups goes on. All quantifiers are fixed-width, so matching is linear. Every
// candidate lies in a number run that holds nine digits, and the lookarounds read one character before it and
// two after, so only those runs are searched.
const DIGITS = 9;
const CANDIDATE = /(?<![\w.+/-])(?:\d{3}([-. ]?)\d{2}\1\d{4}|\d{3}-\d{6}|(\d{5})-\d{4})(?![\w-]|[.:/,]\d|\1\d)/g;

const CONTEXT_WORDS = contextWords(['ssn', 'ssns', 'social security', 'social security number', 'social sec', 'soc sec', 'ss', 'ssa', 'taxpayer']);

// Numbers the SSA voided after they were published or reserved for examples: the Woolworth wallet-card
// number (078-05-1120), the 1940s advertising sample (219-09-9999), the sequential placeholder, and the range
// reserved for advertisements (987-65-4320 to 987-65-4329, which the area rule below already refuses; listed
// so the table says what the SSA says).
const KNOWN_EXAMPLES = new Set(['078051120', '219099999', '123456789', ...Array.from({ length: 10 }, (_, i) => `98765432${i}`)]);

// A "ZIP+4" postal code looks exactly like AAAGG-SSSS; a state code or a postal word before it says which.
const ZIP_CONTEXT = contextWords(['zip', 'zip code', 'zipcode', 'postal', 'postcode']);
const STATE_BEFORE = /\b[A-Z]{2},?\s{1,3}$/;

/**
 * The SSA's structural rules (SSA POMS RM 10201.035, and the 2011 randomization notice): area 000, 666 and
 * 900-999 are never assigned, nor group 00 or serial 0000; a number of one repeated digit is a placeholder.
 */
export function isPlausibleSsn(digits: string): boolean {
  const area = Number(digits.slice(0, 3));
  if (area === 0 || area === 666 || area >= 900) return false;
  if (digits.slice(3, 5) === '00' || digits.slice(5) === '0000') return false;
  if (/^(\d)\1{8}$/.test(digits)) return false;
  return !KNOWN_EXAMPLES.has(digits);
}

/** US_SSN: formatted numbers at medium confidence, bare or half-formatted ones low unless "SSN" is near. */
export const usSsnDetector: Detector = {
  type: 'US_SSN',
  detect(text: string, profile: TextProfile = new TextProfile(text)): PiiMatch[] {
    const found: PiiMatch[] = [];
    const windows = profile.runWindows(DIGITS);
    for (let w = 0; w < windows.length; w += 2) {
      const offset = windows[w]!;
      const window = text.slice(offset, windows[w + 1]);
      CANDIDATE.lastIndex = 0; // shared and rewound: cheaper than a copy per call, and detect() is synchronous
      for (let m = CANDIDATE.exec(window); m !== null; m = CANDIDATE.exec(window)) {
        const value = m[0];
        const digits = value.replace(/\D/g, '');
        if (!isPlausibleSsn(digits)) continue;
        const start = offset + m.index;
        const end = start + value.length;
        const separator = m[1];
        if (separator === ' ' && /\d $/.test(text.slice(Math.max(0, start - 2), start))) continue;
        if (m[2] !== undefined && isZipPlusFour(text, start, end)) continue;
        const base = separator === '-' ? 0.65 : separator === '.' || separator === ' ' ? 0.5 : separator === '' ? 0.25 : 0.15;
        found.push({ type: 'US_SSN', start, end, confidence: contextBoost(base, text, start, end, CONTEXT_WORDS) });
      }
    }
    return found;
  },
};

function isZipPlusFour(text: string, start: number, end: number): boolean {
  if (hasContext(text, start, end, CONTEXT_WORDS)) return false;
  return STATE_BEFORE.test(text.slice(Math.max(0, start - 8), start)) || hasContext(text, start, end, ZIP_CONTEXT);
}
