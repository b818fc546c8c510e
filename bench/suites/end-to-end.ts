// End to end: customer records through contract validation, scan, tokenize, mask and the encrypted file sink, against
// the same read-parse-write loop with no protection (the floor) and Fernet over each stringified record.
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { randomBytes } from 'node:crypto';
import fernet from 'fernet';
import type { BenchRow, BenchSuite } from '../harness.ts';
import type { Measured } from '../harness.ts';
import { measureInterleaved, timeOnce, withPeakRss } from '../harness.ts';
import { prepareE2ePipeline } from '../e2e-pipeline.ts';
import type { E2ePipeline } from '../e2e-pipeline.ts';
import { availableParallelism } from 'node:os';

/** Reads the input line by line and hands each parsed record to `write`'s line; the floor and Fernet share it. */
async function loop(input: string, output: string, limit: number, encode: (record: unknown) => string): Promise<number> {
  const out = createWriteStream(output);
  let n = 0;
  for await (const line of createInterface({ input: createReadStream(input), crlfDelay: Infinity })) {
    if (n++ >= limit) break;
    if (!out.write(encode(JSON.parse(line)) + '\n')) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return Math.min(n, limit);
}

export const endToEndSuite: BenchSuite = {
  name: 'end-to-end',
  description: 'Customer records through contract, scan, tokenize, mask and the encrypted sink, against an unprotected loop and Fernet',
  async run({ quick, profiling }) {
    const records = quick ? 50_000 : 1_000_000;
    const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-e2e-'));
    let pipeline: E2ePipeline | undefined;
    try {
      const opened = await prepareE2ePipeline(dir, records, 7);
      pipeline = opened;
      const { input } = opened;
      const bytes = statSync(input).size;

      const floorRun = () => timeOnce(() => loop(input, join(dir, 'floor.jsonl'), records, (r) => JSON.stringify(r)));
      // Fernet manages a few thousand records a second: a sample gives its rate without minutes of waiting.
      const fernetSample = Math.min(records, quick ? 3000 : 20_000);
      const token = new fernet.Token({ secret: new fernet.Secret(randomBytes(32).toString('base64')), ttl: 0 });
      const timeFernet = () => timeOnce(() => loop(input, join(dir, 'fernet.txt'), fernetSample, (r) => token.encode(JSON.stringify(r))));
      const sluiceRun = () => opened.run();
      // Memory first, in a run before anything else has grown this process's heap, as a user's pipeline starts:
      // measured after the rounds, Sluice's peak counted what the floor's runs left resident (315 MiB, against
      // 255-278 for each of five Sluice runs in one process, its heap after each full GC the same 27 MiB).
      const memory = await withPeakRss(sluiceRun);
      // Fernet is warmed up first, as the others are: the package's pure-JavaScript AES runs about a quarter
      // faster once V8 has compiled it (7,200 records/s on the first 5,000 here, 9,000 after).
      await loop(input, join(dir, 'fernet-warm-up.txt'), Math.min(records, 10_000), (r) => token.encode(JSON.stringify(r)));
      // Its samples run before and after the rounds and their times are averaged, so that the machine's drift
      // during them falls on Fernet too (one sample moved by a quarter between runs here).
      const fernetBefore = await timeFernet();
      // Then each side once untimed (V8 compiles the code, the heap grows to its working size), and three
      // rounds interleaved, floor and Sluice, so that drift in the machine falls on both alike. Full runs add the
      // run split over threads (one per core), as `sluice run --threads N` runs it; not in the profiling pass,
      // whose profiler sees this thread only.
      const threads = availableParallelism();
      const withThreads = !quick && profiling !== true;
      const sides = [floorRun, sluiceRun, ...(withThreads ? [() => opened.runThreads(threads)] : [])];
      const [floor, sluice, threaded] = (await measureInterleaved(3, sides)) as [Measured, Measured, Measured | undefined];
      const fernetAfter = await timeFernet();
      const floorMs = floor.median;
      const fernetMs = (fernetBefore + fernetAfter) / 2;

      const rate = (count: number, ms: number) => count / (ms / 1000);
      const sluiceRate = rate(records, sluice.median);
      const floorRate = rate(records, floorMs);
      const fernetRate = rate(fernetSample, fernetMs);
      const mb = (ms: number) => bytes / 1e6 / (ms / 1000);
      const rows: BenchRow[] = [
        { suite: 'end-to-end', name: `${records.toLocaleString('en-US')} records: Sluice vs unprotected floor`, value: sluiceRate, unit: 'records/s', spread: [rate(records, sluice.max), rate(records, sluice.min)], baseline: { name: 'floor (median of its rounds)', value: floorRate }, ratio: sluiceRate / floorRate, target: { text: '≥ 0.67× (time ≤ 1.5× floor)', met: sluiceRate / floorRate >= 1 / 1.5 } },
        { suite: 'end-to-end', name: 'Sluice vs Fernet over stringified records', value: sluiceRate, unit: 'records/s', baseline: { name: `fernet (${fernetSample.toLocaleString('en-US')}-record samples before and after)`, value: fernetRate }, ratio: sluiceRate / fernetRate, target: { text: '≥ 10×', met: sluiceRate / fernetRate >= 10 } },
        { suite: 'end-to-end', name: 'Sluice throughput', value: mb(sluice.median), unit: 'MB/s', baseline: { name: 'floor', value: mb(floorMs) }, ratio: mb(sluice.median) / mb(floorMs) },
        { suite: 'end-to-end', name: 'Sluice peak RSS (its first run, before any other in this process)', value: memory.peakRssMiB, unit: 'MiB', target: { text: '< 300 MiB', met: memory.peakRssMiB < 300 } },
      ];
      if (threaded) {
        const threadedRate = rate(records, threaded.median);
        rows.push(
          { suite: 'end-to-end', name: `${records.toLocaleString('en-US')} records: Sluice --threads ${threads} vs unprotected floor (one thread)`, value: threadedRate, unit: 'records/s', spread: [rate(records, threaded.max), rate(records, threaded.min)], baseline: { name: 'floor (median of its rounds)', value: floorRate }, ratio: threadedRate / floorRate, target: { text: '≥ 0.67× (time ≤ 1.5× floor)', met: threadedRate / floorRate >= 1 / 1.5 }, peakRssMiB: threaded.peakRssMiB },
          { suite: 'end-to-end', name: `Sluice --threads ${threads} vs one thread (what the other cores give)`, value: threadedRate, unit: 'records/s', baseline: { name: 'one thread', value: sluiceRate }, ratio: threadedRate / sluiceRate },
        );
      }
      return rows;
    } finally {
      await pipeline?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
