// PostgreSQL identifiers from a spec (tables, columns): checked, then always quoted, so that no name is ever SQL.
import { z } from 'zod';

/**
 * NAMEDATALEN - 1: PostgreSQL silently truncates a longer identifier (docs, "Identifiers and Key Words"), so
 * a longer name could address another object than the one written. Such names are refused instead.
 */
export const MAX_IDENTIFIER_BYTES = 63;

/** Why a name cannot be a PostgreSQL identifier, or undefined when it can (any other character is quoted). */
export function identifierProblem(name: string): string | undefined {
  if (name === '') return 'a name cannot be empty';
  // PostgreSQL's wire protocol ends strings at NUL, so a name holding one is never what it seems.
  if (name.includes('\0')) return 'a name cannot contain a NUL character';
  if (Buffer.byteLength(name, 'utf8') > MAX_IDENTIFIER_BYTES) return `a name is at most ${MAX_IDENTIFIER_BYTES} bytes (PostgreSQL would cut it short)`;
  return undefined;
}

/**
 * The identifier as a quoted SQL identifier: double quotes around it, inner double quotes doubled (SQL:2016
 * 5.2 <delimited identifier>; PostgreSQL docs 4.1.1). Quoted names are exact: `Orders` is not `orders`.
 */
export function quoteIdentifier(name: string): string {
  const problem = identifierProblem(name);
  if (problem !== undefined) throw new TypeError(`refused identifier: ${problem}`);
  return `"${name.replaceAll('"', '""')}"`;
}

/** A table, view or other relation, optionally in a schema. */
export interface RelationName {
  schema?: string;
  name: string;
}

/** `name` or `schema.name`; a name holding a dot cannot be written here (a second dot is refused). */
export function parseRelationName(text: string): RelationName {
  const parts = text.split('.');
  if (parts.length === 1) return { name: text };
  if (parts.length === 2) return { schema: parts[0] ?? '', name: parts[1] ?? '' };
  throw new TypeError('write a table as name or schema.name, with one dot at most');
}

/** The relation as quoted SQL: `"schema"."name"` or `"name"` (found through the search_path). */
export function quoteRelation(relation: RelationName): string {
  return relation.schema === undefined ? quoteIdentifier(relation.name) : `${quoteIdentifier(relation.schema)}.${quoteIdentifier(relation.name)}`;
}

/** The relation as people write it, for messages: `schema.name`. */
export function relationLabel(relation: RelationName): string {
  return relation.schema === undefined ? relation.name : `${relation.schema}.${relation.name}`;
}

/** A column name option: any identifier PostgreSQL can hold, quoted when used. */
export const columnNameSchema = z.string().superRefine((name, context) => {
  const problem = identifierProblem(name);
  if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
});

/** A table option: `name` or `schema.name`, each part an identifier, quoted when used. */
export const relationNameSchema = z.string().superRefine((text, context) => {
  let relation: RelationName;
  try {
    relation = parseRelationName(text);
  } catch (error) {
    context.addIssue({ code: 'custom', message: (error as Error).message });
    return;
  }
  for (const part of [relation.schema, relation.name]) {
    const problem = part === undefined ? undefined : identifierProblem(part);
    if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
  }
});
