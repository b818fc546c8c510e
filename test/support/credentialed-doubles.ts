// Test doubles of components that hold credentials, to prove that what they resolve never reaches an output:
// a source that authenticates with a token (and, when told to, fails the way an HTTP API does, echoing the
// token in its 401 message) and a step that calls a "remote" with a key and, for flagged records, fails
// with an error that quotes the key. Named as doubles on purpose: the real connectors come with their issue.
import { z } from 'zod';
import { defineSource, defineStepComponent } from '../../src/spec/component.ts';
import type { CreateContext } from '../../src/spec/component.ts';
import { secretReference } from '../../src/spec/secret-reference-schema.ts';
import { SluiceError } from '../../src/errors.ts';
import type { Secret } from '../../src/secrets/secret.ts';
import { memorySource } from './memory-components.ts';

function secretsOf(context: CreateContext) {
  if (!context.secrets) throw new Error('no secret resolver in the create context');
  return context.secrets;
}

export const apiSourceDouble = defineSource({
  name: 'api-double',
  summary: 'Test double: an API source that authenticates with a bearer token.',
  spec: z.strictObject({ token: secretReference(), dataset: z.string(), refuse: z.boolean().default(false) }),
  examples: [{ token: 'env://API_TOKEN', dataset: 'x' }],
  create(options, context) {
    const inner = memorySource.create({ dataset: options.dataset }, context);
    return {
      description: `api-double ${options.dataset}`,
      async open(from) {
        const token = await secretsOf(context).resolve(options.token);
        if (options.refuse) throw new Error(`HTTP 401 from https://api.example/v1/customers?access_token=${encodeURIComponent(token.reveal())}: invalid bearer token '${token.reveal()}'`);
        return inner.open(from);
      },
    };
  },
});

export const remoteLookupDouble = defineStepComponent({
  name: 'remote-lookup-double',
  summary: 'Test double: a step that calls a remote service with a key.',
  spec: z.strictObject({ keys: z.array(secretReference()).min(1), failWhen: z.string() }),
  examples: [{ keys: ['env://LOOKUP_KEY'], failWhen: 'flag' }],
  plan() {},
  create(options, context) {
    let keys: Secret[] = [];
    return {
      async open() {
        keys = await Promise.all(options.keys.map((reference) => secretsOf(context).resolve(reference)));
      },
      apply(record) {
        if (record[options.failWhen] === true) {
          throw new SluiceError('SLUICE_STEP_FAILED', `the lookup service refused the keys ${keys.map((k) => k.reveal()).join(', ')}`);
        }
        return record;
      },
    };
  },
});
