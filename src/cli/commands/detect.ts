// `sluice detect FILE`: one JSON line per input line with the PII found in it, for debugging rules,
// pre-commit hooks and scoring. Offsets are JavaScript string indices into that line's text.
import type { Command } from 'commander';
import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import type { CliContext } from '../context.ts';
import { println } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { ioFailure, SluiceError } from '../../errors.ts';
import { readLines } from '../../connectors/sources/line-reader.ts';
import type { LineItem } from '../../connectors/sources/line-reader.ts';
import { PII_TYPES } from '../../privacy/detect/detector.ts';
import type { PiiMatch, PiiType } from '../../privacy/detect/detector.ts';
import { detectorsFor } from '../../privacy/detect/all-detectors.ts';
import { detectAll } from '../../privacy/detect/scan-text.ts';

const MAX_LINE_BYTES = 64 * 1024 * 1024;

interface DetectOptions {
  field?: string;
  types?: string;
  minConfidence: string;
  failOnFind?: boolean;
}

function parseTypes(list: string | undefined): PiiType[] | undefined {
  if (list === undefined) return undefined;
  return list.split(',').map((name) => {
    const type = name.trim().toUpperCase();
    if (!(PII_TYPES as readonly string[]).includes(type)) {
      throw new SluiceError('SLUICE_USAGE', `--types: unknown PII type '${name}'; the types are ${PII_TYPES.join(', ')}`);
    }
    return type as PiiType;
  });
}

function parseConfidence(text: string): number {
  const value = Number(text);
  if (!(value >= 0 && value <= 1)) throw new SluiceError('SLUICE_USAGE', `--min-confidence must be a number from 0 to 1, not '${text}'`);
  return value;
}

/** The text of a JSON Lines record's field, or why there is none. */
function fieldText(line: string, field: string): { text: string } | { error: string } {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return { error: 'not a JSON object' };
  }
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return { error: 'not a JSON object' };
  const value = (record as Record<string, unknown>)[field];
  if (value === undefined) return { error: `no field '${field}'` };
  if (typeof value === 'string') return { text: value };
  if (typeof value === 'number') return { text: String(value) };
  return { error: `field '${field}' holds ${value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`}, not text` };
}

export function registerDetect(program: Command, context: CliContext, setExit: (code: number) => void): void {
  program
    .command('detect')
    .description('Print the PII found in each line of a file (plain text, or JSON Lines with --field) as JSON lines')
    .argument('<file>', "the file to read ('-' for standard input)")
    .option('--field <name>', 'read each line as a JSON object and scan this string field')
    .option('--types <list>', `comma-separated PII types to look for (default: all of ${PII_TYPES.join(', ')})`)
    .option('--min-confidence <n>', 'leave out findings below this confidence (0 to 1)', '0')
    .option('--fail-on-find', 'exit 1 when anything is found (for pre-commit hooks)')
    .action(async (file: string, options: DetectOptions) => {
      const detectors = detectorsFor(parseTypes(options.types));
      const minConfidence = parseConfidence(options.minConfidence);
      const name = file === '-' ? '<stdin>' : file;
      const input = file === '-' ? process.stdin : createReadStream(resolve(context.cwd, file));
      let unreadable = 0;
      let findings = 0;
      const report = (line: number, matches: readonly PiiMatch[], error?: string) => {
        const out = { line, matches: matches.map(({ type, start, end, confidence }) => ({ type, start, end, confidence: Math.round(confidence * 100) / 100 })) };
        findings += matches.length;
        println(context.stdout, JSON.stringify(error === undefined ? out : { ...out, error }));
        if (error !== undefined) {
          unreadable++;
          println(context.stderr, `${name}:${line}: ${error}; this line was not scanned`);
        }
      };
      // Only reading is wrapped: a failure there names the file; anything else is not the input's fault.
      const lines = readLines(input, { maxLineBytes: MAX_LINE_BYTES, skipEmpty: false });
      for (;;) {
        let next: IteratorResult<LineItem[], void>;
        try {
          next = await lines.next();
        } catch (error) {
          throw ioFailure('SLUICE_INPUT_UNREADABLE', `cannot read ${name}`, error);
        }
        if (next.done === true) break;
        for (const item of next.value) {
          if (item.kind === 'issue') {
            report(item.line, [], item.reason);
            continue;
          }
          const source = options.field === undefined ? { text: item.text } : fieldText(item.text, options.field);
          if ('error' in source) report(item.line, [], source.error);
          else report(item.line, detectAll(source.text, detectors, minConfidence));
        }
      }
      // A line that could not be scanned is never passed silently: the exit code says so too.
      if (unreadable > 0) println(context.stderr, `${unreadable} line(s) of ${name} could not be scanned (see above)`);
      setExit(unreadable > 0 || (options.failOnFind === true && findings > 0) ? EXIT.FAILED : EXIT.OK);
    });
}
