// Fake customer records for the quickstart: seeded, so every machine gets the same file. A few records are
// broken on purpose, to show the quarantine.

import { seeded } from '../seeded-random.ts';

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Margaret', 'Niklaus', 'Radia', 'Tim'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Hamilton', 'Wirth', 'Perlman', 'Berners-Lee'];
const COUNTRIES = ['DE', 'FR', 'GB', 'US', 'NL', 'SE', 'ES', 'IT'];

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

function digits(random: () => number, count: number): string {
  let out = '';
  for (let i = 0; i < count; i++) out += String(Math.floor(random() * 10));
  return out;
}

/** `number` (digits and spaces) with the Luhn check digit appended. */
function withLuhnDigit(number: string): string {
  const body = number.replace(/ /g, '');
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    // Doubling starts at the rightmost digit of the body: it sits next to the check digit.
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return number + String((10 - (sum % 10)) % 10);
}

/** One sample customer, as a JSON object. */
export function sampleCustomer(index: number, random: () => number): Record<string, unknown> {
  const first = pick(random, FIRST);
  const last = pick(random, LAST);
  const day = 1 + Math.floor(random() * 28);
  const month = 1 + Math.floor(random() * 12);
  return {
    customer_id: `C${String(index).padStart(7, '0')}`,
    full_name: `${first} ${last}`,
    email: `${first}.${last}${index}@example.com`.toLowerCase(),
    // 555-0100 to 555-0199 are reserved for fiction in the North American numbering plan.
    phone: random() < 0.1 ? null : `+1 415 555 01${digits(random, 2)}`,
    // 4000 0000 is a documented test prefix: these are not real card numbers, but they pass the Luhn check as
    // real ones would, so `sluice scan` sees what it would see in real data.
    card_number: withLuhnDigit(`4000 0000 ${digits(random, 4)} ${digits(random, 3)}`),
    country: pick(random, COUNTRIES),
    signup_date: `20${String(15 + Math.floor(random() * 11))}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
    lifetime_value: Math.round(random() * 500000) / 100,
  };
}

/** What support wrote about a customer: free text, one note in five holding an e-mail address or a phone number. */
const NOTES = ['asked about the delivery date', 'wants the invoice resent', 'reported a damaged parcel', 'changed the billing address', 'asked to close the account'];

/** A support note for customer `index`: personal data nobody declared, which the scan step finds. */
export function sampleNote(random: () => number, index: number): string {
  const text = pick(random, NOTES);
  const roll = random();
  if (roll < 0.1) return `${text}; reply to backup${index}@example.org`;
  if (roll < 0.2) return `${text}, call back on +1 415 555 ${String(1000 + (index % 9000))}`;
  return text;
}

/** `count` JSON Lines of sample customers with support notes; records 17 and 42 (when present) are broken on purpose. */
export function sampleCustomersJsonl(count: number, seed = 2026): string {
  const random = seeded(seed);
  // Notes draw from their own sequence, so the customers are the same with or without them.
  const notes = seeded(seed + 1);
  const lines: string[] = [];
  for (let i = 1; i <= count; i++) {
    const record = sampleCustomer(i, random);
    record.notes = sampleNote(notes, i);
    if (i === 17) record.lifetime_value = 'a lot';
    if (i === 42) delete record.email;
    lines.push(JSON.stringify(record));
  }
  return lines.join('\n') + '\n';
}
