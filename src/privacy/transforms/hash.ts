// The hash step: replaces values with keyed pseudonyms (HMAC-SHA256 keyed per data set), not plain hashes:
// a plain hash of an e-mail address or a phone number is reversed by hashing every candidate.
import { z } from 'zod';
import { defineStepComponent } from '../../spec/component.ts';
import { fieldListSchema } from '../../steps/field-list.ts';
import { FieldCounter } from '../../steps/field-counter.ts';
import { SluiceError } from '../../errors.ts';
import { openPseudonymizer } from './pseudonyms.ts';
import type { Pseudonymizer } from './pseudonyms.ts';

/** A pseudonym reveals only equality with other pseudonyms of the same key and domain. */
const HASHED_CLASS = 'internal';

const hashSpec = z
  .strictObject({
    fields: fieldListSchema,
    key: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/).default('pseudonyms').describe('The keyring key the pseudonyms are derived from (created on first use).'),
    domain: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('Pseudonyms are equal only within one key and domain; by default the pipeline name, so two data sets cannot be linked.'),
  })
  .describe(`Replaces values with keyed pseudonyms (hmac_<version>_…, HMAC-SHA256). Not reversible. A hashed field is ${HASHED_CLASS}.`);

export const hashStep = defineStepComponent({
  name: 'hash',
  summary: `Replaces values with keyed HMAC-SHA256 pseudonyms that still join within a data set; hashed fields are ${HASHED_CLASS}.`,
  spec: hashSpec,
  examples: [{ fields: ['email'] }, { fields: ['customer_id'], key: 'crm-pseudonyms', domain: 'crm' }],
  plan(options, context) {
    options.fields.forEach((field, i) => {
      if (context.read(field, ['fields', i])) context.protect(field, HASHED_CLASS, `pseudonymized (HMAC-SHA256, key ${options.key})`, ['fields', i]);
    });
  },
  create(options, context) {
    const domain = options.domain ?? context.pipeline;
    let pseudonymizer: Pseudonymizer | undefined;
    const counted = new FieldCounter('hashed');
    return {
      async open(open) {
        pseudonymizer = await openPseudonymizer(open.keys, options.key, domain);
      },
      apply(record) {
        if (!pseudonymizer) throw new SluiceError('SLUICE_STEP_FAILED', 'the hash step ran before its key was opened');
        for (const field of options.fields) {
          const value = record[field];
          if (value === null || value === undefined) continue;
          record[field] = pseudonymizer.pseudonym(typeof value === 'string' ? value : JSON.stringify(value));
          counted.add(field);
        }
        return record;
      },
      drainCounters: () => counted.drain(),
    };
  },
});
