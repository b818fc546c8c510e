// One suite in a process of its own: bench/run.ts starts one per suite. Run in one process, a suite inherited the
// heap its predecessors left (the audit suite's 10M-leaf tree, the end-to-end records), and its garbage collection
// grew with it: in one full run the PostgreSQL and NATS pipelines ran at half the rate they reach alone.
// Usage: run-suite.ts NAME OUTPUT.json STAMP [--quick] [--profile]
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchRow } from './harness.ts';
import { hottest, profiled } from './profile.ts';
import { SUITES } from './suites/index.ts';

/** What a suite's process hands back to bench/run.ts. */
export interface SuiteOutcome {
  rows: BenchRow[];
  /** The Markdown section on where the time goes, when the suite missed a target and was profiled. */
  profile?: string;
}

const [name, output, stamp] = process.argv.slice(2);
const quick = process.argv.includes('--quick');
const entry = SUITES.find((s) => s.name === name);
if (!entry || !output || !stamp) {
  console.error('usage: run-suite.ts NAME OUTPUT.json STAMP [--quick] [--profile]');
  process.exit(2);
}
const suite = await entry.load();
console.error(`running ${suite.name}${quick ? ' (quick)' : ''}: ${suite.description}`);
const rows = await suite.run({ quick });
const outcome: SuiteOutcome = { rows };
// A suite that missed a target is run again under the profiler for the profile alone: sampling slows a suite by
// 15-20%, which would understate every figure.
if (process.argv.includes('--profile') && rows.some((r) => r.target && !r.target.met)) {
  console.error(`profiling ${suite.name} (it missed a target; these figures are not reported)`);
  const { profile } = await profiled(() => suite.run({ quick, profiling: true }));
  const file = `${stamp}-${suite.name}.cpuprofile`;
  writeFileSync(join(import.meta.dirname, 'results', file), JSON.stringify(profile));
  outcome.profile = `## Where the time goes in ${suite.name} (missed a target)\n\nProfile: bench/results/${file} (open in Chrome DevTools). Self time:\n\n${hottest(profile).map((l) => `- ${l}`).join('\n')}\n`;
}
// JSON has no Infinity or NaN (a ratio over a zero median): they travel as strings (run.ts reads them back).
writeFileSync(output, JSON.stringify(outcome, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? { nonFinite: String(value) } : value)));
// A connection a suite left open must not keep its process, and so the whole run, waiting.
process.exit(0);
