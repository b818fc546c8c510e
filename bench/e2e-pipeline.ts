// The end-to-end benchmark's pipeline, set up in a folder of its own: generated customers, the spec, a state store
// and a keyring. Shared by the end-to-end and cluster suites.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { writeCustomers } from '../test/support/generate-customers.ts';
import { builtinRegistry } from '../src/builtins.ts';
import { loadSpec } from '../src/spec/load-spec.ts';
import { planPipeline } from '../src/plan/plan.ts';
import { runPipeline } from '../src/runtime/executor.ts';
import { runInThreads } from '../src/runtime/threads/run-in-threads.ts';
import { SqliteStateStore } from '../src/store/sqlite/sqlite-state-store.ts';
import { Keyring } from '../src/crypto/keyring/keyring.ts';
import { LocalKeyProvider } from '../src/crypto/providers/local-provider.ts';
import { endToEndSpec } from './customer-fields.ts';

export interface E2ePipeline {
  /** The generated input (JSON Lines). */
  input: string;
  /** One run over the whole input, from the start; resolves to the run's wall time in ms. */
  run(): Promise<number>;
  /** The same run split over `threads` threads (`sluice run --threads`); resolves to its wall time in ms. */
  runThreads(threads: number): Promise<number>;
  /** Closes the store and the keyring. */
  close(): Promise<void>;
}

/** Generates `records` customers (with notes) from `seed` into `dir`/data and readies the pipeline over them. */
export async function prepareE2ePipeline(dir: string, records: number, seed: number): Promise<E2ePipeline> {
  mkdirSync(join(dir, 'data'), { recursive: true });
  const input = join(dir, 'data', 'customers.jsonl');
  await writeCustomers(input, records, seed, { notes: true });
  writeFileSync(join(dir, 'pipeline.yaml'), endToEndSpec('bench'));
  const loaded = await loadSpec(join(dir, 'pipeline.yaml'), builtinRegistry());
  if (!loaded.result.spec) throw new Error(loaded.issues.map((i) => i.message).join('\n'));
  const spec = loaded.result.spec;
  const store = new SqliteStateStore(join(dir, '.sluice', 'state.db'));
  const keyring = new Keyring(store, new LocalKeyProvider(randomBytes(32)));
  try {
    await keyring.ensure('default');
  } catch (error) {
    keyring.close();
    await store.close();
    throw error;
  }
  const common = { store, stateDir: join(dir, '.sluice'), encryption: { keys: keyring, keyId: 'default' }, specHash: loaded.hash, fresh: true, logger: pino({ level: 'silent' }) };
  /** Times one run; each writes its own objects (about 1.3 times the input), which the next does not need. */
  const timed = async (work: () => Promise<unknown>): Promise<number> => {
    const started = performance.now();
    await work();
    const elapsed = performance.now() - started;
    rmSync(join(dir, 'out'), { recursive: true, force: true });
    return elapsed;
  };
  return {
    input,
    run: () => {
      const plan = planPipeline(spec);
      return timed(() => runPipeline({ plan, ...common }));
    },
    runThreads: (threads) => {
      const plan = planPipeline(spec);
      return timed(() => runInThreads({ plan, ...common, specPath: join(dir, 'pipeline.yaml'), cwd: dir, threads }));
    },
    async close() {
      keyring.close();
      await store.close();
    },
  };
}
