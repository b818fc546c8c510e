// `npm run bench [-- --only NAME] [-- --quick]`: runs the suites, prints the table, and writes JSON and
// Markdown results to bench/results/. No thresholds fail the run: a missed target is reported as missed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus } from 'node:os';
import type { BenchRow, BenchSuite } from './harness.ts';
import { markdownTable } from './harness.ts';
import { hottest, profiled } from './profile.ts';

/**
 * The suites, loaded only when they run: the baselines (redact-pii with the Google Cloud DLP client, secretlint,
 * the AWS SDK) would otherwise sit in memory during every suite and count in its peak RSS.
 */
const SUITES: { name: string; load: () => Promise<BenchSuite> }[] = [
  { name: 'end-to-end', load: async () => (await import('./suites/end-to-end.ts')).endToEndSuite },
  { name: 'encryption', load: async () => (await import('./suites/encryption.ts')).encryptionSuite },
  { name: 'detection', load: async () => (await import('./suites/detection.ts')).detectionSuite },
  { name: 'secret-scanning', load: async () => (await import('./suites/secret-scanning.ts')).secretScanningSuite },
  { name: 'protective-steps', load: async () => (await import('./suites/protective-steps.ts')).protectiveStepsSuite },
  { name: 'audit', load: async () => (await import('./suites/audit.ts')).auditSuite },
  { name: 'postgres', load: async () => (await import('./suites/postgres.ts')).postgresSuite },
  { name: 'nats', load: async () => (await import('./suites/nats.ts')).natsSuite },
  { name: 'api', load: async () => (await import('./suites/api.ts')).apiSuite },
  { name: 'cluster', load: async () => (await import('./suites/cluster.ts')).clusterSuite },
];

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? args[onlyAt + 1] : undefined;
const suites = only === undefined ? SUITES : SUITES.filter((s) => s.name === only);
if (suites.length === 0) {
  console.error(`no suite '${only}'; suites: ${SUITES.map((s) => s.name).join(', ')}`);
  process.exit(2);
}

// Full runs profile any suite that misses a target: measured first without the profiler (sampling slows a
// suite by 15-20%, which would understate every figure), then run again under it for the profile alone.
const profile = !quick && !args.includes('--no-profile');
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const dir = join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
const rows: BenchRow[] = [];
const profiles: string[] = [];
for (const entry of suites) {
  const suite = await entry.load();
  console.error(`running ${suite.name}${quick ? ' (quick)' : ''}: ${suite.description}`);
  const result = await suite.run({ quick });
  rows.push(...result);
  if (profile && result.some((r) => r.target && !r.target.met)) {
    console.error(`profiling ${suite.name} (it missed a target; these figures are not reported)`);
    const { profile: cpu } = await profiled(() => suite.run({ quick }));
    const file = `${stamp}-${suite.name}.cpuprofile`;
    writeFileSync(join(dir, file), JSON.stringify(cpu));
    profiles.push(`## Where the time goes in ${suite.name} (missed a target)\n\nProfile: bench/results/${file} (open in Chrome DevTools). Self time:\n\n${hottest(cpu).map((l) => `- ${l}`).join('\n')}\n`);
  }
}
const table = markdownTable(rows);
const machine = { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', quick };
writeFileSync(join(dir, `${stamp}.json`), JSON.stringify({ machine, rows }, null, 2) + '\n');
writeFileSync(join(dir, `${stamp}.md`), `# Benchmark results ${stamp}\n\n${JSON.stringify(machine)}\n\n${table}\n\n${profiles.join('\n')}`);
console.log(table);
for (const p of profiles) console.log(`\n${p}`);
const missed = rows.filter((r) => r.target && !r.target.met);
console.log(`\n${rows.length} figures; ${missed.length} target(s) missed${missed.length ? `: ${missed.map((r) => r.name).join('; ')}` : ''}. Results in bench/results/${stamp}.{json,md}`);
