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
    // one go takes a few native calls, where one value at a time took two per value (siv-batch.ts). apply takes
    // the token at its place when the value there is the same; otherwise it looks the value up among the batch's
    // (records met in another order) or tokenizes it on its own.
    let prepared: { values: string[]; tokens: string[]; next: number; byValue?: Map<string, string> } | undefined;
    const preparedToken = (plain: string): string | undefined => {
      if (!prepared) return undefined;
      const at = prepared.next;
      if (prepared.values[at] === plain) {
        prepared.next++;
        const token = prepared.tokens[at];
        // Dropped once its batch is used up: the values are plaintext (else the next batch replaces it).
        if (prepared.next === prepared.values.length) prepared = undefined;
        return token;
      }
      prepared.byValue ??= new Map(prepared.values.map((value, i) => [value, prepared!.tokens[i]!]));
      return prepared.byValue.get(plain);
    };
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
        prepared = values.length > 0 ? { values, tokens: tokenizer.tokenizeAll(values), next: 0 } : undefined;
      },
      apply(record) {
        if (!tokenizer) throw new SluiceError('SLUICE_STEP_FAILED', 'the tokenize step ran before its key was opened');
        for (const field of options.fields) {
          const value = record[field];
          if (value === null || value === undefined) continue;
          const plain = text(value);
          record[field] = preparedToken(plain) ?? tokenizer.tokenize(plain);
          counted.add(field);
        }
        return record;
      },
      drainCounters: () => counted.drain(),
    };
  },
});
