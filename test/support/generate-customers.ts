// Writes N synthetic customer records as JSON Lines, streaming, for large-input tests and benchmarks.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { sampleCustomer, sampleNote } from '../../src/cli/sample-customers.ts';
import { seeded } from '../../src/seeded-random.ts';

/** Writes `count` customers to `path` (with a free-text `notes` field when asked); returns the bytes written. */
export async function writeCustomers(path: string, count: number, seed = 7, options: { notes?: boolean } = {}): Promise<number> {
  const random = seeded(seed);
  const notes = seeded(seed + 1);
  const out = createWriteStream(path);
  let bytes = 0;
  let chunk = '';
  for (let i = 1; i <= count; i++) {
    const customer = sampleCustomer(i, random);
    if (options.notes === true) customer.notes = sampleNote(notes, i);
    chunk += JSON.stringify(customer) + '\n';
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
