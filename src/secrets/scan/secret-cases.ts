// Labeled secret cases and how a scanner is scored on them: test/data/secrets-gitleaks.json (gitleaks' own
// true- and false-positive examples, MIT, with attribution in the file). A secret case is found when a
// detection overlaps its `secret_value` (anywhere in the text when the file gives none); a non-secret case is
// a false alarm when anything is detected. Negatives another gitleaks rule matches (`ambiguous`) are counted
// apart, and path-only cases (empty text) are skipped and counted.
import { readFileSync } from 'node:fs';

/** One case of the file, with the fields the scoring uses. */
export interface SecretCase {
  id: string;
  text: string;
  secret: boolean;
  /** The gitleaks rule the example belongs to. */
  rule: string;
  secret_value?: string;
  ambiguous?: boolean;
  /** Set for path-based rules; their text may be empty. */
  path?: string;
}

interface SecretCaseFile {
  cases: SecretCase[];
}

/** Where the vendored copy lives. */
export const GITLEAKS_CASES_PATH = new URL('../../../test/data/secrets-gitleaks.json', import.meta.url);

export function loadGitleaksCases(path: string | URL = GITLEAKS_CASES_PATH): SecretCase[] {
  return (JSON.parse(readFileSync(path, 'utf8')) as SecretCaseFile).cases;
}

export interface Span {
  start: number;
  end: number;
}

/** A case scored wrong, for debugging rules. */
export interface SecretCaseError {
  id: string;
  rule: string;
  kind: 'missed' | 'false-alarm' | 'ambiguous-false-alarm';
  text: string;
  found: Span[];
}

export interface SecretScore {
  truePositives: number;
  falseNegatives: number;
  /** Alarms on negatives no other gitleaks rule matches. */
  falsePositives: number;
  /** Alarms on negatives another gitleaks rule's pattern matches (scored apart). */
  ambiguousFalsePositives: number;
  trueNegatives: number;
  ambiguousTrueNegatives: number;
  /** Path-based cases with no text. */
  skipped: number;
  recall: number;
  /** Precision and F1 over the unambiguous negatives. */
  precision: number;
  f1: number;
  /** Precision and F1 counting the ambiguous negatives' alarms as false positives too. */
  precisionWithAmbiguous: number;
  f1WithAmbiguous: number;
  errors: SecretCaseError[];
}

/** The span of the case's secret value in its text, when the file gives one that occurs there. */
export function secretSpan(c: SecretCase): Span | undefined {
  if (c.secret_value === undefined || c.secret_value === '') return undefined;
  const start = c.text.indexOf(c.secret_value);
  return start < 0 ? undefined : { start, end: start + c.secret_value.length };
}

const f1 = (p: number, r: number): number => (p + r === 0 ? 0 : (2 * p * r) / (p + r));

/** Scores `detect` over `cases`. */
export function scoreSecretCases(cases: readonly SecretCase[], detect: (text: string, c: SecretCase) => readonly Span[]): SecretScore {
  const s = { tp: 0, fn: 0, fp: 0, fpA: 0, tn: 0, tnA: 0, skipped: 0 };
  const errors: SecretCaseError[] = [];
  for (const c of cases) {
    if (c.text === '') {
      s.skipped++;
      continue;
    }
    const found = detect(c.text, c);
    if (c.secret) {
      const want = secretSpan(c);
      const hit = want === undefined ? found.length > 0 : found.some((m) => m.start < want.end && m.end > want.start);
      if (hit) s.tp++;
      else {
        s.fn++;
        errors.push({ id: c.id, rule: c.rule, kind: 'missed', text: c.text, found: [...found] });
      }
    } else if (found.length === 0) {
      if (c.ambiguous === true) s.tnA++;
      else s.tn++;
    } else if (c.ambiguous === true) {
      s.fpA++;
      errors.push({ id: c.id, rule: c.rule, kind: 'ambiguous-false-alarm', text: c.text, found: [...found] });
    } else {
      s.fp++;
      errors.push({ id: c.id, rule: c.rule, kind: 'false-alarm', text: c.text, found: [...found] });
    }
  }
  const recall = s.tp + s.fn === 0 ? 1 : s.tp / (s.tp + s.fn);
  const precision = s.tp + s.fp === 0 ? 1 : s.tp / (s.tp + s.fp);
  const precisionWithAmbiguous = s.tp + s.fp + s.fpA === 0 ? 1 : s.tp / (s.tp + s.fp + s.fpA);
  return {
    truePositives: s.tp,
    falseNegatives: s.fn,
    falsePositives: s.fp,
    ambiguousFalsePositives: s.fpA,
    trueNegatives: s.tn,
    ambiguousTrueNegatives: s.tnA,
    skipped: s.skipped,
    recall,
    precision,
    f1: f1(precision, recall),
    precisionWithAmbiguous,
    f1WithAmbiguous: f1(precisionWithAmbiguous, recall),
    errors,
  };
}

/** One line summing a score up, for test messages and logs. */
export function describeScore(s: SecretScore): string {
  return (
    `P ${s.precision.toFixed(3)} R ${s.recall.toFixed(3)} F1 ${s.f1.toFixed(3)} ` +
    `(with ambiguous negatives: P ${s.precisionWithAmbiguous.toFixed(3)} F1 ${s.f1WithAmbiguous.toFixed(3)}); ` +
    `TP ${s.truePositives} FN ${s.falseNegatives} FP ${s.falsePositives} ambiguous FP ${s.ambiguousFalsePositives} ` +
    `TN ${s.trueNegatives} ambiguous TN ${s.ambiguousTrueNegatives} skipped ${s.skipped}`
  );
}
