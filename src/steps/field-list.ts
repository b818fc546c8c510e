// The shared option for steps that act on a list of fields.
import { z } from 'zod';

export const fieldListSchema = z
  .array(z.string().min(1))
  .min(1)
  .refine((fields) => new Set(fields).size === fields.length, { message: 'each field may be listed once' })
  .describe('The fields this step acts on.');
