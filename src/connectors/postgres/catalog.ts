// What the system catalogs say about a table: whether it exists, its columns, and which column sets are unique.
// Connectors read this when they open, to refuse a spec that cannot work before any row moves.
import type pg from 'pg';
import type { RelationName } from './identifiers.ts';
import { quoteRelation } from './identifiers.ts';

export interface CatalogColumn {
  name: string;
  /** The type as SQL writes it (format_type), e.g. `timestamp with time zone`. */
  type: string;
  notNull: boolean;
  /** A generated column cannot be written. */
  generated: boolean;
}

export interface CatalogRelation {
  /** pg_class.oid, as decimal text. */
  oid: string;
  schema: string;
  name: string;
  /** pg_class.relkind: r table, p partitioned table, v view, m materialized view, f foreign table. */
  kind: string;
  columns: CatalogColumn[];
  /** The column sets of the primary key (first, when there is one) and of every other plain unique index. */
  uniqueKeys: string[][];
  primaryKey?: string[];
}

/** Relation kinds whose rows can be read. */
export const READABLE_KINDS = new Set(['r', 'p', 'v', 'm', 'f']);
/** Relation kinds that hold their own rows (can be written, and whose NOT NULL and unique indexes mean something). */
export const TABLE_KINDS = new Set(['r', 'p']);
/** Relation kinds whose rows carry xmin, so a read can stop before rows of transactions still running (not views or foreign tables). */
export const FENCED_KINDS = new Set(['r', 'p', 'm']);

/**
 * The relation as the server resolves it (through the search_path when it has no schema), or undefined when
 * there is none the user can see. The name travels as a parameter, quoted, so it is only ever a name.
 */
export async function describeRelation(client: pg.ClientBase, relation: RelationName): Promise<CatalogRelation | undefined> {
  const found = await client.query<{ oid: string; schema: string; name: string; kind: string }>(
    `SELECT c.oid::bigint AS oid, n.nspname::text AS schema, c.relname::text AS name, c.relkind::text AS kind
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid = to_regclass($1)`,
    [quoteRelation(relation)],
  );
  const row = found.rows[0];
  if (!row) return undefined;
  const columns = await client.query<CatalogColumn>(
    `SELECT attname::text AS name, format_type(atttypid, atttypmod) AS type, attnotnull AS "notNull", attgenerated <> '' AS generated
       FROM pg_attribute
      WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped
      ORDER BY attnum`,
    [row.oid],
  );
  // Unique indexes that hold for every row: no predicate, no expression; INCLUDE columns are not part of the key.
  const keys = await client.query<{ primary: boolean; columns: string[] }>(
    `SELECT i.indisprimary AS primary, array_agg(a.attname::text ORDER BY k.ord) AS columns
       FROM pg_index i
       CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid = $1 AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL AND k.ord <= i.indnkeyatts
      GROUP BY i.indexrelid, i.indisprimary
      ORDER BY i.indisprimary DESC, i.indexrelid`,
    [row.oid],
  );
  const primary = keys.rows.find((k) => k.primary);
  return {
    ...row,
    columns: columns.rows,
    uniqueKeys: keys.rows.map((k) => k.columns),
    ...(primary ? { primaryKey: primary.columns } : {}),
  };
}

/** Whether some unique key of the relation lies within `columns` (so rows differ in at least one of them). */
export function hasUniqueKeyWithin(relation: CatalogRelation, columns: readonly string[]): boolean {
  const set = new Set(columns);
  return relation.uniqueKeys.some((key) => key.every((column) => set.has(column)));
}

/** Whether some unique key of the relation is exactly `columns`, in any order (what ON CONFLICT needs). */
export function hasUniqueKeyExactly(relation: CatalogRelation, columns: readonly string[]): boolean {
  const set = new Set(columns);
  return relation.uniqueKeys.some((key) => key.length === set.size && key.every((column) => set.has(column)));
}
