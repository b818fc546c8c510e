// What a PII detector is: a pure function from a string to the spans it recognises. Detectors know nothing
// of records, steps or files; the scanner (scan-text.ts) runs them and resolves overlaps.
import type { TextProfile } from './text-profile.ts';

/** The PII types Sluice detects. The names are the ones `sluice detect` prints and specs configure. */
export const PII_TYPES = [
  'EMAIL',
  'PHONE',
  'CREDIT_CARD',
  'US_SSN',
  'IBAN',
  'IP_ADDRESS',
  'MAC_ADDRESS',
  'URL',
  'CRYPTO',
  'DATE_OF_BIRTH',
  'PERSON',
  'SECRET',
] as const;
export type PiiType = (typeof PII_TYPES)[number];

/**
 * One finding: `text.slice(start, end)` is the value (JavaScript string indices, end exclusive).
 * `confidence` is in (0, 1]: a checksum or strict syntax that passed gives a high value, a bare pattern a
 * lower one; context words nearby raise it (see context.ts).
 */
export interface PiiMatch {
  type: PiiType;
  start: number;
  end: number;
  confidence: number;
}

/**
 * A detector: one type, one pure function. It must run in time linear in the text (no catastrophic backtracking).
 * `profile` is `new TextProfile(text)`, passed by a scanner that runs several detectors over one text so that
 * what they ask of it is found once; a detector makes its own when it is not given.
 */
export interface Detector {
  type: PiiType;
  detect(text: string, profile?: TextProfile): PiiMatch[];
}
