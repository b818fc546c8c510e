// `sluice worker`: processes cluster tasks until SIGTERM; `sluice workers`: the workers and their last heartbeats.
import { hostname } from 'node:os';
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { println } from '../context.ts';
import { SluiceError } from '../../errors.ts';
import { closeRuntime, openKeyring, openRuntime, openSecretResolver } from '../runtime-setup.ts';
import { clusterSettingsOf, openWorkQueue } from '../cluster-setup.ts';
import { loadPlan } from '../load-plan.ts';
import { EXIT } from '../exit-codes.ts';
import type { ApiClient } from '../api-client.ts';
import { ackWaitMs } from '../../cluster/cluster-settings.ts';
import type { WorkerRecord } from '../../store/state-store.ts';

/** A worker whose heartbeat is older than this many intervals is shown as gone. */
const GONE_AFTER_BEATS = 3;

function whole(text: string, option: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new SluiceError('SLUICE_USAGE', `${option} takes a whole number from ${min} to ${max}, not '${text}'`);
  return value;
}

export function registerWorker(program: Command, context: CliContext, setExit: (code: number) => void): void {
  program
    .command('worker')
    .description('Process cluster run tasks from the work queue until SIGTERM (then finish or give back the tasks in flight)')
    .option('--concurrency <n>', 'tasks processed at once', '1')
    .option('--name <name>', 'the name the worker is listed and recorded under (default host:pid)')
    .option('--health-port <port>', 'serve /livez, /readyz and /metrics over HTTP on this port (0: any free port)')
    .option('--health-host <host>', 'the address the health endpoints bind to', '127.0.0.1')
    .action(async (options: { concurrency: string; name?: string; healthPort?: string; healthHost: string }) => {
      const concurrency = whole(options.concurrency, '--concurrency', 1, 64);
      const healthPort = options.healthPort === undefined ? undefined : whole(options.healthPort, '--health-port', 0, 65535);
      // A worker never migrates the store: its database role may hold only what workers need (docs/cluster.md).
      const runtime = await openRuntime(context, { migrate: false });
      const { Worker, HEARTBEAT_MS } = await import('../../cluster/worker.ts');
      let cleanup: (() => Promise<void>)[] = [];
      try {
        const settings = clusterSettingsOf(runtime);
        const keyring = await openKeyring(runtime, context, { createRootKey: false });
        cleanup.push(async () => keyring.close());
        const secrets = await openSecretResolver(runtime, context, keyring);
        cleanup.push(() => secrets.close());
        const coordinator = await coordinatorIdentity(context, options.name);
        if (coordinator) cleanup.push(() => coordinator.client.close());
        const open = await openWorkQueue(runtime, context.cwd, secrets);
        cleanup.push(() => open.close());
        const id = coordinator?.name ?? options.name ?? `${hostname()}:${process.pid}`;
        const worker = new Worker({
          id,
          concurrency,
          queue: open.queue,
          store: runtime.store,
          stateDir: runtime.stateDir,
          encryption: { keys: keyring, keyId: runtime.settings.keys.keyId },
          secrets,
          loadPlan: async (specPath) => {
            const { loaded, plan } = await loadPlan(specPath, context.registry, context.cwd);
            return { plan, hash: loaded.hash };
          },
          maxDeliver: settings.maxDeliver,
          ackWaitMs: ackWaitMs(settings),
          logger: runtime.logger,
          ...(coordinator ? { report: async ({ id: _id, lastSeenAt: _seen, ...beat }) => void (await coordinator.client.put('/api/v1/workers/self', beat)) } : {}),
        });
        if (healthPort !== undefined) {
          const { startWorkerHealth } = await import('../../cluster/worker-health.ts');
          const health = await startWorkerHealth(worker, open.queue, options.healthHost, healthPort);
          cleanup = [async () => new Promise<void>((done) => health.server.close(() => done())), ...cleanup];
          println(context.stderr, `health: http://${options.healthHost}:${health.port}/readyz`);
        }
        await worker.start();
        runtime.logger.info({ worker: id, concurrency, heartbeatMs: HEARTBEAT_MS }, 'worker ready');
        println(context.stderr, `worker ${id} ready (${concurrency} at once); SIGTERM or Ctrl-C drains it`);
        await new Promise<void>((resolve) => {
          let signals = 0;
          const onSignal = (signal: NodeJS.Signals) => {
            signals++;
            if (signals > 1) process.exit(EXIT.INTERRUPTED);
            println(context.stderr, `${signal}: draining (tasks in flight stop after their batch and go back to the queue); again to stop at once`);
            resolve();
          };
          process.once('SIGINT', onSignal);
          process.once('SIGTERM', onSignal);
        });
        await worker.drain();
        println(context.stderr, `worker ${id} stopped: ${worker.counts.committed} task(s) committed, ${worker.counts.released} given back`);
        setExit(EXIT.OK);
      } finally {
        for (const step of cleanup.reverse()) await step().catch(() => undefined);
        await closeRuntime(runtime);
      }
    });

  program
    .command('workers')
    .description('List cluster workers and their last heartbeats')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const { HEARTBEAT_MS } = await import('../../cluster/worker.ts');
      if (context.global.remote) {
        const { withApiClient } = await import('../remote/connect.ts');
        const workers = await withApiClient(context, async (client) => ((await client.get('/api/v1/workers')) as { workers: WorkerRecord[] }).workers);
        printWorkers(context, workers, HEARTBEAT_MS, options.json ?? false);
        setExit(EXIT.OK);
        return;
      }
      const runtime = await openRuntime(context);
      try {
        printWorkers(context, await runtime.store.listWorkers(), HEARTBEAT_MS, options.json ?? false);
        setExit(EXIT.OK);
      } finally {
        await closeRuntime(runtime);
      }
    });
}

/**
 * With --server, the worker reports to the coordinator's control plane as the service its client certificate
 * names (it must present one, bound to the worker role there); its name is that one.
 */
async function coordinatorIdentity(context: CliContext, name: string | undefined): Promise<{ client: ApiClient; name: string } | undefined> {
  const target = context.global.remote;
  if (target === undefined) return undefined;
  if (target.clientCert === undefined) {
    throw new SluiceError('SLUICE_USAGE', 'a worker reports to the coordinator with its client certificate: add --client-cert FILE and --client-key FILE (sluice certs init --client NAME makes one for development)');
  }
  const { openApiClient } = await import('../remote/connect.ts');
  const client = await openApiClient(target, context.cwd);
  try {
    const who = (await client.get('/api/v1/whoami')) as { principal: string; kind: string };
    if (who.kind !== 'service' || !who.principal.startsWith('mtls:')) {
      throw new SluiceError('SLUICE_USAGE', `${client.origin} sees this worker as ${who.principal}, not as the service its certificate names; present the worker's client certificate and leave out --credential`);
    }
    const certified = who.principal.slice('mtls:'.length);
    if (name !== undefined && name !== certified) {
      throw new SluiceError('SLUICE_USAGE', `--name ${name} differs from the name in the worker's certificate (${certified}); a worker reports only as its certificate names it, so drop --name or use that certificate`);
    }
    return { client, name: certified };
  } catch (error) {
    await client.close();
    throw error;
  }
}

/** The workers as a table (or JSON); one whose heartbeats stopped without a drain is shown as gone. */
function printWorkers(context: CliContext, workers: readonly WorkerRecord[], heartbeatMs: number, json: boolean): void {
  const now = Date.now();
  const shown = (w: WorkerRecord) => (w.state !== 'stopped' && now - Date.parse(w.lastSeenAt) > GONE_AFTER_BEATS * heartbeatMs ? 'gone' : w.state);
  if (json) return println(context.stdout, JSON.stringify(workers.map((w) => ({ ...w, shownState: shown(w) })), null, 2));
  if (workers.length === 0) return println(context.stdout, "no workers yet; start one with 'sluice worker'");
  const lines = ['WORKER                          HOST                  PID      STATE     IN FLIGHT  CONCURRENCY  LAST SEEN'];
  for (const w of workers) {
    const age = Math.max(0, Math.round((now - Date.parse(w.lastSeenAt)) / 1000));
    lines.push(`${w.id.padEnd(31)} ${w.host.padEnd(21)} ${String(w.pid).padEnd(8)} ${shown(w).padEnd(9)} ${String(w.inFlight).padEnd(10)} ${String(w.concurrency).padEnd(12)} ${age} s ago`);
  }
  println(context.stdout, lines.join('\n'));
}
