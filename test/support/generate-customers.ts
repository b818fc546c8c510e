// Writes N synthetic customer records as JSON Lines, streaming, for large-input tests and benchmarks.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { sampleCustomer, seeded } from '../../src/cli/sample-customers.ts';

/** Support notes: free text, one in five holding an e-mail address or a phone number. */
const NOTES = ['asked about the delivery date', 'wants the invoice resent', 'reported a damaged parcel', 'changed the billing address', 'asked to close the account'];

function note(random: () => number, index: number): string {
  const text = NOTES[Math.floor(random() * NOTES.length)] ?? '';
  const roll = random();
  if (roll < 0.1) return `${text}; reply to backup${index}@example.org`;
  if (roll < 0.2) return `${text}, call back on +1 415 555 ${String(1000 + (index % 9000))}`;
  return text;
}

/** Writes `count` customers to `path` (with a free-text `notes` field when asked); returns the bytes written. */
export async function writeCustomers(path: string, count: number, seed = 7, options: { notes?: boolean } = {}): Promise<number> {
  const random = seeded(seed);
  const out = createWriteStream(path);
  let bytes = 0;
  let chunk = '';
  for (let i = 1; i <= count; i++) {
    const customer = sampleCustomer(i, random);
    if (options.notes === true) customer.notes = note(random, i);
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
