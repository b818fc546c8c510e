// The encrypt step: seals fields under a key per data subject (crypto-shredding). `sluice erase --subject ID`
// destroys that key; every copy of those fields then fails to decrypt, while the rest of each record reads.
import { z } from 'zod';
import { defineStepComponent } from '../../spec/component.ts';
import { fieldListSchema } from '../../steps/field-list.ts';
import { SubjectSealer } from '../../crypto/subjects/subject-keys.ts';
import { SluiceError } from '../../errors.ts';
import type { DataRecord } from '../../runtime/record.ts';

/** Ciphertext under a per-subject key reveals at most its length. */
const ENCRYPTED_CLASS = 'internal';

const encryptSpec = z
  .strictObject({
    fields: fieldListSchema,
    key: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/).default('subjects').describe('The dataset key that wraps the subject keys (created on first use).'),
    subject: z.string().optional().describe("The field naming the data subject; by default the contract's subject."),
  })
  .describe(`Encrypts fields under a key per data subject (enc_<version>_…), erasable with sluice erase. An encrypted field is ${ENCRYPTED_CLASS}.`);

function subjectOf(record: DataRecord, field: string): string {
  const value = record[field];
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  throw new SluiceError('SLUICE_STEP_FAILED', `the record has no subject in '${field}', so its fields cannot be encrypted per subject`);
}

export const encryptStep = defineStepComponent({
  name: 'encrypt',
  summary: `Encrypts fields under a key per data subject, so erasing the subject shreds them everywhere; encrypted fields are ${ENCRYPTED_CLASS}.`,
  spec: encryptSpec,
  examples: [{ fields: ['email', 'phone'] }, { fields: ['diagnosis'], key: 'patients', subject: 'patient_id' }],
  plan(options, context) {
    const subject = options.subject ?? context.subject;
    if (subject === undefined) {
      context.problem('per-subject encryption needs a subject field', "name it in contract.subject, or give this step a 'subject' option", ['fields']);
    } else {
      context.read(subject, options.subject !== undefined ? ['subject'] : ['fields']);
      if (options.fields.includes(subject)) context.problem(`the subject field '${subject}' cannot itself be encrypted per subject`, 'tokenize or drop the subject field instead', ['fields']);
    }
    options.fields.forEach((field, i) => {
      if (context.read(field, ['fields', i])) context.protect(field, ENCRYPTED_CLASS, `encrypted per subject (key ${options.key})`, ['fields', i]);
    });
  },
  create(options, context) {
    const subjectField = options.subject ?? context.subject ?? '';
    let sealer: SubjectSealer | undefined;
    let count = 0;
    return {
      async open(open) {
        sealer = new SubjectSealer(open.subjects, open.keys, options.key);
        await sealer.open();
      },
      async prepare(records) {
        const subjects: string[] = [];
        for (const record of records) {
          const value = record[subjectField];
          if ((typeof value === 'string' && value !== '') || typeof value === 'number') subjects.push(String(value));
        }
        await sealer?.prepare(subjects);
      },
      apply(record) {
        if (!sealer) throw new SluiceError('SLUICE_STEP_FAILED', 'the encrypt step ran before its keys were opened');
        const subject = subjectOf(record, subjectField);
        for (const field of options.fields) {
          const value = record[field];
          if (value === null || value === undefined) continue;
          record[field] = sealer.seal(subject, typeof value === 'string' ? value : JSON.stringify(value));
          count++;
        }
        return record;
      },
      drainCounters(): Record<string, number> {
        const out: Record<string, number> = count > 0 ? { 'encrypted:per-subject': count } : {};
        count = 0;
        return out;
      },
    };
  },
});
