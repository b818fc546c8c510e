// Measures the embedded runtime on the quickstart pipeline against a plain read-parse-write loop over the same
// file (the floor), in one process run, and reports the ratio and peak RSS. The benchmark harness issue folds
// this into `npm run bench`; until then: `npx tsx bench/runtime-throughput.ts [records]`.
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { writeCustomers } from '../test/support/generate-customers.ts';
import { builtinRegistry } from '../src/builtins.ts';
import { loadSpec } from '../src/spec/load-spec.ts';
import { planPipeline } from '../src/plan/plan.ts';
import { runPipeline } from '../src/runtime/executor.ts';
import { SqliteStateStore } from '../src/store/sqlite/sqlite-state-store.ts';
import { Keyring } from '../src/crypto/keyring/keyring.ts';
import { LocalKeyProvider } from '../src/crypto/providers/local-provider.ts';
import { randomBytes } from 'node:crypto';

const records = Number(process.argv[2] ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
const input = join(dir, 'data', 'customers.jsonl');

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);

async function floor(): Promise<number> {
  const started = performance.now();
  const out = createWriteStream(join(dir, 'floor.jsonl'));
  for await (const line of createInterface({ input: createReadStream(input), crlfDelay: Infinity })) {
    if (!out.write(JSON.stringify(JSON.parse(line)) + '\n')) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return performance.now() - started;
}

async function sluice(): Promise<number> {
  const template = readFileSync(join(import.meta.dirname, '..', 'examples', 'quickstart', 'pipeline.yaml'), 'utf8');
  writeFileSync(join(dir, 'pipeline.yaml'), template);
  const loaded = await loadSpec(join(dir, 'pipeline.yaml'), builtinRegistry());
  if (!loaded.result.spec) throw new Error(loaded.issues.map((i) => i.message).join('\n'));
  const store = new SqliteStateStore(join(dir, '.sluice', 'state.db'));
  const started = performance.now();
  const keyring = new Keyring(store, new LocalKeyProvider(randomBytes(32)));
  await keyring.ensure('default');
  await runPipeline({ plan: planPipeline(loaded.result.spec), store, stateDir: join(dir, '.sluice'), encryption: { keys: keyring, keyId: 'default' }, specHash: loaded.hash, fresh: true, logger: pino({ level: 'silent' }) });
  const elapsed = performance.now() - started;
  await store.close();
  return elapsed;
}

const { mkdirSync } = await import('node:fs');
mkdirSync(join(dir, 'data'), { recursive: true });
await writeCustomers(input, records);
const size = statSync(input).size;
const rate = (ms: number) => Math.round((records / ms) * 1000);
const floorMs = await floor();
const floorRss = peakRss;
peakRss = 0;
const sluiceMs = await sluice();
clearInterval(sampler);
const mb = (bytes: number) => (bytes / 1048576).toFixed(0);
console.log(`input: ${records.toLocaleString('en-US')} records, ${mb(size)} MiB`);
console.log(`floor  (readline + JSON.parse + JSON.stringify + write): ${rate(floorMs).toLocaleString('en-US')} records/s, peak RSS ${mb(floorRss)} MiB`);
console.log(`sluice (quickstart: contract, 2 masks, rename, 2 encrypted file sinks, checkpoints): ${rate(sluiceMs).toLocaleString('en-US')} records/s, peak RSS ${mb(peakRss)} MiB`);
console.log(`ratio sluice/floor: ${(floorMs / sluiceMs).toFixed(2)}`);
rmSync(dir, { recursive: true, force: true });
