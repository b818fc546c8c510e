// The statements a PostgreSQL sink writes with: a whole batch as one JSON parameter expanded by
// json_populate_recordset (one round trip, no parameter-count limit, values converted by each column's type),
// inserted or upserted on the key; and the CREATE TABLE for createTable.
import { quoteIdentifier } from './identifiers.ts';

/** Column types createTable may use, named as the contract names field types (plus json). */
export const COLUMN_TYPES = {
  string: 'text',
  integer: 'bigint',
  number: 'double precision',
  boolean: 'boolean',
  date: 'date',
  timestamp: 'timestamp with time zone',
  json: 'jsonb',
} as const;

export type ColumnType = keyof typeof COLUMN_TYPES;

/**
 * INSERT of a batch given as a JSON array of objects ($1). With a key: ON CONFLICT (key) DO UPDATE of the other
 * columns, so a row written again replaces the old one. `table` is already quoted.
 */
export function insertStatement(table: string, columns: readonly string[], key: readonly string[] | undefined): string {
  const list = columns.map(quoteIdentifier).join(', ');
  const insert = `INSERT INTO ${table} (${list}) SELECT ${list} FROM json_populate_recordset(NULL::${table}, $1::json)`;
  if (key === undefined) return insert;
  const keys = new Set(key);
  const updates = columns.filter((column) => !keys.has(column)).map((column) => `${quoteIdentifier(column)} = EXCLUDED.${quoteIdentifier(column)}`);
  const target = key.map(quoteIdentifier).join(', ');
  return `${insert} ON CONFLICT (${target}) ${updates.length > 0 ? `DO UPDATE SET ${updates.join(', ')}` : 'DO NOTHING'}`;
}

/** CREATE TABLE IF NOT EXISTS with a column per field (text unless `types` says otherwise), keyed on `key`. */
export function createTableStatement(table: string, columns: readonly string[], key: readonly string[] | undefined, types: Readonly<Record<string, ColumnType>>): string {
  const typeOf = (column: string): ColumnType => (Object.hasOwn(types, column) ? types[column] : undefined) ?? 'string';
  const definitions = columns.map((column) => `${quoteIdentifier(column)} ${COLUMN_TYPES[typeOf(column)]}`);
  if (key !== undefined) definitions.push(`PRIMARY KEY (${key.map(quoteIdentifier).join(', ')})`);
  return `CREATE TABLE IF NOT EXISTS ${table} (${definitions.join(', ')})`;
}
