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
}

/** A suite: a name and a function producing rows. */
export interface BenchSuite {
  name: string;
  description: string;
  run(options: BenchOptions): Promise<BenchRow[]>;
}

/** Runs `work` once to warm up, then `rounds` times; returns the median, min and max durations in ms. */
export async function timeIt(rounds: number, work: () => unknown): Promise<{ median: number; min: number; max: number }> {
  await work();
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    await work();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)] ?? 0, min: times[0] ?? 0, max: times[times.length - 1] ?? 0 };
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
