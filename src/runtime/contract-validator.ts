// Checks each raw record against the contract and builds the typed record the steps see. Reasons never quote
// values: a quarantine reason may be logged, and the value may be restricted.
import type { Contract, FieldSpec, FieldType } from '../spec/contract.ts';
import { newRecord } from './record.ts';
import type { DataRecord } from './record.ts';

export type ValidationOutcome = { ok: true; record: DataRecord; droppedUnknown: number } | { ok: false; reason: string };

const INTEGER_TEXT = /^-?(0|[1-9][0-9]*)$/;
const NUMBER_TEXT = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$/;
const TIMESTAMP_TEXT = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Days in `month` (1-12) of `year` in the proleptic Gregorian calendar. */
function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** The value of `count` ASCII digits at `at`, or -1 where one is not a digit. */
function digitsAt(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * YYYY-MM-DD naming a day that exists, from 0001-01-01 (year 0000 is not one PostgreSQL and most tools accept).
 * Read digit by digit: on every record of every dated data set, a regex and a Date object per value cost a few
 * percent of a pipeline's time.
 */
function isRealDate(text: string): boolean {
  if (text.length !== 10 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return false;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/** Why a value does not fit its type. A class, so a hot loop can tell it from any value without allocating. */
class Mismatch {
  constructor(readonly error: string) {}
}

const notText = (value: unknown, what: string) => new Mismatch(`expected ${what}, got ${typeof value === 'string' ? 'text that is not one' : kindOf(value)}`);

/** Converts `value` to `type`, or says why not. Text from CSV is converted; JSON values must match. */
function convert(value: unknown, type: FieldType, textual: boolean): unknown {
  switch (type) {
    case 'string':
      return typeof value === 'string' ? value : new Mismatch(`expected a string, got ${kindOf(value)}`);
    case 'integer':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
      if (textual && typeof value === 'string' && INTEGER_TEXT.test(value) && Number.isSafeInteger(Number(value))) return Number(value);
      return notText(value, 'an integer');
    case 'number':
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      if (textual && typeof value === 'string' && NUMBER_TEXT.test(value)) return Number(value);
      return notText(value, 'a number');
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (textual && (value === 'true' || value === 'false')) return value === 'true';
      return new Mismatch(`expected true or false, got ${kindOf(value)}`);
    case 'date':
      return typeof value === 'string' && isRealDate(value) ? value : new Mismatch('expected a date as YYYY-MM-DD');
    case 'timestamp':
      return typeof value === 'string' && TIMESTAMP_TEXT.test(value) && !Number.isNaN(Date.parse(value))
        ? value
        : new Mismatch('expected an ISO 8601 timestamp such as 2026-11-30T02:00:00Z');
  }
}

/**
 * Compiles the contract into a checker. `textual` is true for sources whose values are all text (CSV), so
 * that numbers and booleans are converted rather than refused.
 */
export function compileContract(contract: Contract, textual: boolean): (raw: unknown) => ValidationOutcome {
  // Names and specs in two arrays read by index: destructuring [name, spec] pairs in the per-record loop made an
  // iterator result per field per record (about a twentieth of a pipeline's allocation).
  const entries: [string, FieldSpec][] = Object.entries(contract.fields);
  const names = entries.map(([name]) => name);
  const specs = entries.map(([, spec]) => spec);
  const declared = new Set(names);
  const dropUnknown = contract.unknownFields === 'drop';

  /**
   * The common case, checked first: the record holds exactly the declared fields, in the contract's order (as
   * files written from one schema do), and none of them is null. Its copy is made in one go ({...input}: V8 copies
   * the properties by their layout), about 0.1 µs against 0.35 for nine stores of named fields into an empty
   * record. Undefined when the record is not such a one, or needs the field-by-field path to say why it fails.
   */
  const copyInOrder = (input: Record<string, unknown>): ValidationOutcome | undefined => {
    let at = 0;
    for (const key in input) if (key !== names[at++]) return undefined;
    if (at !== names.length) return undefined;
    const record = Object.setPrototypeOf({ ...input }, null) as DataRecord;
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      const value = record[name];
      // A missing own field (inherited, not copied) or a null one: the path below says what becomes of it.
      if (value === undefined || value === null) return undefined;
      const converted = convert(value, specs[i]!.type, textual);
      if (converted instanceof Mismatch) return { ok: false, reason: `field '${name}': ${converted.error}` };
      if (converted !== value) record[name] = converted;
    }
    return { ok: true, record, droppedUnknown: 0 };
  };

  return (raw) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, reason: `expected a record, got ${kindOf(raw)}` };
    const input = raw as Record<string, unknown>;
    const copied = copyInOrder(input);
    if (copied) return copied;
    let droppedUnknown = 0;
    for (const key in input) {
      if (!Object.hasOwn(input, key)) continue;
      if (!declared.has(key)) {
        if (!dropUnknown) return { ok: false, reason: `field '${key}' is not in the contract (undeclared fields are restricted); declare it, or set contract.unknownFields: drop` };
        droppedUnknown++;
      }
    }
    const record: DataRecord = newRecord();
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      const spec = specs[i]!;
      const value = Object.hasOwn(input, name) ? input[name] : undefined;
      if (value === undefined || value === null) {
        if (value === null && spec.nullable) record[name] = null;
        else if (spec.required) return { ok: false, reason: `field '${name}' is required but ${value === null ? 'empty' : 'missing'}` };
        continue;
      }
      const converted = convert(value, spec.type, textual);
      if (converted instanceof Mismatch) return { ok: false, reason: `field '${name}': ${converted.error}` };
      record[name] = converted;
    }
    return { ok: true, record, droppedUnknown };
  };
}
