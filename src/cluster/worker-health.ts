// A worker's liveness, readiness and Prometheus metrics over plain HTTP, for the orchestrator on the same host or
// pod network: it carries no data and no credentials, and binds to loopback unless told otherwise.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';
import type { Worker } from './worker.ts';
import type { WorkQueue } from './work-queue.ts';

export function workerRegistry(worker: Worker, queue: WorkQueue): Registry {
  const registry = new Registry();
  const counts = worker.counts;
  const counter = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  counter('sluice_worker_tasks_committed_total', 'Tasks this worker committed.', () => counts.committed);
  counter('sluice_worker_tasks_duplicate_total', 'Deliveries of tasks another attempt had committed (a lost ack).', () => counts.duplicates);
  counter('sluice_worker_tasks_failed_total', 'Task attempts that failed and were given back for another delivery.', () => counts.failed);
  counter('sluice_worker_tasks_released_total', 'Tasks given back unfinished while draining.', () => counts.released);
  counter('sluice_worker_redeliveries_total', 'Deliveries this worker received that were not a task\'s first.', () => counts.redeliveries);
  counter('sluice_worker_dead_letters_total', 'Tasks this worker sent to the dead-letter stream.', () => counts.dead);
  counter('sluice_worker_invalid_messages_total', 'Task messages this worker could not read (malformed, or of another version).', () => counts.invalid);
  new Gauge({ name: 'sluice_worker_tasks_in_flight', help: 'Tasks being processed now.', registers: [registry], collect() { this.set(worker.inFlight); } });
  let last: Awaited<ReturnType<WorkQueue['depth']>> | undefined;
  // Read from JetStream at scrape time: the queue as every worker sees it.
  new Gauge({
    name: 'sluice_queue_depth',
    help: 'Tasks in the work queue by state (waiting, in_progress, dead).',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      last = await queue.depth().catch(() => undefined);
      if (!last) return;
      this.set({ state: 'waiting' }, last.waiting);
      this.set({ state: 'in_progress' }, last.inProgress);
      this.set({ state: 'dead' }, last.dead);
    },
  });
  new Gauge({
    name: 'sluice_queue_redelivered',
    help: 'Tasks in the queue delivered more than once and not yet acked (as of the depth read just before).',
    registers: [registry],
    collect() {
      if (last) this.set(last.redelivered);
    },
  });
  return registry;
}

/** Serves /livez, /readyz and /metrics; resolves once listening, with the bound port. */
export async function startWorkerHealth(worker: Worker, queue: WorkQueue, host: string, port: number): Promise<{ server: Server; port: number }> {
  const registry = workerRegistry(worker, queue);
  const server = createServer((request, response) => {
    const send = (status: number, body: string, type = 'application/json') => {
      response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
      response.end(body);
    };
    if (request.method !== 'GET') return send(405, JSON.stringify({ error: 'only GET' }));
    if (request.url === '/livez') return send(200, JSON.stringify({ status: 'alive' }));
    if (request.url === '/readyz') return worker.ready ? send(200, JSON.stringify({ status: 'ready', inFlight: worker.inFlight })) : send(503, JSON.stringify({ status: 'not ready' }));
    if (request.url === '/metrics') {
      void registry.metrics().then(
        (text) => send(200, text, registry.contentType),
        () => send(500, JSON.stringify({ error: 'metrics failed' })),
      );
      return;
    }
    send(404, JSON.stringify({ error: 'not found: /livez, /readyz, /metrics' }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return { server, port: typeof address === 'object' && address !== null ? address.port : port };
}
