// Mixed text for detection benchmarks: seeded prose lines (support notes, log lines, comments) with PII of
// every type sprinkled into about one line in five, generated on the fly.
import { seeded } from '../src/seeded-random.ts';

const WORDS = (
  'the customer called about an invoice and asked for a refund of the order placed last week support replied ' +
  'that the parcel was delayed by the carrier please update the shipping address before friday thanks for your ' +
  'patience ticket escalated to billing payment failed retry scheduled account locked after three attempts ' +
  'version 2.4.1 deployed to staging at 10:42:13 build 20241105 passed all checks order #88231 shipped'
).split(' ');

const PII = [
  (r: () => number) => `ada.lovelace${Math.floor(r() * 1000)}@example.com`,
  () => '+1 (415) 555-0132',
  () => '+44 20 7946 0958',
  () => '4111 1111 1111 1111',
  () => '078-05-1123',
  () => 'GB82 WEST 1234 5698 7654 32',
  () => '192.168.12.34',
  () => '2001:db8::8a2e:370:7334',
  () => '00:1A:2B:3C:4D:5E',
  () => 'https://www.example.org/account?id=42',
  () => '1BoatSLRHtKNngkdXEeobR76b53LETtpyT',
  () => 'born on 1984-07-23',
  () => 'Dear Mr. Smith',
];

/** Lines of mixed text totalling about `bytes` bytes. */
export function mixedText(bytes: number, seed: number): string[] {
  const random = seeded(seed);
  const lines: string[] = [];
  let total = 0;
  while (total < bytes) {
    const words: string[] = [];
    const count = 8 + Math.floor(random() * 30);
    for (let i = 0; i < count; i++) words.push(WORDS[Math.floor(random() * WORDS.length)] ?? '');
    if (random() < 0.2) words.splice(Math.floor(random() * words.length), 0, PII[Math.floor(random() * PII.length)]!(random));
    const line = words.join(' ');
    lines.push(line);
    total += line.length + 1;
  }
  return lines;
}
