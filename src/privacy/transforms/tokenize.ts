// The tokenize step: replaces values with deterministic, keyed tokens (AES-256-SIV), so tokenized fields
// still join and group, and only a holder of the token key can reverse them. A tokenized field is internal.
import { z } from 'zod';
import { defineStepComponent } from '../../spec/component.ts';
import { fieldListSchema } from '../../steps/field-list.ts';
import { FieldCounter } from '../../steps/field-counter.ts';
import { openTokenizer } from '../../crypto/tokens.ts';
import type { Tokenizer } from '../../crypto/tokens.ts';
import { SluiceError } from '../../errors.ts';

/** A token reveals only equality with other tokens of the same key and domain. */
const TOKENIZED_CLASS = 'internal';

const tokenizeSpec = z
  .strictObject({
    fields: fieldListSchema,
    key: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/).default('tokens').describe('The keyring key that makes the tokens (created on first use).'),
    domain: z
      .string()
      .min(1)
      .max(200)
      .default('default')
      .describe('Tokens of the same value join only within one key and domain; use one domain per kind of value to keep them apart.'),
  })
  .describe(`Replaces values with deterministic tokens (tok_<version>_…). A tokenized field is ${TOKENIZED_CLASS}.`);

export const tokenizeStep = defineStepComponent({
  name: 'tokenize',
  summary: `Replaces values with deterministic, keyed tokens that still join; tokenized fields are ${TOKENIZED_CLASS}.`,
  spec: tokenizeSpec,
  examples: [{ fields: ['email'] }, { fields: ['customer_id', 'account_id'], key: 'crm-tokens', domain: 'crm' }],
  plan(options, context) {
    options.fields.forEach((field, i) => {
      if (context.read(field, ['fields', i])) context.protect(field, TOKENIZED_CLASS, `tokenized (key ${options.key}, domain ${options.domain})`, ['fields', i]);
    });
  },
  create(options) {
    let tokenizer: Tokenizer | undefined;
    // The batch's values and tokens in the order apply meets them, made together in prepare: sealing a column in
    // one go takes a few native calls, where one value at a time took two per value (siv-batch.ts). apply checks
    // each value against the one prepared at its place and tokenizes anything else on its own.
    let prepared: { values: string[]; tokens: string[]; next: number } = { values: [], tokens: [], next: 0 };
    const counted = new FieldCounter('tokenized');
    const text = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));
    return {
      async open(context) {
        tokenizer = await openTokenizer(context.keys, options.key, options.domain);
      },
      async prepare(records) {
        if (!tokenizer) return;
        const values: string[] = [];
        for (const record of records) {
          for (const field of options.fields) {
            const value = record[field];
            if (value !== null && value !== undefined) values.push(text(value));
          }
        }
        prepared = { values, tokens: tokenizer.tokenizeAll(values), next: 0 };
      },
      apply(record) {
        if (!tokenizer) throw new SluiceError('SLUICE_STEP_FAILED', 'the tokenize step ran before its key was opened');
        for (const field of options.fields) {
          const value = record[field];
          if (value === null || value === undefined) continue;
          const plain = text(value);
          const at = prepared.next;
          if (at < prepared.values.length && prepared.values[at] === plain) {
            record[field] = prepared.tokens[at]!;
            prepared.next++;
          } else record[field] = tokenizer.tokenize(plain);
          counted.add(field);
        }
        return record;
      },
      drainCounters: () => counted.drain(),
    };
  },
});
