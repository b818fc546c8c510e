// CPU profiles for suites that miss a target: the issue asks that a missed figure come with the profile that
// explains where the time goes. The suite runs under the in-process V8 profiler (node:inspector, the same data
// `node --cpu-prof` writes), and the hottest functions by self time go into the results beside the table.
import { Session } from 'node:inspector/promises';

/** A V8 CPU profile, as Profiler.stop returns it and Chrome DevTools opens it. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples?: number[];
}

/** Runs `work` under the CPU profiler; returns its result and the profile. */
export async function profiled<T>(work: () => Promise<T>): Promise<{ result: T; profile: CpuProfile }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    // 1 ms sampling keeps the profiler's own cost small beside suites that run for seconds.
    await session.post('Profiler.setSamplingInterval', { interval: 1000 });
    await session.post('Profiler.start');
    const outcome = await work().then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
    if (!outcome.ok) throw outcome.error;
    return { result: outcome.value, profile };
  } finally {
    session.disconnect();
  }
}

/** The `limit` functions with the most self time, as "share% name (file:line)". */
export function hottest(profile: CpuProfile, limit = 12): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const counts = new Map<string, number>();
  const samples = profile.samples ?? [];
  for (const id of samples) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    const file = frame.url.split('/').pop() ?? '';
    // Regular expressions appear under their source, which can run to kilobytes (name lists): keep the start.
    const name = frame.functionName || '(anonymous)';
    const key = `${name.length > 120 ? `${name.slice(0, 117)}...` : name}${file ? ` (${file}:${frame.lineNumber + 1})` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([key, n]) => `${((n / Math.max(1, samples.length)) * 100).toFixed(1)}% ${key}`);
}
