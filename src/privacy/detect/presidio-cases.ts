// Loads the Presidio-derived labeled cases (test/data/pii-presidio.json, vendored from ../shared/benchmarks; MIT, with attribution
// in the file) and maps Presidio's type names to Sluice's, using the file's own type_map.
import { readFileSync } from 'node:fs';
import type { LabeledCase } from './score.ts';

interface PresidioFile {
  type_map: Record<string, string>;
  cases: LabeledCase[];
}

/** Where the vendored copy lives. */
export const PRESIDIO_CASES_PATH = new URL('../../../test/data/pii-presidio.json', import.meta.url);

export function loadPresidioCases(path: string | URL = PRESIDIO_CASES_PATH): LabeledCase[] {
  const file = JSON.parse(readFileSync(path, 'utf8')) as PresidioFile;
  const rename = (type: string): string => {
    const mapped = file.type_map[type];
    return mapped !== undefined && type !== '*' && /^[A-Z_]+$/.test(mapped) ? mapped : type;
  };
  return file.cases.map((c) => ({
    id: c.id,
    text: c.text,
    entities: c.entities.map((e) => ({ type: rename(e.type), start: e.start, end: e.end })),
    labeled_types: c.labeled_types.map(rename),
  }));
}
