// `npm run bench [-- --only NAME] [-- --quick]`: runs the suites, prints the table, and writes JSON and
// Markdown results to bench/results/. No thresholds fail the run: a missed target is reported as missed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus } from 'node:os';
import type { BenchRow, BenchSuite } from './harness.ts';
import { markdownTable } from './harness.ts';
import { endToEndSuite } from './suites/end-to-end.ts';
import { encryptionSuite } from './suites/encryption.ts';
import { detectionSuite } from './suites/detection.ts';
import { protectiveStepsSuite } from './suites/protective-steps.ts';

const SUITES: BenchSuite[] = [endToEndSuite, encryptionSuite, detectionSuite, protectiveStepsSuite];

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? args[onlyAt + 1] : undefined;
const suites = only === undefined ? SUITES : SUITES.filter((s) => s.name === only);
if (suites.length === 0) {
  console.error(`no suite '${only}'; suites: ${SUITES.map((s) => s.name).join(', ')}`);
  process.exit(2);
}

const rows: BenchRow[] = [];
for (const suite of suites) {
  console.error(`running ${suite.name}${quick ? ' (quick)' : ''}: ${suite.description}`);
  rows.push(...(await suite.run({ quick })));
}
const table = markdownTable(rows);
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const dir = join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
const machine = { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', quick };
writeFileSync(join(dir, `${stamp}.json`), JSON.stringify({ machine, rows }, null, 2) + '\n');
writeFileSync(join(dir, `${stamp}.md`), `# Benchmark results ${stamp}\n\n${JSON.stringify(machine)}\n\n${table}\n`);
console.log(table);
const missed = rows.filter((r) => r.target && !r.target.met);
console.log(`\n${rows.length} figures; ${missed.length} target(s) missed${missed.length ? `: ${missed.map((r) => r.name).join('; ')}` : ''}. Results in bench/results/${stamp}.{json,md}`);
