// Schemas shared by several routes.
import { z } from 'zod';
import { CLASSIFICATIONS } from '../../spec/classification.ts';

export const catalogName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lowercase letters, digits, - and _, at most 63');
export const namespaceParams = z.strictObject({ namespace: catalogName, name: catalogName });
export const idParams = z.strictObject({ id: z.string().min(1).max(200) });
export const classification = z.enum(CLASSIFICATIONS);
export const empty = z.strictObject({});
/** A page size: 1–1000, 100 when absent (query strings are text, so it is coerced). */
export const limit = z.coerce.number().int().min(1).max(1000).default(100);

export const errorSchema = z.strictObject({
  error: z.strictObject({ code: z.string(), message: z.string(), requestId: z.string(), details: z.array(z.string()).optional() }),
});
