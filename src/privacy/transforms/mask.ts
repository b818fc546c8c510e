// The mask step: replaces all but the last N characters of a value, so it can be recognised but not read.
import { z } from 'zod';
import { defineStepComponent } from '../../spec/component.ts';
import { fieldListSchema } from '../../steps/field-list.ts';
import { FieldCounter } from '../../steps/field-counter.ts';

/** What a masked value still reveals (its length and last characters) is internal, whatever it was before. */
const MASKED_CLASS = 'internal';

const maskSpec = z
  .strictObject({
    fields: fieldListSchema,
    keepLast: z.number().int().min(0).max(8).default(0).describe('How many trailing characters stay readable (at most 8).'),
    char: z.string().length(1).default('*').describe('The character that replaces hidden ones.'),
    keepShape: z
      .boolean()
      .default(false)
      .describe('Keep separators and punctuation ("4111-1111-1111-1234" becomes "****-****-****-1234"); only letters and digits are hidden, and keepLast counts only them.'),
  })
  .describe(`Masks values: every character but the last keepLast becomes char. A masked field is ${MASKED_CLASS}.`);

const SURROGATE = /[\uD800-\uDFFF]/;

/** Letters, digits and combining marks (vowel signs, accents) of any script: what keepShape hides. */
const ALPHANUMERIC = /[\p{L}\p{N}\p{M}]/u;

function textOf(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : (JSON.stringify(value) ?? '');
}

/** Masks one value; non-strings are masked as their string form, null and undefined stay as they are. */
export function maskValue(value: unknown, keepLast: number, char: string): unknown {
  if (value === null || value === undefined) return value;
  const text = textOf(value);
  // Count characters, not UTF-16 units, when the text has surrogate pairs (emoji, rare scripts).
  const chars = SURROGATE.test(text) ? Array.from(text) : text;
  // Keep at most half of a short value readable, so a 4-character value is never shown whole.
  const keep = Math.min(keepLast, Math.floor(chars.length / 2));
  const kept = typeof chars === 'string' ? chars.slice(chars.length - keep) : chars.slice(chars.length - keep).join('');
  return hidden(char, chars.length - keep) + kept;
}

/** Runs of the mask character up to this length are made once and shared. */
const SHARED_RUN_LIMIT = 64;
/** Shared runs are kept for at most this many distinct mask characters. */
const SHARED_RUN_CHARS = 16;
const sharedRuns = new Map<string, string[]>();

/**
 * `char` repeated `count` times. Most masked values are short and of few lengths, and a new run per value was
 * about a fourteenth of everything an end-to-end pipeline allocates (String.prototype.repeat builds by doubling).
 */
function hidden(char: string, count: number): string {
  if (count > SHARED_RUN_LIMIT) return char.repeat(count);
  let runs = sharedRuns.get(char);
  if (runs === undefined) {
    // Mask characters come from specs, so there are few; a caller cycling through many gets plain repeats.
    if (sharedRuns.size >= SHARED_RUN_CHARS) return char.repeat(count);
    runs = [];
    sharedRuns.set(char, runs);
  }
  return (runs[count] ??= char.repeat(count));
}

const NON_ASCII = /[^\u0000-\u007f]/u; // eslint-disable-line no-control-regex -- the whole ASCII range, on purpose

function isAsciiAlphanumeric(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

/** Masks letters and digits only, keeping the last `keepLast` of them (at most half) and every other character. */
export function maskShape(value: unknown, keepLast: number, char: string): unknown {
  if (value === null || value === undefined) return value;
  const text = textOf(value);
  // ASCII (card numbers, phone numbers, most identifiers): char codes, no per-character regex or array.
  if (!NON_ASCII.test(text)) {
    let hideable = 0;
    for (let i = 0; i < text.length; i++) if (isAsciiAlphanumeric(text.charCodeAt(i))) hideable++;
    let reveal = Math.min(keepLast, Math.floor(hideable / 2));
    let out = '';
    for (let i = text.length - 1; i >= 0; i--) {
      const code = text.charCodeAt(i);
      if (!isAsciiAlphanumeric(code)) out = text[i] + out;
      else if (reveal > 0) {
        reveal--;
        out = text[i] + out;
      } else out = char + out;
    }
    return out;
  }
  const chars = Array.from(text);
  const hideable = chars.reduce((n, c) => (ALPHANUMERIC.test(c) ? n + 1 : n), 0);
  let reveal = Math.min(keepLast, Math.floor(hideable / 2));
  for (let i = chars.length - 1; i >= 0; i--) {
    const c = chars[i] ?? '';
    if (!ALPHANUMERIC.test(c)) continue;
    if (reveal > 0) reveal--;
    else chars[i] = char;
  }
  return chars.join('');
}

export const maskStep = defineStepComponent({
  name: 'mask',
  summary: `Masks values, keeping at most the last few characters; masked fields are ${MASKED_CLASS}.`,
  spec: maskSpec,
  examples: [{ fields: ['card_number'], keepLast: 4 }, { fields: ['email', 'phone'] }, { fields: ['card_number'], keepLast: 4, keepShape: true }],
  plan(options, context) {
    options.fields.forEach((field, i) => {
      const flow = context.read(field, ['fields', i]);
      const kept = [options.keepLast > 0 ? `last ${options.keepLast} kept` : '', options.keepShape ? 'shape kept' : ''].filter(Boolean).join(', ');
      if (flow) context.protect(field, MASKED_CLASS, kept ? `masked (${kept})` : 'masked', ['fields', i]);
    });
  },
  create(options) {
    const { fields, keepLast, char } = options;
    const mask = options.keepShape ? maskShape : maskValue;
    const counted = new FieldCounter('masked');
    return {
      apply(record) {
        for (const field of fields) {
          const value = record[field];
          if (value !== null && value !== undefined) {
            record[field] = mask(value, keepLast, char);
            counted.add(field);
          }
        }
        return record;
      },
      drainCounters: () => counted.drain(),
    };
  },
});
