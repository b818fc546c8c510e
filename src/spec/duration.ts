// Durations written as "400d", "12h", "30m", "45s" or "2w" in specs (retention, for instance).
import { z } from 'zod';

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const DURATION = /^([1-9][0-9]{0,6})([smhdw])$/;

/** Milliseconds in a duration string, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

export const durationSchema = z
  .string()
  .refine((text) => parseDuration(text) !== undefined, {
    message: 'expected a duration such as 400d, 12h, 30m, 45s or 2w',
  })
  .describe('A duration: a whole number followed by s, m, h, d or w (e.g. 400d).');
