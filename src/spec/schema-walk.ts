// Reads the keys a zod object schema allows at a path, so typos can get "did you mean".
import type { z } from 'zod';
import type { SpecPath } from './location.ts';

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  innerType?: z.ZodType;
  valueType?: z.ZodType;
  in?: z.ZodType;
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** Unwraps optional, default, nullable and pipe wrappers. */
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (let i = 0; i < 16; i++) {
    const def = defOf(current);
    const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
    if (!inner) return current;
    current = inner;
  }
  return current;
}

/** The schema found by following `path` from `schema`, if the path stays inside objects, arrays and records. */
export function schemaAt(schema: z.ZodType, path: SpecPath): z.ZodType | undefined {
  let current: z.ZodType | undefined = unwrap(schema);
  for (const part of path) {
    if (!current) return undefined;
    const def = defOf(current);
    if (def.type === 'object' && typeof part === 'string') current = def.shape?.[part];
    else if (def.type === 'array') current = def.element;
    else if (def.type === 'record') current = def.valueType;
    else return undefined;
    if (current) current = unwrap(current);
  }
  return current;
}

/** The keys an object schema at `path` accepts; empty when it is not an object. */
export function knownKeysAt(schema: z.ZodType, path: SpecPath): string[] {
  const target = schemaAt(schema, path);
  if (!target) return [];
  const def = defOf(target);
  return def.type === 'object' ? Object.keys(def.shape ?? {}) : [];
}
