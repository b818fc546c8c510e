// Fake customer records for the quickstart: seeded, so every machine gets the same file. A few records are
// broken on purpose, to show the quarantine.

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Margaret', 'Niklaus', 'Radia', 'Tim'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Hamilton', 'Wirth', 'Perlman', 'Berners-Lee'];
const COUNTRIES = ['DE', 'FR', 'GB', 'US', 'NL', 'SE', 'ES', 'IT'];

/** mulberry32: a small seeded generator; not for anything secret, only for repeatable sample data. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

function digits(random: () => number, count: number): string {
  let out = '';
  for (let i = 0; i < count; i++) out += String(Math.floor(random() * 10));
  return out;
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
    phone: random() < 0.1 ? null : `+1 555 01${digits(random, 2)} ${digits(random, 4)}`,
    // 4000 0000 is a documented test prefix: these are not real card numbers.
    card_number: `4000 0000 ${digits(random, 4)} ${digits(random, 4)}`,
    country: pick(random, COUNTRIES),
    signup_date: `20${String(15 + Math.floor(random() * 11))}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
    lifetime_value: Math.round(random() * 500000) / 100,
  };
}

/** `count` JSON Lines of sample customers; records 17 and 42 (when present) are broken on purpose. */
export function sampleCustomersJsonl(count: number, seed = 2026): string {
  const random = seeded(seed);
  const lines: string[] = [];
  for (let i = 1; i <= count; i++) {
    const record = sampleCustomer(i, random);
    if (i === 17) record.lifetime_value = 'a lot';
    if (i === 42) delete record.email;
    lines.push(JSON.stringify(record));
  }
  return lines.join('\n') + '\n';
}
