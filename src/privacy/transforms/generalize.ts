// The generalize step: coarsens quasi-identifiers (dates of birth, ages, postcodes) so a value no longer
// singles a person out but still groups: dates to month or year, numbers to ranges, postcodes to a prefix.
import { z } from 'zod';
import { defineStepComponent } from '../../spec/component.ts';
import { fieldListSchema } from '../../steps/field-list.ts';
import { FieldCounter } from '../../steps/field-counter.ts';
import { SluiceError } from '../../errors.ts';

/** A coarsened value still says something about a person, so it is no lower than internal. */
const GENERALIZED_CLASS = 'internal';

const generalizeSpec = z
  .strictObject({
    fields: fieldListSchema,
    date: z.enum(['month', 'year']).optional().describe('ISO 8601 dates (and timestamps) become YYYY-MM or YYYY.'),
    range: z.number().positive().max(1e12).optional().describe('Numbers become the range of this width they fall in: 37 with range 10 becomes "30-39".'),
    prefix: z.number().int().min(1).max(16).optional().describe('Text (postcodes) keeps only its first N characters, spaces removed: "SW1A 1AA" with prefix 3 becomes "SW1".'),
  })
  .superRefine((options, ctx) => {
    const chosen = (['date', 'range', 'prefix'] as const).filter((k) => options[k] !== undefined);
    if (chosen.length !== 1) {
      ctx.addIssue({ code: 'custom', message: `give exactly one of date, range or prefix (got ${chosen.length === 0 ? 'none' : chosen.join(', ')})`, path: [] });
    }
  })
  .describe(`Coarsens values: dates to month or year, numbers to ranges, text to a prefix. A generalized field is ${GENERALIZED_CLASS}.`);

type GeneralizeOptions = z.output<typeof generalizeSpec>;

const ISO_DATE = /^(\d{4})-(\d{2})(?:-(\d{2}))?(?:[T ].*)?$/;

/** A date coarsened to 'YYYY-MM' or 'YYYY'; throws for anything that is not an ISO 8601 date. */
export function generalizeDate(value: unknown, to: 'month' | 'year'): string {
  const match = typeof value === 'string' ? ISO_DATE.exec(value) : null;
  const month = match ? Number(match[2]) : 0;
  if (!match || month < 1 || month > 12) throw new Error('expected an ISO 8601 date (YYYY-MM-DD)');
  return to === 'year' ? (match[1] ?? '') : `${match[1]}-${match[2]}`;
}

/** The range of width `width` that a number falls in: "30-39" for whole numbers, "[2.5, 5)" otherwise. */
export function generalizeNumber(value: unknown, width: number): string {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  if (!Number.isFinite(n)) throw new Error('expected a number');
  const low = Math.floor(n / width) * width;
  if (Number.isInteger(width) && Number.isInteger(n)) return `${low}-${low + width - 1}`;
  return `[${low}, ${low + width})`;
}

/** The first `keep` characters of a text with its spaces removed ("SW1A 1AA" -> "SW1"). */
export function generalizePrefix(value: unknown, keep: number): string {
  if (typeof value !== 'string' && typeof value !== 'number') throw new Error('expected text or a number');
  return Array.from(String(value).replace(/\s+/g, '')).slice(0, keep).join('');
}

function generalizer(options: GeneralizeOptions): { effect: string; apply: (value: unknown) => string } {
  if (options.date !== undefined) {
    const to = options.date;
    return { effect: `generalized to the ${to}`, apply: (v) => generalizeDate(v, to) };
  }
  if (options.range !== undefined) {
    const width = options.range;
    return { effect: `generalized to ranges of ${width}`, apply: (v) => generalizeNumber(v, width) };
  }
  const keep = options.prefix ?? 1;
  return { effect: `generalized to the first ${keep} characters`, apply: (v) => generalizePrefix(v, keep) };
}

export const generalizeStep = defineStepComponent({
  name: 'generalize',
  summary: `Coarsens dates to month or year, numbers to ranges and postcodes to a prefix; generalized fields are ${GENERALIZED_CLASS}.`,
  spec: generalizeSpec,
  examples: [
    { fields: ['birth_date'], date: 'year' },
    { fields: ['age'], range: 10 },
    { fields: ['postcode'], prefix: 3 },
  ],
  plan(options, context) {
    const { effect } = generalizer(options);
    options.fields.forEach((field, i) => {
      if (context.read(field, ['fields', i])) context.protect(field, GENERALIZED_CLASS, effect, ['fields', i]);
    });
  },
  create(options) {
    const { apply } = generalizer(options);
    const counted = new FieldCounter('generalized');
    return {
      apply(record) {
        for (const field of options.fields) {
          const value = record[field];
          if (value === null || value === undefined) continue;
          try {
            record[field] = apply(value);
          } catch (error) {
            // The record is quarantined with this reason; the value itself is never quoted.
            throw new SluiceError('SLUICE_STEP_FAILED', `field '${field}' could not be generalized: ${(error as Error).message}`);
          }
          counted.add(field);
        }
        return record;
      },
      drainCounters: () => counted.drain(),
    };
  },
});
