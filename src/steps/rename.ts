// The rename step: gives fields new names; lineage and classification follow the value.
import { z } from 'zod';
import { defineStepComponent } from '../spec/component.ts';
import { fieldNameSchema } from '../spec/contract.ts';

const renameSpec = z
  .strictObject({
    fields: z
      .record(z.string().min(1), fieldNameSchema)
      .refine((map) => Object.keys(map).length > 0, { message: 'rename at least one field' })
      .describe('Old name to new name.'),
  })
  .describe('Renames fields. The value keeps its classification and lineage.');

export const renameStep = defineStepComponent({
  name: 'rename',
  summary: 'Renames fields; classification and lineage follow the value.',
  spec: renameSpec,
  examples: [{ fields: { email: 'contact_email' } }],
  plan(options, context) {
    for (const [from, to] of Object.entries(options.fields)) context.rename(from, to, ['fields', from]);
  },
  create(options) {
    const pairs = Object.entries(options.fields);
    return {
      apply(record) {
        for (const [from, to] of pairs) {
          if (Object.hasOwn(record, from)) {
            record[to] = record[from];
            delete record[from];
          }
        }
        return record;
      },
    };
  },
});
