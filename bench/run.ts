// `npm run bench [-- --only NAME] [-- --quick] [-- --no-v8-flags]`: runs the suites, prints the table, and writes
// JSON and Markdown results to bench/results/. No thresholds fail the run: a missed target is reported as missed.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchRow } from './harness.ts';
import { markdownTable } from './harness.ts';
import type { SuiteOutcome } from './run-suite.ts';
import { SUITES } from './suites/index.ts';
import { V8_DEFAULTS_ENV, v8FlagsFor } from '../bin/v8-flags.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? args[onlyAt + 1] : undefined;
const suites = only === undefined ? SUITES : SUITES.filter((s) => s.name === only);
if (suites.length === 0) {
  console.error(`no suite '${only}'; suites: ${SUITES.map((s) => s.name).join(', ')}`);
  process.exit(2);
}

// Each suite runs under the V8 settings of the sluice command it measures, as Sluice runs for its users; the
// baselines in the same process share them. --no-v8-flags runs them under Node's defaults, to see what they change.
const defaultV8 = args.includes('--no-v8-flags');
// The processes a suite starts (the cluster suite's workers run bin/sluice.js) keep Node's defaults too.
if (defaultV8) process.env[V8_DEFAULTS_ENV] = '1';
// Full runs profile any suite that misses a target (run-suite.ts).
const profile = !quick && !args.includes('--no-profile');
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const dir = join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
const scratch = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
const rows: BenchRow[] = [];
const profiles: string[] = [];
let failed = false;
try {
  for (const entry of suites) {
    // Each suite on a fresh heap, in a process of its own (run-suite.ts says why), one after another.
    const output = join(scratch, `${entry.name}.json`);
    const flags = [...(quick ? ['--quick'] : []), ...(profile ? ['--profile'] : [])];
    const v8Flags = v8FlagsFor(entry.runsAs ?? 'run');
    if (v8Flags.length > 0) console.error(`${entry.name} runs under ${v8Flags.join(' ')}, as 'sluice ${entry.runsAs ?? 'run'}' does`);
    const started = performance.now();
    const child = spawn(process.execPath, [...v8Flags, '--import', 'tsx', join(import.meta.dirname, 'run-suite.ts'), entry.name, output, stamp, ...flags], { stdio: 'inherit' });
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    // Where a run's time goes (the quick run has a budget: CI runs it before the tests).
    console.error(`bench: ${entry.name} took ${((performance.now() - started) / 1000).toFixed(1)} s`);
    if (code !== 0) {
      console.error(`the ${entry.name} suite failed (${signal ?? `exit ${code}`}); its output is above`);
      failed = true;
      break;
    }
    const outcome = JSON.parse(readFileSync(output, 'utf8'), (_key, value: unknown) =>
      typeof value === 'object' && value !== null && 'nonFinite' in value ? Number((value as { nonFinite: string }).nonFinite) : value,
    ) as SuiteOutcome;
    rows.push(...outcome.rows);
    if (outcome.profile) profiles.push(outcome.profile);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
// The suites that ran before a failing one still get their table: the run then exits 1.
if (failed) process.exitCode = 1;
const table = markdownTable(rows);
const machine = { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', quick, v8: defaultV8 ? 'Node defaults' : 'as the sluice command (bin/v8-flags.js)' };
writeFileSync(join(dir, `${stamp}.json`), JSON.stringify({ machine, rows }, null, 2) + '\n');
writeFileSync(join(dir, `${stamp}.md`), `# Benchmark results ${stamp}\n\n${JSON.stringify(machine)}\n\n${table}\n\n${profiles.join('\n')}`);
console.log(table);
for (const p of profiles) console.log(`\n${p}`);
const missed = rows.filter((r) => r.target && !r.target.met);
console.log(`\n${rows.length} figures; ${missed.length} target(s) missed${missed.length ? `: ${missed.map((r) => r.name).join('; ')}` : ''}. Results in bench/results/${stamp}.{json,md}`);
