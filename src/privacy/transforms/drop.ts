// The drop step: removes fields, the strongest protection there is.
import { defineStepComponent } from '../../spec/component.ts';
import { z } from 'zod';
import { fieldListSchema } from '../../steps/field-list.ts';

const dropSpec = z.strictObject({ fields: fieldListSchema }).describe('Removes fields from every record.');

export const dropStep = defineStepComponent({
  name: 'drop',
  summary: 'Removes fields from every record; they reach no sink.',
  spec: dropSpec,
  examples: [{ fields: ['ssn', 'notes'] }],
  plan(options, context) {
    options.fields.forEach((field, i) => context.drop(field, ['fields', i]));
  },
  create(options) {
    const fields = options.fields;
    return {
      apply(record) {
        for (const field of fields) delete record[field];
        return record;
      },
    };
  },
});
