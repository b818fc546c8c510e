// Classification levels and their order: public < internal < confidential < restricted.
import { z } from 'zod';

/** The classification levels, lowest first. */
export const CLASSIFICATIONS = ['public', 'internal', 'confidential', 'restricted'] as const;

/** How sensitive a field is, or the highest level a sink may hold in plaintext (its clearance). */
export type Classification = (typeof CLASSIFICATIONS)[number];

export const classificationSchema = z
  .enum(CLASSIFICATIONS)
  .describe('One of public, internal, confidential, restricted (lowest to highest).');

export function rank(level: Classification): number {
  return CLASSIFICATIONS.indexOf(level);
}

/** The higher of two levels. */
export function maxClassification(a: Classification, b: Classification): Classification {
  return rank(a) >= rank(b) ? a : b;
}

/** The highest of several levels; `public` for none. */
export function highest(levels: Iterable<Classification>): Classification {
  let result: Classification = 'public';
  for (const level of levels) result = maxClassification(result, level);
  return result;
}

/** True when data of `level` may sit in plaintext under `clearance`. */
export function isWithin(level: Classification, clearance: Classification): boolean {
  return rank(level) <= rank(clearance);
}
