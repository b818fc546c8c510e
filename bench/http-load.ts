// A load generator for the API benchmark, run as its own process so that the load does not share the server's
// event loop. Closed loop (`--connections N`, as fast as answers come) for throughput; open loop (`--rate R`,
// requests sent on a fixed schedule and latency counted from when each was due, so a stall is not hidden by the
// requests it delayed: no coordinated omission) for latency percentiles. Prints one JSON line.
import { readFileSync } from 'node:fs';
import { Pool } from 'undici';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1]!);
const url = new URL(args.get('url')!);
const key = args.get('key');
const seconds = Number(args.get('seconds') ?? '3');
const connections = Number(args.get('connections') ?? '32');
const rate = args.has('rate') ? Number(args.get('rate')) : undefined;
const pool = new Pool(url.origin, { connections, pipelining: 1, connect: { ca: readFileSync(args.get('ca')!) } });
const headers = key ? { authorization: `Bearer ${key}` } : {};

const latencies: number[] = [];
let errors = 0;
async function once(dueAt: number): Promise<void> {
  try {
    const response = await pool.request({ path: url.pathname + url.search, method: 'GET', headers });
    await response.body.dump();
    if (response.statusCode !== 200) errors++;
  } catch {
    errors++;
  }
  latencies.push(performance.now() - dueAt);
}

// Open every connection (TLS handshakes) before the clock starts: the steady state is what is measured.
await Promise.all(Array.from({ length: connections }, () => pool.request({ path: url.pathname + url.search, method: 'GET', headers }).then((r) => r.body.dump())));
const started = performance.now();
const deadline = started + seconds * 1000;
if (rate === undefined) {
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) await once(performance.now());
    }),
  );
} else {
  const inFlight: Promise<void>[] = [];
  const total = Math.floor(rate * seconds);
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(once(due));
  }
  await Promise.all(inFlight);
}
const elapsed = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
console.log(JSON.stringify({ requests: latencies.length, errors, rps: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), max: at(1) }));
await pool.close();
