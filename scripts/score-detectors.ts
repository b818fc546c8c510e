// Prints per-type precision, recall and F1 of the detectors on the Presidio-derived cases, and with
// --errors every miss and false alarm. For working on rules: `npx tsx scripts/score-detectors.ts [--errors] [TYPE...]`.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadPresidioCases } from '../src/privacy/detect/presidio-cases.ts';
import { scoreDetections } from '../src/privacy/detect/score.ts';
import type { Detector, PiiMatch } from '../src/privacy/detect/detector.ts';

const dir = fileURLToPath(new URL('../src/privacy/detect/detectors/', import.meta.url));
const detectors: Detector[] = [];
for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).sort()) {
  const mod = (await import(new URL(file, `file://${dir}`).href)) as Record<string, unknown>;
  for (const value of Object.values(mod)) {
    if (value && typeof value === 'object' && 'type' in value && 'detect' in value) detectors.push(value as Detector);
  }
}
const args = process.argv.slice(2);
const showErrors = args.includes('--errors');
const wanted = args.filter((a) => !a.startsWith('--'));
const types = wanted.length > 0 ? wanted : [...new Set(detectors.map((d) => d.type))];
const detect = (text: string): PiiMatch[] => detectors.flatMap((d) => d.detect(text));
const report = scoreDetections(loadPresidioCases(), detect, types);
for (const s of [...report.perType, report.micro]) {
  console.log(`${s.type.padEnd(14)} P ${s.precision.toFixed(3)}  R ${s.recall.toFixed(3)}  F1 ${s.f1.toFixed(3)}  (tp ${s.truePositives} fp ${s.falsePositives} fn ${s.falseNegatives})`);
}
if (showErrors) {
  for (const e of report.errors) console.log(`${e.kind.padEnd(14)} ${e.type.padEnd(12)} ${e.caseId} [${e.start},${e.end}) ${JSON.stringify(e.text.slice(e.start, e.end))} in ${JSON.stringify(e.text.slice(0, 160))}`);
}
