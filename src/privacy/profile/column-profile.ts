// Profiles the columns of sampled records: what type each holds, how often it is missing or null, and which
// PII types its values contain (the share of values with at least one finding).
import type { Detector, PiiType } from '../detect/detector.ts';
import { findReplaceable } from '../detect/scan-text.ts';
import type { FieldType } from '../../spec/contract.ts';

/** What `sluice scan` learned about one column. */
export interface ColumnProfile {
  name: string;
  /** Records that have the field at all (null included). */
  present: number;
  nulls: number;
  /** The narrowest contract type every non-null value fits. */
  type: FieldType;
  /** Non-null values with at least one finding of each type, most frequent first. */
  pii: { type: PiiType; values: number; share: number }[];
  /** Most non-null values are prose (three or more words, or longer than 64 characters): free text. */
  freeText: boolean;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$/;
const INTEGER_TEXT = /^-?\d{1,15}$/;
const NUMBER_TEXT = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

function typeOf(value: unknown): FieldType {
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value !== 'string') return 'string';
  if (ISO_DATE.test(value)) return 'date';
  if (ISO_TIMESTAMP.test(value)) return 'timestamp';
  return 'string';
}

/** The type of a CSV cell, where every value arrives as text. */
function typeOfText(value: string): FieldType {
  if (value === 'true' || value === 'false') return 'boolean';
  if (INTEGER_TEXT.test(value)) return 'integer';
  if (NUMBER_TEXT.test(value)) return 'number';
  return typeOf(value);
}

function widen(a: FieldType | undefined, b: FieldType): FieldType {
  if (a === undefined) return b;
  if (a === b) return a;
  // Numbers widen to number; anything else mixed is text.
  if ((a === 'integer' || a === 'number') && (b === 'integer' || b === 'number')) return 'number';
  if ((a === 'date' || a === 'timestamp') && (b === 'date' || b === 'timestamp')) return 'timestamp';
  return 'string';
}

const WORD = /\p{L}\p{L}/u;

/** Three or more space-separated words, or a long text: prose, not a code, a number, an address or a name. */
function isProse(text: string): boolean {
  if (text.length > 64) return true;
  let words = 0;
  for (const token of text.split(/\s+/)) if (WORD.test(token) && ++words >= 3) return true;
  return false;
}

interface Tally {
  present: number;
  nulls: number;
  type?: FieldType;
  long: number;
  pii: Map<PiiType, number>;
}

/** Profiles `records` (objects; anything else is skipped). `textual` when every value arrived as text (CSV). */
export function profileColumns(records: readonly unknown[], detectors: readonly Detector[], options: { textual?: boolean; minConfidence?: number } = {}): ColumnProfile[] {
  const minConfidence = options.minConfidence ?? 0.5;
  const columns = new Map<string, Tally>();
  for (const record of records) {
    if (record === null || typeof record !== 'object' || Array.isArray(record)) continue;
    for (const [name, value] of Object.entries(record)) {
      let tally = columns.get(name);
      if (!tally) columns.set(name, (tally = { present: 0, nulls: 0, long: 0, pii: new Map() }));
      tally.present++;
      if (value === null || value === undefined || (options.textual === true && value === '')) {
        tally.nulls++;
        continue;
      }
      tally.type = widen(tally.type, options.textual === true && typeof value === 'string' ? typeOfText(value) : typeOf(value));
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      if (isProse(text)) tally.long++;
      const types = new Set(findReplaceable(text, detectors, minConfidence).flatMap((m) => m.types));
      for (const type of types) tally.pii.set(type, (tally.pii.get(type) ?? 0) + 1);
    }
  }
  return [...columns].map(([name, t]) => {
    const values = t.present - t.nulls;
    return {
      name,
      present: t.present,
      nulls: t.nulls,
      type: t.type ?? 'string',
      pii: [...t.pii].map(([type, n]) => ({ type, values: n, share: values > 0 ? n / values : 0 })).sort((a, b) => b.values - a.values),
      freeText: values > 0 && t.long * 2 > values,
    };
  });
}
