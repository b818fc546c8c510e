// The contract: the declared fields of a record, their types, classifications and PII categories.
import { z } from 'zod';
import { classificationSchema } from './classification.ts';

/** Field types a contract can declare. CSV text is converted to these when read. */
export const FIELD_TYPES = ['string', 'integer', 'number', 'boolean', 'date', 'timestamp'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** PII categories, used by protective steps and by compliance reports. */
export const PII_CATEGORIES = [
  'email',
  'phone',
  'payment_card',
  'ssn',
  'national_id',
  'iban',
  'ip_address',
  'person_name',
  'postal_address',
  'date_of_birth',
  'health',
  'credentials',
  'other',
] as const;
export type PiiCategory = (typeof PII_CATEGORIES)[number];

/** Names that would collide with JavaScript object machinery; never field names. */
const RESERVED_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

/** A field name: letters, digits and _, not starting with a digit, and not a reserved name. */
export const fieldNameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'field names are letters, digits and _, not starting with a digit')
  .refine((name) => !RESERVED_NAMES.has(name), { message: '__proto__, constructor and prototype are reserved, not field names' });

export const fieldSchema = z
  .strictObject({
    type: z.enum(FIELD_TYPES).describe('The value type; CSV text is converted to it.'),
    class: classificationSchema.describe('How sensitive the field is.'),
    pii: z.enum(PII_CATEGORIES).optional().describe('The kind of personal data the field holds, if any.'),
    required: z.boolean().default(true).describe('Whether every record must have the field.'),
    nullable: z.boolean().default(false).describe('Whether the field may be null (or an empty CSV cell).'),
    description: z.string().optional(),
  })
  .describe('One declared field.');

/** One declared field of the contract. */
export type FieldSpec = z.infer<typeof fieldSchema>;

export const UNKNOWN_FIELD_POLICIES = ['quarantine', 'drop'] as const;

export const contractSchema = z
  .strictObject({
    subject: z
      .string()
      .optional()
      .describe('The field that names the data subject (whose personal data a record is).'),
    unknownFields: z
      .enum(UNKNOWN_FIELD_POLICIES)
      .default('quarantine')
      .describe(
        'What happens to a record holding a field the contract does not declare. Undeclared fields are ' +
          'restricted, so they never pass: quarantine the record (default) or drop the field and count it.',
      ),
    fields: z
      .record(fieldNameSchema, fieldSchema)
      .refine((fields) => Object.keys(fields).length > 0, { message: 'declare at least one field' })
      .describe('The declared fields, by name.'),
  })
  .describe('The declared shape and sensitivity of every record.');

/** The contract of a pipeline. */
export type Contract = z.infer<typeof contractSchema>;
