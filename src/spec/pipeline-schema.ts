// The pipeline spec's top level: name, contract, schedule, retention, runtime settings, and the component slots.
import { z } from 'zod';
import { Cron } from 'croner';
import { classificationSchema } from './classification.ts';
import { contractSchema } from './contract.ts';
import { durationSchema } from './duration.ts';
import type { ComponentRegistry } from './registry.ts';
import type { AnyComponent } from './component.ts';

function isValidCron(pattern: string): boolean {
  try {
    new Cron(pattern, { paused: true });
    return true;
  } catch {
    return false;
  }
}

export const retrySchema = z
  .strictObject({
    attempts: z.number().int().min(1).max(20).default(5).describe('Tries per operation, the first included.'),
    initialDelayMs: z.number().int().min(1).max(60_000).default(200).describe('Delay before the first retry.'),
    maxDelayMs: z.number().int().min(1).max(600_000).default(10_000).describe('Upper bound of any one delay.'),
  })
  .describe('Retries of retryable errors (I/O hiccups), with exponential backoff and full jitter.');

export const runtimeSchema = z
  .strictObject({
    batchSize: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(10_000)
      .describe('Records per batch. A batch is the unit of writing and of checkpointing.'),
    retry: retrySchema.prefault({}),
  })
  .describe('How the runtime executes the pipeline.');

export type RuntimeSettings = z.infer<typeof runtimeSchema>;

/** Options every sink takes besides its own. */
export const sinkCommonShape = {
  clearance: classificationSchema.describe('The highest classification this sink may hold in plaintext.'),
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'sink names are lowercase letters, digits, - and _')
    .optional()
    .describe('A name for this sink in findings and summaries; defaults to the component name.'),
  fields: z
    .array(z.string())
    .min(1)
    .optional()
    .describe('Only these fields reach this sink; by default every field that is left after the steps.'),
};

/** The top level without the component slots, which are validated one component at a time. */
export const topLevelShape = {
  pipeline: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'pipeline names are lowercase letters, digits, - and _ (at most 63)')
    .describe('The pipeline name: it names runs, outputs and state.'),
  description: z.string().optional().describe('What the pipeline is for.'),
  contract: contractSchema,
  schedule: z
    .string()
    .refine(isValidCron, { message: 'expected a cron expression such as "0 2 * * *"' })
    .optional()
    .describe('When the pipeline runs, as a cron expression (run by the scheduler of `sluice serve`).'),
  retention: durationSchema.optional().describe('How long outputs are kept, e.g. 400d.'),
  runtime: runtimeSchema.prefault({}),
};

/** A strict single-key object `{ <name>: options }`: how a spec selects a component. */
function slotOf(component: AnyComponent, extra: z.ZodRawShape = {}): z.ZodType {
  const options =
    Object.keys(extra).length === 0 ? component.spec : (component.spec as z.ZodObject).extend(extra).strict();
  return z.strictObject({ [component.name]: options.describe(component.summary) });
}

function unionOf(slots: z.ZodType[]): z.ZodType {
  if (slots.length === 0) return z.never();
  if (slots.length === 1) return slots[0] as z.ZodType;
  return z.union(slots as [z.ZodType, z.ZodType, ...z.ZodType[]]);
}

/** The sink options schema: the component's own options plus clearance, name and fields. */
export function sinkOptionsSchema(component: AnyComponent): z.ZodType {
  return (component.spec as z.ZodObject).extend(sinkCommonShape).strict();
}

/**
 * The whole pipeline schema, with every registered component as a choice. Used for the JSON Schema and the
 * reference docs; validation walks the same component schemas one slot at a time (validate.ts) so that each
 * problem is reported at its own path with a "did you mean".
 */
export function buildPipelineSchema(registry: ComponentRegistry): z.ZodType {
  return z
    .strictObject({
      ...topLevelShape,
      source: unionOf(registry.list('source').map((c) => slotOf(c))).describe('Where records come from.'),
      steps: z
        .array(unionOf(registry.list('step').map((c) => slotOf(c))))
        .default([])
        .describe('What happens to each record, in order.'),
      sinks: z
        .array(unionOf(registry.list('sink').map((c) => slotOf(c, sinkCommonShape))))
        .min(1)
        .describe('Where records go. Each declares its clearance.'),
    })
    .describe('A Sluice pipeline.');
}
