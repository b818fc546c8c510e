// Custom steps written in TypeScript: they declare what they read and write, so the planner can follow them,
// and the runtime holds them to it (they see only what they declared, and may write only what they declared).
import { z } from 'zod';
import type { Classification } from '../spec/classification.ts';
import { classificationSchema } from '../spec/classification.ts';
import type { FieldType } from '../spec/contract.ts';
import { FIELD_TYPES, fieldNameSchema } from '../spec/contract.ts';
import { defineStepComponent } from '../spec/component.ts';
import { SluiceError } from '../errors.ts';
import { newRecord } from '../runtime/record.ts';
import type { DataRecord } from '../runtime/record.ts';

/**
 * One field a custom step writes. Its value is taken to be computed from every field the step reads: the
 * runtime cannot check a narrower claim, so none can be made (deny by default).
 */
export interface CustomStepOutput {
  type: FieldType;
  /**
   * Set only when the step protects the value (hashing, generalising…): the classification of what it then
   * holds. Without it, the field carries the highest classification of what it was computed from.
   */
  protective?: Classification;
}

/** A custom step, written with `defineStep()` in a TypeScript spec. */
export interface CustomStepDefinition {
  /** A name for findings and flows. */
  name: string;
  /** The fields the step reads. It sees no other field. */
  reads: readonly string[];
  /** The fields the step writes (new or replaced). Writing any other field fails the record. */
  writes: Readonly<Record<string, CustomStepOutput>>;
  /** Fields the step removes after writing. */
  drops?: readonly string[];
  /** Computes the written fields from the read ones. */
  apply: (input: Readonly<DataRecord>) => Record<string, unknown>;
}

const CUSTOM_STEP = Symbol.for('sluice.custom-step');

/** Declares a custom step for a TypeScript spec: `steps: [{ custom: defineStep({ ... }) }]`. */
export function defineStep(definition: CustomStepDefinition): CustomStepDefinition {
  const outputSchema = z.strictObject({ type: z.enum(FIELD_TYPES), protective: classificationSchema.optional() });
  const checked = z
    .strictObject({
      name: z.string().min(1),
      reads: z.array(z.string().min(1)),
      writes: z.record(fieldNameSchema, outputSchema),
      drops: z.array(z.string()).optional(),
      apply: z.custom<CustomStepDefinition['apply']>((v) => typeof v === 'function', 'apply must be a function'),
    })
    .safeParse(definition);
  if (!checked.success) {
    throw new SluiceError('SLUICE_SPEC_INVALID', `custom step ${JSON.stringify(definition?.name)} is malformed: ${z.prettifyError(checked.error)}`);
  }
  // A private, frozen copy: the planner and the runtime read these lists at different times, and the spec
  // must not be able to change them in between.
  const copy: CustomStepDefinition = {
    name: definition.name,
    reads: Object.freeze([...definition.reads]),
    writes: Object.freeze(Object.fromEntries(Object.entries(definition.writes).map(([k, v]) => [k, Object.freeze({ ...v })]))),
    ...(definition.drops ? { drops: Object.freeze([...definition.drops]) } : {}),
    apply: definition.apply,
  };
  return Object.freeze(Object.defineProperty(copy, CUSTOM_STEP, { value: true }));
}

function isCustomStep(value: unknown): value is CustomStepDefinition {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[CUSTOM_STEP] === true;
}

const customSpec = z
  .custom<CustomStepDefinition>(isCustomStep, { message: 'a custom step is made with defineStep() in a TypeScript spec' })
  .describe('A step written in TypeScript with defineStep(): it declares the fields it reads and writes.');

export const customStep = defineStepComponent({
  name: 'custom',
  summary: 'A TypeScript step made with defineStep(); only in TypeScript specs.',
  spec: customSpec,
  examples: [],
  plan(step, context) {
    const label = `custom step '${step.name}'`;
    const inputs = step.reads.filter((field, i) => context.read(field, ['reads', i]) !== undefined);
    for (const [field, output] of Object.entries(step.writes)) {
      context.derive(
        field,
        { type: output.type, from: inputs, effect: output.protective ? `${label} protects` : `${label} computes`, ...(output.protective ? { residual: output.protective } : {}) },
        ['writes', field],
      );
    }
    (step.drops ?? []).forEach((field, i) => context.drop(field, ['drops', i]));
  },
  create(step) {
    const reads = [...step.reads];
    const writes = new Set(Object.keys(step.writes));
    const drops = step.drops ?? [];
    return {
      apply(record) {
        const view: DataRecord = newRecord();
        for (const field of reads) view[field] = record[field];
        const out = step.apply(Object.freeze(view));
        for (const field of Object.keys(out)) {
          if (!writes.has(field)) {
            throw new SluiceError('SLUICE_STEP_FAILED', `custom step '${step.name}' wrote field '${field}', which it does not declare in 'writes'`);
          }
        }
        // Every declared output must be returned: a missing one would leave the old value under a lineage the
        // planner no longer has for it.
        for (const field of writes) {
          if (!Object.prototype.hasOwnProperty.call(out, field)) {
            throw new SluiceError('SLUICE_STEP_FAILED', `custom step '${step.name}' did not return field '${field}', which it declares in 'writes' (return null for no value)`);
          }
          record[field] = out[field];
        }
        for (const field of drops) delete record[field];
        return record;
      },
    };
  },
});
