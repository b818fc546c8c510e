// Harness for cluster-mode tests: a scratch PostgreSQL schema for the state store and a folder with settings that
// point the coordinator and the workers at it and at a nats-server of the test's own (support/nats-server.ts).
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { LOCAL_POSTGRES } from './postgres-scratch.ts';
import { spawnCli } from './cli-harness.ts';
import { stopProcess } from './child-processes.ts';
import type { Exit } from './cli-harness.ts';

export interface ClusterFolder {
  dir: string;
  schema: string;
  admin: pg.Pool;
  close(): Promise<void>;
}

/** A folder whose settings put state in a scratch schema and tasks on `natsPort`, with `extra` cluster settings. */
export async function clusterFolder(natsPort: number, extra: { taskBytes?: number; ackWait?: string; maxDeliver?: number } = {}): Promise<ClusterFolder> {
  const schema = `sluice_cl_${randomBytes(4).toString('hex')}`;
  const dir = await mkdtemp(join(tmpdir(), 'sluice-cluster-'));
  const lines = [
    'state:',
    '  store: postgresql',
    '  postgresql:',
    `    host: ${LOCAL_POSTGRES.host}`,
    `    port: ${LOCAL_POSTGRES.port}`,
    `    database: ${LOCAL_POSTGRES.database}`,
    `    user: ${LOCAL_POSTGRES.user}`,
    '    insecureNoTls: true',
    `    schema: ${schema}`,
    'cluster:',
    '  nats:',
    `    servers: [nats://127.0.0.1:${natsPort}]`,
    '    insecureLoopbackPlaintext: true',
    ...(extra.taskBytes !== undefined ? [`  taskBytes: ${extra.taskBytes}`] : []),
    ...(extra.ackWait !== undefined ? [`  ackWait: ${extra.ackWait}`] : []),
    ...(extra.maxDeliver !== undefined ? [`  maxDeliver: ${extra.maxDeliver}`] : []),
  ];
  await writeFile(join(dir, 'sluice.settings.yaml'), lines.join('\n') + '\n');
  const admin = new pg.Pool({ ...LOCAL_POSTGRES, max: 2, application_name: 'sluice-test-admin' });
  admin.on('error', () => undefined);
  return {
    dir,
    schema,
    admin,
    async close() {
      await admin.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
      await admin.end();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A `sluice worker` process in `dir`. */
export interface WorkerProcess {
  name: string;
  child: ChildProcess;
  done: Promise<Exit>;
  /** What it wrote to stderr so far. */
  stderr(): string;
}

export function startWorker(dir: string, name: string, ...args: string[]): WorkerProcess {
  return spawnWorker(dir, name, ['--log-level', 'warn', 'worker', '--name', name, ...args]);
}

/** A worker started with the command line exactly as given (global options such as --server before the verb). */
export function spawnWorker(dir: string, name: string, argv: readonly string[]): WorkerProcess {
  const { child, done } = spawnCli(dir, ...argv);
  let text = '';
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { name, child, done, stderr: () => text };
}

/** Resolves once the worker says it is ready (or rejects with what it wrote if it exits first). */
export async function workerReady(worker: WorkerProcess, ms = 30_000): Promise<void> {
  let text = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker ${worker.name} not ready after ${ms} ms: ${text}`)), ms);
    worker.child.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes(' ready (')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void worker.done.then((exit) => {
      clearTimeout(timer);
      reject(new Error(`worker ${worker.name} exited (${exit.code ?? exit.signal}) before it was ready: ${exit.stderr}`));
    });
  });
}

/** Stops the workers with `signal` (SIGKILL for any that has not exited 15 s later) and waits until all have. */
export async function stopWorkers(workers: readonly WorkerProcess[], signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  await Promise.all(workers.map(async (w) => {
    await stopProcess(w.child, signal);
    await w.done;
  }));
}
