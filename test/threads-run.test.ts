// Runs split over threads of one process (sluice run --threads N): every record reaches the sink exactly once,
// the summary is the tasks' sum, a stopped run resumes where its committed tasks end, a failed task fails the run
// and is retried by running again, and what cannot be split or threaded is refused with a clear message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { builtinRegistry } from '../src/builtins.ts';
import { loadPlan } from '../src/cli/load-plan.ts';
import { SqliteStateStore } from '../src/store/sqlite/sqlite-state-store.ts';
import { Keyring } from '../src/crypto/keyring/keyring.ts';
import { createLocalRootKey, loadLocalRootKey, LocalKeyProvider } from '../src/crypto/providers/local-provider.ts';
import { runInThreads } from '../src/runtime/threads/run-in-threads.ts';
import type { ThreadedRunRequest } from '../src/runtime/threads/run-in-threads.ts';
import { isSluiceError } from '../src/errors.ts';
import { writeCustomers } from './support/generate-customers.ts';
import { assertNoStack, customersSpec, runCli, spawnCli } from './support/cli-harness.ts';
import { scratchSchema } from './support/postgres-scratch.ts';
import { serviceMissing } from './support/services.ts';

const noPostgres = await serviceMissing('postgresql');

const silent = pino({ level: 'silent' });

interface Folder {
  dir: string;
  request: (extra?: Partial<ThreadedRunRequest>) => Promise<ThreadedRunRequest>;
  store: SqliteStateStore;
  keys: Keyring;
  close(): Promise<void>;
}

/** A folder with `records` customers, the customers spec and a keyring (its root key in .sluice, as `sluice cat` reads it). */
async function folder(pipeline: string, records: number): Promise<Folder> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-threads-'));
  await writeFile(join(dir, 'pipeline.yaml'), customersSpec(pipeline, 500));
  await writeCustomers(join(dir, 'customers.jsonl'), records);
  await mkdir(join(dir, '.sluice'), { recursive: true });
  await createLocalRootKey(join(dir, '.sluice', 'master.key'));
  const store = new SqliteStateStore(join(dir, '.sluice', 'state.db'));
  const keys = new Keyring(store, new LocalKeyProvider(await loadLocalRootKey(join(dir, '.sluice', 'master.key'))));
  await keys.ensure('default');
  return {
    dir,
    store,
    keys,
    async request(extra = {}) {
      const specPath = join(dir, 'pipeline.yaml');
      const { loaded, plan } = await loadPlan(specPath, builtinRegistry(), dir);
      return { plan, specPath, specHash: loaded.hash, cwd: dir, store, stateDir: join(dir, '.sluice'), encryption: { keys, keyId: 'default' }, threads: 2, taskBytes: 64 * 1024, logger: silent, ...extra };
    },
    async close() {
      keys.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Fails unless the sink `pipeline` in `dir` holds `count` records, each once (by `field`), as `sluice cat` reads them. */
async function assertEachOnce(dir: string, pipeline: string, count: number, field = 'customer_id'): Promise<void> {
  const cat = await runCli(dir, 'cat', join(dir, 'out', pipeline));
  assert.equal(cat.code, 0, cat.stderr);
  const ids = cat.stdout.split('\n').filter((line) => line !== '').map((line) => (JSON.parse(line) as Record<string, unknown>)[field]);
  assert.equal(ids.length, count, 'no record was lost or written twice');
  assert.equal(new Set(ids).size, count, 'each record once');
}

test('two threads: the tasks spread over both, every record is in the sink once, and the summary is their sum', { timeout: 120_000 }, async () => {
  const f = await folder('spread', 6_000);
  try {
    const result = await runInThreads(await f.request());
    assert.equal(result.run.status, 'succeeded');
    assert.equal(result.detached, false);
    assert.equal(result.run.totals.recordsIn, 6_000);
    assert.equal(result.run.totals.recordsOut.file, 6_000);
    assert.ok(result.tasks.length >= 10, `split into ${result.tasks.length} tasks`);
    assert.ok(result.tasks.every((task) => task.status === 'committed'));
    assert.equal(new Set(result.tasks.map((task) => task.worker?.replace(/.*\//, ''))).size, 2, 'both threads committed tasks');
    await assertEachOnce(f.dir, 'spread', 6_000);
  } finally {
    await f.close();
  }
});

test('stopped after its first tasks (the signal), the run keeps what it committed; running again finishes it with every record once', { timeout: 120_000 }, async () => {
  const f = await folder('resume', 8_000);
  try {
    const stop = new AbortController();
    // Aborted as soon as a task is committed: the threads stop after their batch in flight.
    const watch = setInterval(() => {
      void f.store.listRuns({ pipeline: 'resume', limit: 1 }).then(async ([run]) => {
        if (run && (await f.store.taskProgress(run.id)).committed > 0) stop.abort();
      });
    }, 5);
    let first;
    try {
      first = await runInThreads(await f.request({ signal: stop.signal }));
    } finally {
      clearInterval(watch);
    }
    assert.equal(first.detached, true);
    const pending = first.tasks.filter((task) => task.status === 'pending').length;
    assert.ok(pending > 0, 'tasks were left for the next run');
    assert.ok(first.tasks.some((task) => task.status === 'committed'));

    const second = await runInThreads(await f.request());
    assert.equal(second.run.id, first.run.id, 'the same run was resumed');
    assert.equal(second.run.status, 'succeeded');
    assert.equal(second.run.totals.recordsIn, 8_000);
    await assertEachOnce(f.dir, 'resume', 8_000);
  } finally {
    await f.close();
  }
});

test('a stop asked for while the threads start runs no task: the run is left with every task pending, and running again does them all', { timeout: 120_000 }, async () => {
  const f = await folder('early', 3_000);
  try {
    const stop = new AbortController();
    stop.abort();
    const stopped = await runInThreads(await f.request({ signal: stop.signal }));
    assert.equal(stopped.detached, true);
    assert.ok(stopped.tasks.length > 1);
    assert.ok(stopped.tasks.every((task) => task.status === 'pending' && task.attempts === 0), 'no task was started');
    const finished = await runInThreads(await f.request());
    assert.equal(finished.run.id, stopped.run.id);
    assert.equal(finished.run.status, 'succeeded');
    await assertEachOnce(f.dir, 'early', 3_000);
  } finally {
    await f.close();
  }
});

test('a task that fails fails the run with its error; once the cause is fixed, running again retries it and the run succeeds', { timeout: 120_000 }, async () => {
  const f = await folder('retry', 3_000);
  try {
    // The sink cannot make its folder: a file stands where it goes.
    await mkdir(join(f.dir, 'out'), { recursive: true });
    await writeFile(join(f.dir, 'out', 'retry'), 'in the way');
    const failed = await runInThreads(await f.request());
    assert.equal(failed.run.status, 'failed');
    assert.ok(failed.tasks.some((task) => task.status === 'dead'));
    assert.match(failed.run.error ?? '', /tasks failed \(first: t\d+: SLUICE_\w+/);

    await rm(join(f.dir, 'out', 'retry'));
    const retried = await runInThreads(await f.request());
    assert.equal(retried.run.id, failed.run.id, 'the failed run was resumed');
    assert.equal(retried.run.status, 'succeeded');
    await assertEachOnce(f.dir, 'retry', 3_000);
  } finally {
    await f.close();
  }
});

test('a spec changed after the run started is refused by the threads (they plan it again and check its hash)', { timeout: 60_000 }, async () => {
  const f = await folder('changed', 100);
  try {
    const request = await f.request();
    await writeFile(join(f.dir, 'pipeline.yaml'), customersSpec('changed', 400));
    await assert.rejects(runInThreads(request), (error: unknown) => isSluiceError(error, 'SLUICE_RESUME_MISMATCH') && /changed after the run started/.test(error.message));
  } finally {
    await f.close();
  }
});

test('a source that cannot be split is refused before any thread starts, naming the source', async () => {
  const f = await folder('unsplittable', 10);
  try {
    await writeFile(
      join(f.dir, 'pipeline.yaml'),
      customersSpec('unsplittable', 100).replace('file: { path: customers.jsonl }', 'http: { url: "https://crm.example/v1/customers", records: data }'),
    );
    await assert.rejects(runInThreads(await f.request()), (error: unknown) => isSluiceError(error, 'SLUICE_USAGE') && /http source .* cannot be split/.test(error.message));
  } finally {
    await f.close();
  }
});

test('sluice run --threads 2: the summary names the threads; bad --threads values and --threads with --follow or --cluster are usage errors', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-threads-cli-'));
  try {
    await writeFile(join(dir, 'pipeline.yaml'), customersSpec('cli', 500));
    // Over 8 MiB, so that the default task size gives two tasks.
    await writeCustomers(join(dir, 'customers.jsonl'), 40_000);
    const ran = await runCli(dir, 'run', '--threads', '2', '--progress', 'none', 'pipeline.yaml');
    assert.equal(ran.code, 0, ran.stdout + ran.stderr);
    assert.match(ran.stdout, /records in\s+40,000/);
    assert.match(ran.stdout, /tasks\s+\d+ on 2 thread\(s\)/);
    await assertEachOnce(dir, 'cli', 40_000);

    for (const args of [['--threads', '0'], ['--threads', 'two'], ['--threads', '65'], ['--threads', '2', '--follow'], ['--threads', '2', '--cluster']]) {
      const refused = await runCli(dir, 'run', ...args, 'pipeline.yaml');
      assert.equal(refused.code, 2, `${args.join(' ')}: ${refused.stderr}`);
      assert.match(refused.stderr, /SLUICE_USAGE/);
      assertNoStack(refused.stderr);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('sluice run --threads 2 stopped by SIGINT exits 130 keeping its committed tasks; the same command finishes the run, every record once', { timeout: 180_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-threads-sigint-'));
  try {
    await writeFile(join(dir, 'pipeline.yaml'), customersSpec('sigint', 500));
    await writeCustomers(join(dir, 'customers.jsonl'), 60_000);
    const { child, done } = spawnCli(dir, '--log-level', 'info', 'run', '--threads', '2', '--progress', 'none', 'pipeline.yaml');
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('"task committed"')) resolve();
      });
      child.on('exit', () => reject(new Error(`the run ended before a task committed: ${stderr}`)));
    });
    child.kill('SIGINT');
    const stopped = await done;
    assert.equal(stopped.code, 130, stopped.stdout + stopped.stderr);
    assert.match(stopped.stdout, /stopped with \d+ of \d+ tasks left \(committed tasks are kept\); run the same command again/);
    assertNoStack(stopped.stderr);

    const finished = await runCli(dir, 'run', '--threads', '2', '--progress', 'none', 'pipeline.yaml');
    assert.equal(finished.code, 0, finished.stdout + finished.stderr);
    assert.match(finished.stdout, /records in\s+60,000/, 'the summary counts the whole run, both attempts');
    await assertEachOnce(dir, 'sigint', 60_000);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a PostgreSQL table splits into key ranges over the threads; each row lands once, and the next run reads only the rows added since', { skip: noPostgres, timeout: 180_000 }, async () => {
  const scratch = await scratchSchema('sluice_thr');
  const dir = await mkdtemp(join(tmpdir(), 'sluice-threads-pg-'));
  try {
    await scratch.query(`CREATE TABLE ${scratch.table('customers')} (id int PRIMARY KEY, email text NOT NULL, name text NOT NULL)`);
    const add = (from: number, to: number) => scratch.query(`INSERT INTO ${scratch.table('customers')} SELECT g, 'user' || g || '@example.com', 'Name ' || g FROM generate_series(${from}, ${to}) g`);
    await add(1, 20_000);
    const { host, port, database, user } = scratch.connection;
    await writeFile(
      join(dir, 'pipeline.yaml'),
      `pipeline: pgthreads
source:
  postgresql: { host: ${host}, port: ${port}, database: ${database}, user: ${user}, insecureNoTls: true, table: ${scratch.table('customers')}, cursor: id }
contract:
  fields:
    id:    { type: number, class: internal }
    email: { type: string, class: restricted }
    name:  { type: string, class: confidential }
steps:
  - mask: { fields: [email], keepLast: 4 }
sinks:
  - file: { dir: out, clearance: confidential }
runtime:
  batchSize: 500
`,
    );
    // Key ranges of about 1,000 rows, the smallest a split makes: the default task size would give one task.
    const { loaded, plan } = await loadPlan(join(dir, 'pipeline.yaml'), builtinRegistry(), dir);
    await mkdir(join(dir, '.sluice'), { recursive: true });
    await createLocalRootKey(join(dir, '.sluice', 'master.key'));
    const store = new SqliteStateStore(join(dir, '.sluice', 'state.db'));
    const keys = new Keyring(store, new LocalKeyProvider(await loadLocalRootKey(join(dir, '.sluice', 'master.key'))));
    try {
      await keys.ensure('default');
      const request = { plan, specPath: join(dir, 'pipeline.yaml'), specHash: loaded.hash, cwd: dir, store, stateDir: join(dir, '.sluice'), encryption: { keys, keyId: 'default' }, threads: 2, taskBytes: 16 * 1024, logger: silent };
      const first = await runInThreads(request);
      assert.equal(first.run.status, 'succeeded', first.run.error);
      assert.equal(first.run.totals.recordsIn, 20_000);
      assert.ok(first.tasks.length >= 5, `split into ${first.tasks.length} key ranges`);
      assert.equal(new Set(first.tasks.map((task) => task.worker?.replace(/.*\//, ''))).size, 2, 'both threads committed tasks');

      await add(20_001, 21_000);
      const second = await runInThreads(request);
      assert.equal(second.run.status, 'succeeded', second.run.error);
      assert.equal(second.run.totals.recordsIn, 1_000, 'only the rows added since the last run');
    } finally {
      keys.close();
      await store.close();
    }
    await assertEachOnce(dir, 'pgthreads', 21_000, 'id');
  } finally {
    await scratch.close();
    await rm(dir, { recursive: true, force: true });
  }
});
