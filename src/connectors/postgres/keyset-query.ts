// Keyset pagination (row-value comparison, "seek method"): each batch is one short query for the rows after the
// last one read, in (cursor, key) order, so no transaction or server-side cursor stays open between batches.
import { SluiceError } from '../../errors.ts';
import type { SourcePosition } from '../source.ts';
import { quoteIdentifier } from './identifiers.ts';

export interface KeysetShape {
  /** The FROM item: a quoted relation, or the spec's query as a subquery. */
  from: string;
  /** The select list: quoted columns, or * for a query. */
  select: string;
  /** The order: the cursor column, then the key columns that break its ties. Unique together. */
  order: readonly string[];
  /**
   * Whether each row comes with SETTLED_COLUMN (tables only: a query's rows have no xmin). A row is settled when
   * the transaction that wrote it is older than every transaction still running: none of those can later commit
   * a row that sorts before it. Reading stops at the first row that is not, so a transaction that commits late
   * with a lower cursor value (a sequence handed out before another's, `updated_at DEFAULT now()`) is read in its
   * turn instead of being skipped for good.
   */
  settledColumn?: boolean;
}

/** The extra column of a fenced read; the name cannot be a user's column once quoted with its dollar sign. */
export const SETTLED_COLUMN = 'sluice$settled';

/**
 * age() counts transactions back from the next one, wraparound included, so a row is settled when its xmin is
 * older than the oldest transaction running at the statement's snapshot. Frozen rows have the largest age.
 * txid_snapshot_xmin() is epoch-extended; its low 32 bits are the xid.
 */
const SETTLED_EXPRESSION = `age(xmin) > age((txid_snapshot_xmin(txid_current_snapshot()) % 4294967296)::text::xid) AS ${quoteIdentifier(SETTLED_COLUMN)}`;

/**
 * The two statements of a keyset read. Values are always parameters: $1..$n the position (as text, which the
 * server converts with each column's own input function, so a timestamp compares to the microsecond), then the
 * batch size. Rows whose cursor or key is NULL cannot be placed after a position, so they are never read.
 */
export function keysetStatements(shape: KeysetShape, options: { bounded?: boolean } = {}): { first: string; next: string } {
  const columns = shape.order.map(quoteIdentifier);
  const notNull = columns.map((column) => `${column} IS NOT NULL`).join(' AND ');
  const orderBy = columns.join(', ');
  const params = (from: number) => columns.map((_, i) => `$${from + i}`).join(', ');
  const select = shape.settledColumn ? `${shape.select}, ${SETTLED_EXPRESSION}` : shape.select;
  const base = `SELECT ${select} FROM ${shape.from} WHERE ${notNull}`;
  const n = columns.length;
  if (options.bounded) {
    // A cluster task's range: up to and including its last row. The bound comes first ($1…$n), then the position.
    return {
      first: `${base} AND (${orderBy}) <= (${params(1)}) ORDER BY ${orderBy} LIMIT $${n + 1}`,
      next: `${base} AND (${orderBy}) <= (${params(1)}) AND (${orderBy}) > (${params(n + 1)}) ORDER BY ${orderBy} LIMIT $${2 * n + 1}`,
    };
  }
  return {
    first: `${base} ORDER BY ${orderBy} LIMIT $1`,
    // (a, b) > ($1, $2) is the SQL row comparison: a > $1 OR (a = $1 AND b > $2); a btree index on (a, b) serves it.
    next: `${base} AND (${orderBy}) > (${params(1)}) ORDER BY ${orderBy} LIMIT $${n + 1}`,
  };
}

/**
 * The statements that split a source into ranges of about `rowsPerRange` rows, after an optional position ($1…$n):
 * `fence` finds the first row not yet settled (tables), and `boundaries` the last row of each range before the
 * fence ($2n+1…$3n when given), ending with the last row there is. Cursor and key come back as text.
 */
export function splitStatements(shape: KeysetShape, options: { after: boolean; fenced: boolean }): { sample: string; fence: string; boundaries: string } {
  const columns = shape.order.map(quoteIdentifier);
  const n = columns.length;
  const orderBy = columns.join(', ');
  const params = (from: number) => columns.map((_, i) => `$${from + i}`).join(', ');
  const notNull = columns.map((column) => `${column} IS NOT NULL`).join(' AND ');
  const after = options.after ? ` AND (${orderBy}) > (${params(1)})` : '';
  const where = `WHERE ${notNull}${after}`;
  const settled = quoteIdentifier(SETTLED_COLUMN);
  const rowsParam = `$${options.after ? n + 1 : 1}`;
  const fenceParams = options.after ? n + 2 : 2;
  const beforeFence = options.fenced ? ` AND (${orderBy}) < (${params(fenceParams)})` : '';
  return {
    sample: `SELECT COALESCE(avg(pg_column_size(sluice_sample.*)), 0)::float8 FROM (SELECT ${shape.select} FROM ${shape.from} ${where} LIMIT 1000) AS sluice_sample`,
    fence: `SELECT ${orderBy} FROM (SELECT ${orderBy}, ${SETTLED_EXPRESSION} FROM ${shape.from} ${where}) AS sluice_fence WHERE NOT ${settled} ORDER BY ${orderBy} LIMIT 1`,
    boundaries:
      `SELECT ${orderBy} FROM (SELECT ${orderBy}, row_number() OVER (ORDER BY ${orderBy}) AS sluice_rn, count(*) OVER () AS sluice_rows ` +
      `FROM ${shape.from} ${where}${beforeFence}) AS sluice_split WHERE sluice_rn % ${rowsParam} = 0 OR sluice_rn = sluice_rows ORDER BY sluice_rn`,
  };
}

/**
 * The position after a row: the exact text of its cursor and key values, which columns they are, and which
 * relation or query they came from (a digest of the server, database and table or query text).
 */
export function keysetPosition(order: readonly string[], values: readonly string[], source: string): SourcePosition {
  return { source, columns: JSON.stringify(order), after: JSON.stringify(values) };
}

/**
 * The values to continue after, from a saved position; refuses one written for other columns (the spec's cursor
 * or key changed), since its values would be compared with the wrong columns, and one written for another table,
 * query, database or server, whose earlier rows would otherwise never be read.
 */
export function positionValues(from: SourcePosition, order: readonly string[], label: string, source: string): string[] {
  const refuse = (why: string) =>
    new SluiceError(
      'SLUICE_RESUME_MISMATCH',
      `${label}: the saved position ${why}, so reading cannot continue from it; restore the cursor and key the last run used, or give the pipeline a new name to read from the start`,
    );
  let columns: unknown;
  let values: unknown;
  try {
    columns = JSON.parse(String(from.columns));
    values = JSON.parse(String(from.after));
  } catch {
    throw refuse('is not one this source wrote');
  }
  const strings = (list: unknown): list is string[] => Array.isArray(list) && list.every((item) => typeof item === 'string');
  if (!strings(columns) || !strings(values) || values.length !== columns.length) throw refuse('is not one this source wrote');
  if (from.source !== source) throw refuse('was written for another table, query, database or server');
  if (columns.length !== order.length || columns.some((column, i) => column !== order[i])) {
    throw refuse(`is for columns (${columns.join(', ')}), but the source now reads by (${order.join(', ')})`);
  }
  return values;
}
