// What a PostgreSQL source reads and in which order, checked against the server when it opens: the table exists,
// the columns are there, and (cursor, key) identifies each row, so keyset pagination neither skips nor repeats one.
import type pg from 'pg';
import { SluiceError } from '../../errors.ts';
import { describeRelation, FENCED_KINDS, hasUniqueKeyWithin, READABLE_KINDS, TABLE_KINDS } from './catalog.ts';
import type { RelationName } from './identifiers.ts';
import { quoteIdentifier, quoteRelation, relationLabel } from './identifiers.ts';
import type { KeysetShape } from './keyset-query.ts';
import { RAW_TEXT_TYPES } from './type-mapping.ts';

/** The alias of the spec's query inside the keyset statement. */
const QUERY_ALIAS = 'sluice_source';

export type SourceTarget = { table: RelationName; columns?: readonly string[]; key?: readonly string[] } | { query: string; key: readonly string[] };

function refuse(message: string): SluiceError {
  return new SluiceError('SLUICE_SOURCE_FAILED', message);
}

/** The spec's query as a FROM item: without a trailing semicolon, in parentheses, aliased. */
export function querySubquery(query: string): string {
  return `(${query.trim().replace(/;+\s*$/, '')}) AS ${quoteIdentifier(QUERY_ALIAS)}`;
}

async function tableShape(client: pg.ClientBase, target: Extract<SourceTarget, { table: RelationName }>, cursor: string, where: string): Promise<KeysetShape> {
  const label = relationLabel(target.table);
  const relation = await describeRelation(client, target.table);
  if (!relation) throw refuse(`table ${label} does not exist at ${where}, or the user may not see it; check the name (names are exact: Orders is not orders) and the grants`);
  if (!READABLE_KINDS.has(relation.kind)) throw refuse(`${label} at ${where} is not a table or view whose rows can be read`);
  const byName = new Map(relation.columns.map((column) => [column.name, column]));
  // By default the primary key breaks the cursor's ties (its columns other than the cursor).
  const key = target.key ?? relation.primaryKey?.filter((column) => column !== cursor) ?? [];
  const order = [cursor, ...key];
  const selected = target.columns ?? relation.columns.map((column) => column.name);
  const missing = [...new Set([...order, ...selected])].filter((column) => !byName.has(column));
  if (missing.length > 0) throw refuse(`${label} at ${where} has no column ${missing.map((m) => `'${m}'`).join(', ')}; its columns are ${relation.columns.map((c) => c.name).join(', ')}`);
  // A view's catalog entry knows nothing of NULLs or uniqueness; for a table, check both now.
  if (TABLE_KINDS.has(relation.kind)) {
    const nullable = order.filter((column) => byName.get(column)?.notNull !== true);
    if (nullable.length > 0) {
      throw refuse(
        `${label}: the cursor and key columns must be NOT NULL, since a row with a NULL there cannot be placed after a position and would never be read; ` +
          `${nullable.join(', ')} may be NULL. Make ${nullable.length === 1 ? 'it' : 'them'} NOT NULL, or read through query with COALESCE`,
      );
    }
    if (!hasUniqueKeyWithin(relation, order)) {
      throw refuse(
        `${label}: (${order.join(', ')}) does not identify a row (no primary key or unique index within these columns), so rows that tie at a batch boundary could be skipped; ` +
          'name key columns that make it unique (the primary key, say)',
      );
    }
  }
  return { from: quoteRelation({ schema: relation.schema, name: relation.name }), select: selected.map(quoteIdentifier).join(', '), order, settledColumn: FENCED_KINDS.has(relation.kind) };
}

async function queryShape(client: pg.ClientBase, target: Extract<SourceTarget, { query: string }>, cursor: string, where: string): Promise<KeysetShape> {
  const from = querySubquery(target.query);
  // A parameter forces the extended protocol, which runs exactly one statement: a query with a second one is refused.
  const described = await client.query({ text: `SELECT * FROM ${from} LIMIT $1`, values: [0], rowMode: 'array', types: RAW_TEXT_TYPES });
  const names = described.fields.map((field) => field.name);
  const duplicates = [...new Set(names.filter((name, i) => names.indexOf(name) !== i))];
  if (duplicates.length > 0) throw refuse(`the source query at ${where} returns more than one column named ${duplicates.join(', ')}; give each column its own name (AS ...)`);
  const order = [cursor, ...target.key];
  const missing = order.filter((column) => !names.includes(column));
  if (missing.length > 0) throw refuse(`the source query at ${where} returns no column ${missing.map((m) => `'${m}'`).join(', ')}; it returns ${names.join(', ')}`);
  return { from, select: '*', order };
}

/** Resolves and checks what the source reads, against the server. */
export async function resolveSourceShape(client: pg.ClientBase, target: SourceTarget, cursor: string, where: string): Promise<KeysetShape> {
  return 'table' in target ? tableShape(client, target, cursor, where) : queryShape(client, target, cursor, where);
}
