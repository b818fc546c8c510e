// Scores detectors against labeled cases: per-type precision, recall and F1. A prediction hits a labeled
// span of the same type when their overlap covers at least half of each (one-to-one, greedy). Labels are
// complete only for each case's `labeled_types`, so predictions of other types are not counted.

/** One labeled case, as in ../shared/benchmarks/pii-presidio.json (types already mapped to Sluice's names). */
export interface LabeledCase {
  id: string;
  text: string;
  entities: { type: string; start: number; end: number }[];
  labeled_types: string[];
}

export interface TypeScore {
  type: string;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  precision: number;
  recall: number;
  f1: number;
}

/** A miss or a false alarm, for debugging rules. */
export interface ScoreError {
  caseId: string;
  kind: 'missed' | 'false-positive';
  type: string;
  start: number;
  end: number;
  text: string;
}

export interface ScoreReport {
  perType: TypeScore[];
  micro: TypeScore;
  errors: ScoreError[];
}

type Span = { type: string; start: number; end: number };

/** Half of each span must be covered by the other. */
export function spansHit(a: Span, b: Span): boolean {
  const overlap = Math.min(a.end, b.end) - Math.max(a.start, b.start);
  if (overlap <= 0) return false;
  return overlap * 2 >= a.end - a.start && overlap * 2 >= b.end - b.start;
}

/** Scores `detect` over `cases`, counting only `types` (and only where a case labels them). */
export function scoreDetections(
  cases: readonly LabeledCase[],
  detect: (text: string) => readonly Span[],
  types: readonly string[],
): ScoreReport {
  const counts = new Map(types.map((t) => [t, { tp: 0, fp: 0, fn: 0 }]));
  const errors: ScoreError[] = [];
  for (const c of cases) {
    const scored = c.labeled_types.filter((t) => counts.has(t));
    if (scored.length === 0) continue;
    const predictions = detect(c.text);
    for (const type of scored) {
      const tally = counts.get(type)!;
      const gold = c.entities.filter((e) => e.type === type);
      const predicted = predictions.filter((p) => p.type === type);
      const used = new Set<number>();
      for (const p of predicted) {
        const g = gold.findIndex((e, i) => !used.has(i) && spansHit(e, p));
        if (g >= 0) {
          used.add(g);
          tally.tp++;
        } else {
          tally.fp++;
          errors.push({ caseId: c.id, kind: 'false-positive', type, start: p.start, end: p.end, text: c.text });
        }
      }
      gold.forEach((e, i) => {
        if (used.has(i)) return;
        tally.fn++;
        errors.push({ caseId: c.id, kind: 'missed', type, start: e.start, end: e.end, text: c.text });
      });
    }
  }
  const perType = types.map((type) => toScore(type, counts.get(type)!));
  const sum = { tp: 0, fp: 0, fn: 0 };
  for (const { tp, fp, fn } of counts.values()) {
    sum.tp += tp;
    sum.fp += fp;
    sum.fn += fn;
  }
  return { perType, micro: toScore('micro', sum), errors };
}

function toScore(type: string, { tp, fp, fn }: { tp: number; fp: number; fn: number }): TypeScore {
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { type, truePositives: tp, falsePositives: fp, falseNegatives: fn, precision, recall, f1 };
}
