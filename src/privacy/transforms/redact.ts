// The redact step: replaces a whole value with a label, so a sink sees that a value was there and nothing else.
import { z } from 'zod';
import { defineStepComponent } from '../../spec/component.ts';
import { fieldListSchema } from '../../steps/field-list.ts';
import { FieldCounter } from '../../steps/field-counter.ts';

/** A label reveals only whether the field held a value. */
const REDACTED_CLASS = 'public';

const redactSpec = z
  .strictObject({
    fields: fieldListSchema,
    label: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[^\n\r]*$/)
      .default('[REDACTED]')
      .describe('What replaces each value.'),
  })
  .describe(`Replaces every value of the fields with a label; null and missing values stay as they are. A redacted field is ${REDACTED_CLASS}.`);

export const redactStep = defineStepComponent({
  name: 'redact',
  summary: `Replaces values with a label such as [REDACTED]; redacted fields are ${REDACTED_CLASS}.`,
  spec: redactSpec,
  examples: [{ fields: ['notes'] }, { fields: ['ssn'], label: '[SSN]' }],
  plan(options, context) {
    options.fields.forEach((field, i) => {
      if (context.read(field, ['fields', i])) context.protect(field, REDACTED_CLASS, `redacted (${options.label})`, ['fields', i]);
    });
  },
  create(options) {
    const counted = new FieldCounter('redacted');
    return {
      apply(record) {
        for (const field of options.fields) {
          const value = record[field];
          if (value === null || value === undefined) continue;
          record[field] = options.label;
          counted.add(field);
        }
        return record;
      },
      drainCounters: () => counted.drain(),
    };
  },
});
