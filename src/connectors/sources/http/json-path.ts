// Dotted paths into a JSON body (`data.items`, `links.next`, `$.meta.cursor`, `pages.0.url`): where the
// records, the next link or the cursor sit. Only own properties are followed, never a prototype's.
import { z } from 'zod';

const SEGMENT = /^[^.\s[\]]+$/;

/** The segments of a path; a leading `$.` (as JSONPath writes the root) is accepted and dropped. */
export function pathSegments(path: string): string[] {
  const body = path === '$' ? '' : path.replace(/^\$\./, '');
  return body === '' ? [] : body.split('.');
}

export const jsonPathSchema = z
  .string()
  .min(1)
  .refine((path) => pathSegments(path).every((segment) => SEGMENT.test(segment)), {
    message: 'write a dotted path such as data.items or $.links.next (array indexes as numbers: pages.0.url)',
  });

/** The value at `path` in `body`, or undefined when any step is missing. */
export function valueAt(body: unknown, path: readonly string[]): unknown {
  let current = body;
  for (const segment of path) {
    if (Array.isArray(current)) {
      if (!/^(0|[1-9]\d*)$/.test(segment)) return undefined;
      current = current[Number(segment)];
    } else if (typeof current === 'object' && current !== null && Object.hasOwn(current, segment)) {
      current = (current as Record<string, unknown>)[segment];
    } else return undefined;
  }
  return current;
}

/** What a JSON value is, for a message ("an object", "a string"): never the value itself. */
export function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}
