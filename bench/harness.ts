// The benchmark harness: each figure beside its baseline and its target, measured in the same run (these
// machines are shared and noisy: ratios from one run hold, absolute times do not).

/** One line of the results table. */
export interface BenchRow {
  suite: string;
  /** What was measured, e.g. "64 MiB object: envelope". */
  name: string;
  value: number;
  unit: string;
  /** What it is compared with, measured in the same run. */
  baseline?: { name: string; value: number };
  /** value ÷ baseline, oriented so that higher is better for Sluice. */
  ratio?: number;
  /** The target ratio (or value) from the issues, and whether it was met. */
  target?: { text: string; met: boolean };
  /** Spread of the repetitions: min and max of `value`. */
  spread?: [number, number];
  peakRssMiB?: number;
}

export interface BenchOptions {
  quick: boolean;
  /** The pass under the profiler, made only for its profile of this thread: rows from other threads can be left out. */
  profiling?: boolean;
}

/** A suite: a name and a function producing rows. */
export interface BenchSuite {
  name: string;
  description: string;
  run(options: BenchOptions): Promise<BenchRow[]>;
}

/**
 * Which clock a measurement uses. `wall` is what a user waits; `cpu` is the process's CPU time (user + system,
 * every thread), which is what "per core" means and what other load on a shared machine disturbs least. A
 * library that hands work to libuv's threadpool (the AWS SDK does) looks faster on the wall clock of a
 * 2-core machine than it is per core.
 */
export type Clock = 'wall' | 'cpu';

function now(clock: Clock): number {
  if (clock === 'wall') return performance.now();
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** Median, min and max of some durations. */
export interface Timing {
  median: number;
  min: number;
  max: number;
}

/** The median (of an even count, the mean of the middle two), min and max of `times` (sorted in place). */
export function summarize(times: number[]): Timing {
  times.sort((a, b) => a - b);
  const middle = times.length >> 1;
  const median = times.length % 2 === 1 ? times[middle]! : times.length > 0 ? (times[middle - 1]! + times[middle]!) / 2 : 0;
  return { median, min: times[0] ?? 0, max: times[times.length - 1] ?? 0 };
}

/** Runs `work` once, cold (no warm-up); returns its duration in ms. */
export async function timeOnce(work: () => unknown, clock: Clock = 'wall'): Promise<number> {
  const started = now(clock);
  await work();
  return now(clock) - started;
}

/** Runs `work` once to warm up, then `rounds` times; returns the median, min and max durations in ms. */
export async function timeIt(rounds: number, work: () => unknown, clock: Clock = 'wall'): Promise<Timing> {
  return (await timeInterleaved(rounds, [work], clock))[0]!;
}

/**
 * Like timeIt for several works side by side, their rounds interleaved (a, b, a, b, …) after one warm-up of each,
 * so that drift in the machine, and the state of the heap one leaves the next, fall on all of them alike.
 */
export async function timeInterleaved(rounds: number, works: readonly (() => unknown)[], clock: Clock = 'wall'): Promise<Timing[]> {
  const results = await interleaved(
    rounds,
    works.map((work) => async () => {
      const started = now(clock);
      await work();
      return now(clock) - started;
    }),
  );
  return results.map(summarize);
}

/**
 * Runs each work once as a warm-up, then `rounds` times, their rounds interleaved; returns each work's results of
 * the timed rounds (for works that measure themselves).
 */
export async function interleaved<T>(rounds: number, works: readonly (() => Promise<T>)[]): Promise<T[][]> {
  for (const work of works) await work();
  const results = works.map((): T[] => []);
  for (let i = 0; i < rounds; i++) {
    for (const [j, work] of works.entries()) results[j]!.push(await work());
  }
  return results;
}

/**
 * What one side of a comparison measured: its times in ms (median, min, max) and the process's peak RSS during
 * its runs. The sides share the process, so a side's peak includes what the runs before it left: an upper bound.
 */
export interface Measured extends Timing {
  peakRssMiB: number;
}

/**
 * Each work once untimed (V8 compiles the runtime's and the driver's code, a server warms its cache), then
 * `rounds` times, interleaved so that drift in the machine falls on all alike. Each work returns its own time in
 * ms (Sluice's runs time the run alone, without loading the spec and making the keyring).
 */
export async function measureInterleaved(rounds: number, works: readonly (() => Promise<number>)[]): Promise<Measured[]> {
  const results = await interleaved(rounds, works.map((work) => () => withPeakRss(work)));
  return results.map((runs) => ({ ...summarize(runs.map((r) => r.result)), peakRssMiB: Math.max(...runs.map((r) => r.peakRssMiB)) }));
}

/** Peak resident memory while `work` runs, sampled every 20 ms, in MiB. */
export async function withPeakRss<T>(work: () => Promise<T>): Promise<{ result: T; peakRssMiB: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  try {
    const result = await work();
    return { result, peakRssMiB: Math.round(Math.max(peak, process.memoryUsage.rss()) / 1048576) };
  } finally {
    clearInterval(timer);
  }
}

function format(n: number): string {
  if (n >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(n >= 10 ? 1 : 2);
}

/** The Markdown table of the results. */
export function markdownTable(rows: readonly BenchRow[]): string {
  const lines = ['| suite | measure | value | baseline | ratio | target | peak RSS |', '|---|---|---:|---|---:|---|---:|'];
  for (const r of rows) {
    const value = `${format(r.value)} ${r.unit}${r.spread ? ` (${format(r.spread[0])}–${format(r.spread[1])})` : ''}`;
    const baseline = r.baseline ? `${r.baseline.name}: ${format(r.baseline.value)} ${r.unit}` : '';
    const ratio = r.ratio !== undefined ? `${r.ratio.toFixed(2)}×` : '';
    const target = r.target ? `${r.target.text} ${r.target.met ? 'met' : '**missed**'}` : '';
    lines.push(`| ${r.suite} | ${r.name} | ${value} | ${baseline} | ${ratio} | ${target} | ${r.peakRssMiB !== undefined ? `${r.peakRssMiB} MiB` : ''} |`);
  }
  return lines.join('\n');
}
