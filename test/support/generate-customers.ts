// Writes N synthetic customer records as JSON Lines, streaming, for large-input tests and benchmarks.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { sampleCustomer, seeded } from '../../src/cli/sample-customers.ts';

/** Writes `count` customers to `path`; returns the bytes written. */
export async function writeCustomers(path: string, count: number, seed = 7): Promise<number> {
  const random = seeded(seed);
  const out = createWriteStream(path);
  let bytes = 0;
  let chunk = '';
  for (let i = 1; i <= count; i++) {
    chunk += JSON.stringify(sampleCustomer(i, random)) + '\n';
    if (chunk.length > 1 << 20 || i === count) {
      bytes += Buffer.byteLength(chunk);
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end();
  await once(out, 'finish');
  return bytes;
}
