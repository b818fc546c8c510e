// The scan step: finds PII in free-text fields (notes, comments, log lines) that nobody declared, and rewrites
// each finding with the transform configured for its type. What it found is counted by type, never kept.
import { z } from 'zod';
import { defineStepComponent } from '../../spec/component.ts';
import { fieldListSchema } from '../../steps/field-list.ts';
import { classificationSchema } from '../../spec/classification.ts';
import { SluiceError } from '../../errors.ts';
import { PII_TYPES } from '../detect/detector.ts';
import type { PiiType } from '../detect/detector.ts';
import { detectorsFor } from '../detect/all-detectors.ts';
import { findReplaceable, rewriteMatches } from '../detect/scan-text.ts';
import { maskShape } from './mask.ts';
import { openTokenizer } from '../../crypto/tokens.ts';
import { openPseudonymizer } from './pseudonyms.ts';
import type { KeySource } from '../../crypto/envelope/envelope.ts';

/** What becomes of a finding: a type label, a shape-keeping mask, a keyed pseudonym, a token, or nothing (count only). */
const ACTIONS = ['redact', 'mask', 'hash', 'tokenize', 'report'] as const;
type ScanAction = (typeof ACTIONS)[number];

/** Nested values deeper than this are not walked: the record is quarantined rather than passed unscanned. */
export const MAX_SCAN_DEPTH = 32;

const scanSpec = z
  .strictObject({
    fields: fieldListSchema,
    types: z.array(z.enum(PII_TYPES)).min(1).optional().describe('The PII types to look for (default: all).'),
    action: z.enum(ACTIONS).default('redact').describe('What replaces each finding: redact ([EMAIL]), mask (shape kept), hash (keyed pseudonym), tokenize, or report (count only, text unchanged).'),
    actions: z.partialRecord(z.enum(PII_TYPES), z.enum(ACTIONS)).default({}).describe('A different action per type, e.g. { CREDIT_CARD: mask }.'),
    minConfidence: z.number().min(0).max(1).default(0.5).describe('Findings below this confidence are left alone.'),
    maxChars: z.number().int().min(1).max(256 * 1024 * 1024).default(16 * 1024 * 1024).describe('A text longer than this is quarantined rather than scanned.'),
    key: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/).optional().describe('The keyring key for hash (default pseudonyms) and tokenize (default tokens).'),
    domain: z.string().min(1).max(200).optional().describe('The hash or token domain (default: the pipeline name for hash, "default" for tokenize).'),
    residual: classificationSchema
      .optional()
      .describe('The classification the fields have once scanned. Detection is best effort, so by default it does not change; it can be lowered to internal at most.'),
  })
  .describe('Finds PII in free-text fields and rewrites each finding; counts by type go to the run summary.');

type ScanOptions = z.output<typeof scanSpec>;

function actionFor(options: ScanOptions, type: PiiType): ScanAction {
  return options.actions[type] ?? options.action;
}

/** Rewrites findings in one text. */
type Rewriter = (value: string, type: PiiType) => string;

/** Walks a value and rewrites every string (and number) in it; throws when it cannot read part of it. */
export class ValueScanner {
  readonly #scan: (text: string) => string | undefined;
  constructor(scan: (text: string) => string | undefined) {
    this.#scan = scan;
  }

  /** The value with its findings rewritten, or `undefined` when nothing was found. */
  scanValue(value: unknown, depth = 0): unknown {
    if (typeof value === 'string') return this.#scan(value);
    if (typeof value === 'number') return Number.isFinite(value) ? this.#scan(String(value)) : undefined;
    if (value === null || value === undefined || typeof value === 'boolean') return undefined;
    if (depth >= MAX_SCAN_DEPTH) throw new SluiceError('SLUICE_STEP_FAILED', `is nested deeper than ${MAX_SCAN_DEPTH} levels, so it could not be scanned`);
    if (Array.isArray(value)) {
      let changed: unknown[] | undefined;
      value.forEach((item, i) => {
        const next = this.scanValue(item, depth + 1);
        if (next !== undefined) (changed ??= [...(value as unknown[])])[i] = next;
      });
      return changed;
    }
    if (typeof value === 'object') {
      // Only plain JSON objects are walked: a Date, Map or Buffer would pass its content through unread.
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) throw new SluiceError('SLUICE_STEP_FAILED', 'holds an object that is not plain JSON, so it could not be scanned');
      let changed: Record<string, unknown> | undefined;
      for (const [key, item] of Object.entries(value)) {
        // Keys are text too; one that holds PII cannot be rewritten in place, so the record is set aside.
        if (this.#scan(key) !== undefined) throw new SluiceError('SLUICE_STEP_FAILED', 'holds personal data in an object key, which cannot be rewritten in place');
        const next = this.scanValue(item, depth + 1);
        if (next !== undefined) (changed ??= { ...(value as Record<string, unknown>) })[key] = next;
      }
      return changed;
    }
    throw new SluiceError('SLUICE_STEP_FAILED', `holds a ${typeof value}, which cannot be scanned`);
  }
}

export const scanStep = defineStepComponent({
  name: 'scan',
  summary: 'Finds PII in free-text fields and redacts, masks, hashes or tokenizes each finding; counts by type go to the summary.',
  spec: scanSpec,
  examples: [
    { fields: ['notes'] },
    { fields: ['comment', 'log_line'], types: ['EMAIL', 'PHONE', 'CREDIT_CARD'], action: 'redact', actions: { CREDIT_CARD: 'mask' } },
    { fields: ['message'], action: 'tokenize', residual: 'internal' },
  ],
  plan(options, context) {
    if (options.residual === 'public') {
      context.problem('scanning finds PII on a best-effort basis, so a scanned field cannot be declared public', "use residual 'internal' or higher, or drop or redact the field", ['residual']);
    }
    const used = new Set((options.types ?? PII_TYPES).map((t) => actionFor(options, t)));
    const effect = `scanned for PII (${[...used].join(', ')})`;
    options.fields.forEach((field, i) => {
      const flow = context.read(field, ['fields', i]);
      if (!flow) return;
      // Not protective unless the user says what is left: a missed finding keeps the field's class.
      if (options.residual !== undefined && options.residual !== 'public' && !used.has('report')) context.protect(field, options.residual, effect, ['fields', i]);
    });
  },
  create(options, context) {
    const detectors = detectorsFor(options.types);
    const types = options.types ?? PII_TYPES;
    const needs = (action: ScanAction) => types.some((t) => actionFor(options, t) === action);
    const found = new Map<string, number>();
    let rewrite: Rewriter | undefined;

    const scanner = new ValueScanner((text) => {
      if (text.length > options.maxChars) {
        throw new SluiceError('SLUICE_STEP_FAILED', `holds ${text.length} characters, more than maxChars ${options.maxChars}, so it was not scanned`);
      }
      const matches = findReplaceable(text, detectors, options.minConfidence);
      if (matches.length === 0) return undefined;
      for (const m of matches) for (const type of m.types) found.set(type, (found.get(type) ?? 0) + 1);
      if (!rewrite) throw new SluiceError('SLUICE_STEP_FAILED', 'was reached before the scan step was opened');
      // A merged span is rewritten if any type in it asks for more than a report: PII never stays in clear
      // because it overlapped something that was only to be counted.
      const spans = matches.map((m) => (actionFor(options, m.type) !== 'report' ? m : { ...m, type: m.types.find((t) => actionFor(options, t) !== 'report') ?? m.type }));
      const rewritten = rewriteMatches(text, spans, rewrite);
      // Only report actions: the value (a number too) stays exactly as it was.
      return rewritten === text ? undefined : rewritten;
    });

    return {
      async open(open) {
        rewrite = await openRewriter(options, open.keys, context.pipeline, needs);
      },
      apply(record) {
        for (const field of options.fields) {
          try {
            const next = scanner.scanValue(record[field]);
            if (next !== undefined) record[field] = next;
          } catch (error) {
            // The record goes to the quarantine with the reason: a field that was not scanned never passes.
            const reason = error instanceof SluiceError ? error.message : 'could not be scanned';
            throw new SluiceError('SLUICE_STEP_FAILED', `field '${field}' ${reason}`);
          }
        }
        return record;
      },
      drainPiiFound() {
        const out = Object.fromEntries(found);
        found.clear();
        return out;
      },
    };
  },
});

async function openRewriter(options: ScanOptions, keys: KeySource, pipeline: string, needs: (a: ScanAction) => boolean): Promise<Rewriter> {
  const tokenizer = needs('tokenize') ? await openTokenizer(keys, options.key ?? 'tokens', options.domain ?? 'default') : undefined;
  const pseudonymizer = needs('hash') ? await openPseudonymizer(keys, options.key ?? 'pseudonyms', options.domain ?? pipeline) : undefined;
  return (value, type) => {
    switch (actionFor(options, type)) {
      case 'redact':
        return `[${type}]`;
      case 'mask':
        return String(maskShape(value, 0, '*'));
      case 'hash':
        return pseudonymizer?.pseudonym(value) ?? `[${type}]`;
      case 'tokenize':
        return tokenizer?.tokenize(value) ?? `[${type}]`;
      case 'report':
        return value;
    }
  };
}
