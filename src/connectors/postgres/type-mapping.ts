// How PostgreSQL values become record values. The driver hands over each value's exact text (the session
// settings in pool.ts fix its form); this module converts it by the column's type OID, so no value is rounded
// or shifted by a time zone behind the user's back.
import pg from 'pg';

/** How int8 (bigint) values arrive: numbers (exact up to 2^53 - 1; a larger one fails the read) or decimal text. */
export const BIGINT_MODES = ['number', 'string'] as const;
/** How numeric (decimal) values arrive: exact decimal text, or the nearest double. */
export const NUMERIC_MODES = ['string', 'number'] as const;

export interface TypeModes {
  bigint: (typeof BIGINT_MODES)[number];
  numeric: (typeof NUMERIC_MODES)[number];
}

/** A value that cannot be converted as the options ask (an int8 past 2^53 as a number). */
export class UnrepresentableValue extends Error {
  constructor(readonly fix: string) {
    super('unrepresentable value');
  }
}

/** Converts a value's text to the record value. */
export type Converter = (text: string) => unknown;

/** pg_type OIDs (src/include/catalog/pg_type.dat). */
const OID = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  date: 1082,
  timestamp: 1114,
  timestamptz: 1184,
  numeric: 1700,
  jsonb: 3802,
} as const;

/** Array types whose elements are converted one by one: array OID to element OID. */
const ARRAY_ELEMENTS = new Map<number, number>([
  [1000, OID.bool],
  [1001, OID.bytea],
  [1005, OID.int2],
  [1007, OID.int4],
  [1016, OID.int8],
  [1021, OID.float4],
  [1022, OID.float8],
  [1231, OID.numeric],
  [1182, OID.date],
  [1115, OID.timestamp],
  [1185, OID.timestamptz],
  [199, OID.json],
  [3807, OID.jsonb],
  [1009, 25],
  [1015, 1043],
  [1014, 1042],
  [2951, 2950],
]);

/** Splits array text ({a,"b c",NULL}) into element texts, nested arrays into nested lists; the driver's own parser. */
const parseTextArray = (pg.types.getTypeParser as (oid: number) => (text: string) => unknown)(1009);

const TIMESTAMPTZ_TEXT = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)\+00$/;
const TIMESTAMP_TEXT = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)$/;

const identity: Converter = (text) => text;

/** A float as a number; NaN and the infinities stay text, since JSON would turn them into null unnoticed. */
function float(text: string): unknown {
  const value = Number(text);
  return Number.isFinite(value) ? value : text;
}

function bigintAsNumber(text: string): unknown {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new UnrepresentableValue('set bigint: string to read int8 values as decimal text');
  return value;
}

/**
 * A timestamptz (always at +00 in this session) as ISO 8601 with its microseconds and Z: '2026-11-30
 * 10:32:08.625711+00' is '2026-11-30T10:32:08.625711Z'. infinity, BC and 5-digit years keep PostgreSQL's text.
 */
function timestamptz(text: string): string {
  const match = TIMESTAMPTZ_TEXT.exec(text);
  return match ? `${match[1]}T${match[2]}Z` : text;
}

/** A timestamp without time zone as ISO 8601 without an offset, microseconds kept. */
function timestamp(text: string): string {
  const match = TIMESTAMP_TEXT.exec(text);
  return match ? `${match[1]}T${match[2]}` : text;
}

/** bytea's hex output (\x0a0b…) as base64. */
function bytea(text: string): string {
  return Buffer.from(text.startsWith('\\x') ? text.slice(2) : text, 'hex').toString('base64');
}

function scalarConverter(oid: number, modes: TypeModes): Converter {
  switch (oid) {
    case OID.bool:
      return (text) => text === 't';
    case OID.int2:
    case OID.int4:
    case OID.oid:
      return Number;
    case OID.int8:
      return modes.bigint === 'number' ? bigintAsNumber : identity;
    case OID.float4:
    case OID.float8:
      return float;
    case OID.numeric:
      return modes.numeric === 'number' ? float : identity;
    case OID.json:
    case OID.jsonb:
      return (text) => JSON.parse(text) as unknown;
    case OID.timestamptz:
      return timestamptz;
    case OID.timestamp:
      return timestamp;
    case OID.bytea:
      return bytea;
    default:
      // text, varchar, uuid, date (already YYYY-MM-DD), time, interval (ISO 8601), inet, enums...: their text.
      return identity;
  }
}

/** Maps every element of a (possibly nested) parsed array; NULL elements stay null. */
function mapArray(value: unknown, convert: Converter): unknown {
  if (Array.isArray(value)) return value.map((item) => mapArray(item, convert));
  return value === null ? null : convert(value as string);
}

/**
 * The converter for a column of type `oid`: booleans, integers and floats as JSON values; int8 and numeric as
 * `modes` say; json and jsonb parsed; timestamps as ISO 8601 text with every microsecond; bytea as base64;
 * arrays of these as arrays; any other type as PostgreSQL's text for it.
 */
export function converterFor(oid: number, modes: TypeModes): Converter {
  const element = ARRAY_ELEMENTS.get(oid);
  if (element === undefined) return scalarConverter(oid, modes);
  const convert = scalarConverter(element, modes);
  return (text) => mapArray(parseTextArray(text), convert);
}

/** Query types that leave every value as the server's text, for converterFor (or a position) to read. */
export const RAW_TEXT_TYPES = { getTypeParser: () => identity } as unknown as pg.CustomTypesConfig;
