// Protective steps' cost: a 10-field data set through the same pipeline with and without three protective
// steps (mask, redact, generalize), both into the encrypted file sink. The privacy issue allows at most +30%.
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { sampleCustomer } from '../../src/cli/sample-customers.ts';
import { seeded } from '../../src/seeded-random.ts';
import { builtinRegistry } from '../../src/builtins.ts';
import { loadSpec } from '../../src/spec/load-spec.ts';
import { planPipeline } from '../../src/plan/plan.ts';
import { runPipeline } from '../../src/runtime/executor.ts';
import { SqliteStateStore } from '../../src/store/sqlite/sqlite-state-store.ts';
import { Keyring } from '../../src/crypto/keyring/keyring.ts';
import { LocalKeyProvider } from '../../src/crypto/providers/local-provider.ts';
import type { BenchRow, BenchSuite } from '../harness.ts';
import { CUSTOMER_FIELDS } from '../customer-fields.ts';

const CONTRACT = `contract:
  fields:
${CUSTOMER_FIELDS}    birth_date:     { type: date, class: confidential, pii: date_of_birth }
    postcode:       { type: string, class: confidential, pii: postal_address }
`;

function spec(name: string, steps: string): string {
  return `pipeline: ${name}\nsource:\n  file: { path: data/people.jsonl }\n${CONTRACT}${steps}sinks:\n  - file: { dir: out-${name}, clearance: restricted }\n`;
}

const STEPS = `steps:
  - mask: { fields: [card_number], keepLast: 4, keepShape: true }
  - redact: { fields: [phone] }
  - generalize: { fields: [birth_date], date: year }
`;

async function writePeople(path: string, count: number): Promise<void> {
  const random = seeded(3);
  const out = createWriteStream(path);
  let chunk = '';
  for (let i = 1; i <= count; i++) {
    const record = sampleCustomer(i, random);
    record.birth_date = `19${50 + Math.floor(random() * 50)}-0${1 + Math.floor(random() * 9)}-1${Math.floor(random() * 9)}`;
    record.postcode = `${10000 + Math.floor(random() * 89999)}`;
    chunk += JSON.stringify(record) + '\n';
    if (chunk.length > 1 << 20 || i === count) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end();
  await once(out, 'finish');
}

/** One root key for the whole suite: each pipeline's state folder is reused across rounds. */
const ROOT_KEY = randomBytes(32);

async function runSpec(dir: string, file: string): Promise<number> {
  const loaded = await loadSpec(join(dir, file), builtinRegistry());
  if (!loaded.result.spec) throw new Error(loaded.issues.map((i) => i.message).join('\n'));
  const store = new SqliteStateStore(join(dir, `.sluice-${file}`, 'state.db'));
  const keyring = new Keyring(store, new LocalKeyProvider(Buffer.from(ROOT_KEY)));
  await keyring.ensure('default');
  const started = performance.now();
  await runPipeline({ plan: planPipeline(loaded.result.spec), store, stateDir: join(dir, `.sluice-${file}`), encryption: { keys: keyring, keyId: 'default' }, specHash: loaded.hash, fresh: true, logger: pino({ level: 'silent' }) });
  const elapsed = performance.now() - started;
  keyring.close();
  await store.close();
  return elapsed;
}

export const protectiveStepsSuite: BenchSuite = {
  name: 'protective-steps',
  description: 'A 10-field data set through one pipeline with and without mask, redact and generalize',
  async run({ quick }) {
    const records = quick ? 100_000 : 1_000_000;
    const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-steps-'));
    try {
      mkdirSync(join(dir, 'data'));
      await writePeople(join(dir, 'data', 'people.jsonl'), records);
      writeFileSync(join(dir, 'plain.yaml'), spec('plain', ''));
      writeFileSync(join(dir, 'protected.yaml'), spec('protected', STEPS));
      // Alternate the two so that drift in the machine's load hits both alike; keep the median of each.
      const plain: number[] = [];
      const steps: number[] = [];
      for (let i = 0; i < (quick ? 1 : 3); i++) {
        plain.push(await runSpec(dir, 'plain.yaml'));
        steps.push(await runSpec(dir, 'protected.yaml'));
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
      const rate = (ms: number) => records / (ms / 1000);
      const withSteps = rate(median(steps));
      const without = rate(median(plain));
      const rows: BenchRow[] = [
        {
          suite: 'protective-steps',
          name: `${records.toLocaleString('en-US')} records × 10 fields: with mask, redact, generalize vs without`,
          value: withSteps,
          unit: 'records/s',
          baseline: { name: 'same pipeline, no steps', value: without },
          ratio: withSteps / without,
          target: { text: '≥ 0.77× (time ≤ +30%)', met: without / withSteps <= 1.3 },
        },
      ];
      return rows;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
