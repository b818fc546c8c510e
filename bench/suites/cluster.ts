// Cluster mode: the end-to-end benchmark pipeline (contract, scan, tokenize, mask, encrypted file sink) run by one
// and by two `sluice worker` processes through the JetStream work queue and the PostgreSQL state store, against the
// same pipeline embedded (SQLite, one process), in the same run. The coordinator runs in this process; the
// workers are started and warmed up by an untimed run before each timed run, as in a cluster they are long-lived;
// the embedded run is warmed up the same way, so that both sides are measured with compiled code.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import pg from 'pg';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { writeCustomers } from '../../test/support/generate-customers.ts';
import { builtinRegistry } from '../../src/builtins.ts';
import { loadSpec } from '../../src/spec/load-spec.ts';
import { planPipeline } from '../../src/plan/plan.ts';
import { runPipeline } from '../../src/runtime/executor.ts';
import { SqliteStateStore } from '../../src/store/sqlite/sqlite-state-store.ts';
import { PostgresStateStore } from '../../src/store/postgres/postgres-state-store.ts';
import { Keyring } from '../../src/crypto/keyring/keyring.ts';
import { LocalKeyProvider } from '../../src/crypto/providers/local-provider.ts';
import { WorkQueue } from '../../src/cluster/work-queue.ts';
import { runOnCluster } from '../../src/cluster/coordinator.ts';
import type { ClusterSettings } from '../../src/cluster/cluster-settings.ts';
import type { BenchRow, BenchSuite } from '../harness.ts';
import { endToEndSpec } from '../customer-fields.ts';


const BIN = join(import.meta.dirname, '..', '..', 'bin', 'sluice.js');
const PG = { host: '127.0.0.1', port: 5432, database: process.env.SLUICE_TEST_PGDATABASE ?? 'test', user: process.env.SLUICE_TEST_PGUSER ?? 'postgres' };

function startWorkers(dir: string, count: number, masterKey: string): ChildProcess[] {
  return Array.from({ length: count }, (_, i) =>
    spawn(process.execPath, [BIN, '--log-level', 'warn', 'worker', '--name', `bench-${i + 1}`], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SLUICE_MASTER_KEY: masterKey } }),
  );
}

async function stopWorkers(workers: ChildProcess[]): Promise<void> {
  await Promise.all(
    workers.map(
      (worker) =>
        new Promise<void>((resolve) => {
          if (worker.exitCode !== null) return resolve();
          worker.once('exit', () => resolve());
          worker.kill('SIGTERM');
        }),
    ),
  );
}

async function ready(worker: ChildProcess): Promise<void> {
  let text = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`a bench worker was not ready after 60 s: ${text}`)), 60_000);
    worker.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes(' ready (')) {
        clearTimeout(timer);
        resolve();
      }
    });
    worker.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`a bench worker exited: ${text}`));
    });
  });
}

/** Per-task costs of the coordination path, measured serially: the store's and the queue's share of a task. */
async function coordinationCosts(store: PostgresStateStore, queue: WorkQueue, tasks: number): Promise<{ tasks: number; storeTasksPerSecond: number; queueTasksPerSecond: number; listMs: number }> {
  const runId = `probe-${randomBytes(4).toString('hex')}`;
  await store.createRun({ id: runId, pipeline: `probe-${runId}`, specHash: 'probe', startedAt: new Date().toISOString(), pid: process.pid });
  const ids = Array.from({ length: tasks }, (_, i) => `t${String(i + 1).padStart(6, '0')}`);
  await store.createTasks(runId, ids.map((id) => ({ id, from: { offset: 0, line: 0 }, until: { offset: 1 } })));
  const leaseUntil = new Date(Date.now() + 60_000).toISOString();
  let started = performance.now();
  for (const id of ids) {
    await store.getRun(runId);
    const lease = await store.leaseTask(runId, id, 'probe', leaseUntil, new Date().toISOString());
    const objects = [1, 2].map((n) => ({ location: `file:/probe/${runId}/part-${id}-${n}`, runId, keyId: 'default', keyVersion: 1 }));
    await store.commitTask({ runId, taskId: id, worker: 'probe', attempt: lease?.task.attempts ?? 1, totals: { recordsIn: 1, recordsOut: { file: 1 }, quarantined: 0, protectedFields: {}, piiFound: {}, unknownFieldsDropped: 0, batches: 1, activeMs: 1 }, committedAt: new Date().toISOString(), objects });
  }
  const storeTasksPerSecond = tasks / ((performance.now() - started) / 1000);
  started = performance.now();
  for (let i = 0; i < 5; i++) await store.listTasks(runId);
  const listMs = (performance.now() - started) / 5;
  await store.finishRun(runId, { status: 'succeeded', finishedAt: new Date().toISOString(), totals: { recordsIn: 0, recordsOut: {}, quarantined: 0, protectedFields: {}, piiFound: {}, unknownFieldsDropped: 0, batches: 0, activeMs: 0 } });
  await store.forgetObjects({ runId });

  const consumer = await queue.consumer();
  started = performance.now();
  for (const id of ids) {
    await queue.publish({ runId, taskId: id }, 'probe');
    const message = await consumer.next({ expires: 5000 });
    if (!message) throw new Error('the probe task did not come back from the queue');
    message.working();
    await message.ackAck();
  }
  const queueTasksPerSecond = tasks / ((performance.now() - started) / 1000);
  return { tasks, storeTasksPerSecond, queueTasksPerSecond, listMs };
}

export const clusterSuite: BenchSuite = {
  name: 'cluster',
  description: 'The end-to-end pipeline on 1 and 2 workers (JetStream work queue, PostgreSQL state) against embedded mode',
  async run({ quick }) {
    // The quick run is CI's smoke: it shows the suite runs, not a figure to keep.
    const records = quick ? 30_000 : 1_000_000;
    const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-cluster-'));
    const schema = `sluice_bench_${randomBytes(4).toString('hex')}`;
    const stream = `BENCH_${randomBytes(3).toString('hex').toUpperCase()}`;
    const rootKey = randomBytes(32);
    const admin = new pg.Pool({ ...PG, max: 1 });
    const natsConnection = await connect({ servers: '127.0.0.1:4222' });
    const workers: ChildProcess[] = [];
    try {
      mkdirSync(join(dir, 'data'));
      const input = join(dir, 'data', 'customers.jsonl');
      await writeCustomers(input, records, 7, { notes: true });
      // 8 tasks per worker at two workers (16 in the short quick run, whose tail would weigh more): enough to even
      // out, few enough that per-task costs stay small.
      const taskCount = quick ? 32 : 16;
      const taskBytes = Math.max(64 * 1024, Math.floor(statSync(input).size / taskCount));
      writeFileSync(join(dir, 'pipeline.yaml'), endToEndSpec('bench-cluster'));
      const cluster = `cluster:\n  nats: { servers: [nats://127.0.0.1:4222], insecureLoopbackPlaintext: true }\n  stream: ${stream}\n  taskBytes: ${taskBytes}\n`;
      const state = `state:\n  store: postgresql\n  postgresql: { host: ${PG.host}, port: ${PG.port}, database: ${PG.database}, user: ${PG.user}, insecureNoTls: true, schema: ${schema} }\n`;
      writeFileSync(join(dir, 'sluice.settings.yaml'), state + cluster);
      const loaded = await loadSpec(join(dir, 'pipeline.yaml'), builtinRegistry());
      if (!loaded.result.spec) throw new Error(loaded.issues.map((i) => i.message).join('\n'));
      const plan = planPipeline(loaded.result.spec);
      const logger = pino({ level: 'silent' });

      // Embedded: one process, SQLite.
      const embeddedMs = await (async () => {
        const store = new SqliteStateStore(join(dir, '.sluice', 'state.db'));
        const keyring = new Keyring(store, new LocalKeyProvider(rootKey));
        await keyring.ensure('default');
        const run = () => runPipeline({ plan, store, stateDir: join(dir, '.sluice'), encryption: { keys: keyring, keyId: 'default' }, specHash: loaded.hash, fresh: true, logger });
        await run();
        const started = performance.now();
        await run();
        const elapsed = performance.now() - started;
        keyring.close();
        await store.close();
        return elapsed;
      })();

      // Cluster: the coordinator here, the workers as processes.
      const store = await PostgresStateStore.open({ connectionString: `postgresql://${PG.user}@${PG.host}:${PG.port}/${PG.database}`, schema });
      const keyring = new Keyring(store, new LocalKeyProvider(rootKey));
      await keyring.ensure('default');
      const settings: ClusterSettings = { nats: { servers: ['nats://127.0.0.1:4222'], insecureLoopbackPlaintext: true }, stream, ackWait: '30s', maxDeliver: 5, taskBytes };
      const queue = await WorkQueue.open(natsConnection, settings);
      const clusterRun = async (): Promise<number> => {
        const started = performance.now();
        const result = await runOnCluster({ plan, specPath: join(dir, 'pipeline.yaml'), specHash: loaded.hash, store, queue, encryption: { keys: keyring, keyId: 'default' }, taskBytes, ackWaitMs: 30_000, fresh: true, logger });
        if (result.run.status !== 'succeeded' || result.run.totals.recordsIn !== records) throw new Error(`cluster run ${result.run.status}: ${result.run.error ?? ''}`);
        return performance.now() - started;
      };
      const masterKey = rootKey.toString('hex');
      const timed: Record<1 | 2, number> = { 1: 0, 2: 0 };
      for (const count of [1, 2] as const) {
        const started = startWorkers(dir, count, masterKey);
        workers.push(...started);
        await Promise.all(started.map(ready));
        await clusterRun();
        timed[count] = await clusterRun();
        await stopWorkers(started);
      }
      const probe = await coordinationCosts(store, queue, quick ? 500 : 2000);
      // The coordinator reads a JSON Lines input once to split it (newlines counted for the line numbers).
      const source = plan.spec.source.component.create(plan.spec.source.options, { baseDir: plan.spec.baseDir, pipeline: plan.spec.pipeline });
      const splitStarted = performance.now();
      await source.split?.(taskBytes);
      const splitMBps = statSync(input).size / 1e6 / ((performance.now() - splitStarted) / 1000);
      keyring.close();
      await store.close();

      const rate = (ms: number) => records / (ms / 1000);
      const embedded = rate(embeddedMs);
      const one = rate(timed[1]);
      const two = rate(timed[2]);
      const rows: BenchRow[] = [
        { suite: 'cluster', name: `${records.toLocaleString('en-US')} records: 1 worker vs embedded`, value: one, unit: 'records/s', baseline: { name: 'embedded (SQLite, one process)', value: embedded }, ratio: one / embedded, target: { text: '≥ 0.90× (overhead ≤ 10%)', met: one / embedded >= 0.9 } },
        { suite: 'cluster', name: '2 workers vs 1 worker', value: two, unit: 'records/s', baseline: { name: '1 worker', value: one }, ratio: two / one, target: { text: '≥ 1.6×', met: two / one >= 1.6 } },
        // What one task costs the shared services, serially on one connection: the ceilings docs/cluster.md scales from.
        { suite: 'cluster', name: `state store per task: lease + commit + run check (${probe.tasks} tasks, serial)`, value: probe.storeTasksPerSecond, unit: 'tasks/s' },
        { suite: 'cluster', name: `work queue per task: publish, pull, in-progress, ack (${probe.tasks} tasks, serial)`, value: probe.queueTasksPerSecond, unit: 'tasks/s' },
        { suite: 'cluster', name: `coordinator: list ${probe.tasks} tasks (the run's summary at its end)`, value: probe.listMs, unit: 'ms' },
        { suite: 'cluster', name: 'coordinator: split the input into tasks', value: splitMBps, unit: 'MB/s' },
        { suite: 'cluster', name: 'records per task at this taskBytes', value: Math.round(records / taskCount), unit: 'records' },
      ];
      return rows;
    } finally {
      await stopWorkers(workers);
      const jsm = await jetstreamManager(natsConnection).catch(() => undefined);
      for (const name of [stream, `${stream}_DEAD`]) await jsm?.streams.delete(name).catch(() => undefined);
      await natsConnection.close();
      await admin.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`).catch(() => undefined);
      await admin.end();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
