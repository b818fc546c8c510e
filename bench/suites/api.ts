// The control plane API: authenticated requests per second for a small GET over TLS with keep-alive, and p99
// latency at 1,000 requests/s, against the same route with authentication and authorization taken off (the
// route declared public), in the same run. The load comes from a second process (bench/http-load.ts). The
// authenticated path is all of it: API key lookup and constant-time hash check, RBAC from the store, and the
// auth.success audit event made durable (group commit) before the answer.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { Registry } from 'prom-client';
import type { BenchRow, BenchSuite } from '../harness.ts';
import { SqliteStateStore } from '../../src/store/sqlite/sqlite-state-store.ts';
import { AuditLog } from '../../src/audit/audit-log.ts';
import { Authorizer } from '../../src/auth/authorizer.ts';
import { FailureThrottle } from '../../src/auth/failure-throttle.ts';
import { createApiKey } from '../../src/auth/api-key.ts';
import { buildServer } from '../../src/server/app.ts';
import type { ControlPlane } from '../../src/server/control-plane.ts';
import { PipelineCatalog } from '../../src/server/pipeline-catalog.ts';
import { RunProgressHub } from '../../src/server/run-progress.ts';
import { routeTable } from '../../src/server/route-table.ts';
import { createDevCa, issueCertificate } from '../../src/tls/dev-ca.ts';

const SUITE = 'api';
const ROUTE = '/api/v1/keys';
const run = promisify(execFile);

interface Load {
  requests: number;
  errors: number;
  rps: number;
  p50: number;
  p99: number;
}

async function load(url: string, ca: string, options: { key?: string; seconds: number; connections?: number; rate?: number }): Promise<Load> {
  const args = ['--import', 'tsx', join(import.meta.dirname, '..', 'http-load.ts'), '--url', url, '--ca', ca, '--seconds', String(options.seconds)];
  if (options.key) args.push('--key', options.key);
  if (options.connections) args.push('--connections', String(options.connections));
  if (options.rate) args.push('--rate', String(options.rate));
  const { stdout } = await run(process.execPath, args, { maxBuffer: 1 << 20 });
  const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as Load;
  if (result.errors > 0) throw new Error(`${result.errors} of ${result.requests} requests to ${url} failed`);
  return result;
}

export async function startBenchServer(dir: string, authenticated: boolean) {
  const store = new SqliteStateStore(join(dir, `${authenticated ? 'auth' : 'open'}.db`));
  const audit = new AuditLog(store);
  const plane: ControlPlane = {
    store,
    audit,
    authorizer: new Authorizer(store.access),
    pipelines: new PipelineCatalog(join(dir, 'pipelines'), async () => ({ pipeline: '', findings: [] })),
    progress: new RunProgressHub(),
    runner: { start: async () => ({ runId: '' }), active: () => new Set(), stopAll: async () => undefined },
    verifyAudit: async () => ({ ok: true, size: 0, problems: [], checkpointsVerified: 0 }),
    throttle: new FailureThrottle(),
    metrics: new Registry(),
    logger: pino({ level: 'silent' }),
    requestsPerMinute: 10_000_000,
  };
  const created = createApiKey({ name: 'bench', createdBy: 'bench' });
  await store.access.createApiKey(created.record);
  await store.access.bindRole({ principal: `apikey:${created.record.id}`, role: 'viewer', namespace: '*', clearance: 'internal', createdAt: new Date().toISOString(), createdBy: 'bench' });
  const ca = await createDevCa('bench CA', 1);
  const cert = await issueCertificate(ca, 'server', ['127.0.0.1'], 1);
  const caFile = join(dir, `${authenticated ? 'auth' : 'open'}-ca.pem`);
  await writeFile(caFile, ca.cert);
  // The baseline: the same route and handler, declared public (no credential read, no RBAC, no audit event).
  const routes = routeTable().map((r) => (!authenticated && r.method === 'GET' && r.url === ROUTE ? { ...r, access: 'public' as const } : r));
  const app = await buildServer(plane, { routes, tls: { cert: cert.cert, key: cert.key } });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url: `${address}${ROUTE}`,
    caFile,
    key: authenticated ? created.value : undefined,
    close: async () => {
      await app.close();
      await audit.close();
      await store.close();
    },
  };
}

export const apiSuite: BenchSuite = {
  name: SUITE,
  description: `Authenticated small GET (${ROUTE}) over TLS with keep-alive: requests/s (closed loop, 32 connections) and p99 at 1,000 requests/s (open loop), against the same route without authentication and authorization; load from a second process`,
  async run({ quick }) {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-api-'));
    const seconds = quick ? 2 : 5;
    try {
      const secured = await startBenchServer(dir, true);
      const open = await startBenchServer(dir, false);
      try {
        // Warm both (TLS sessions, JIT), then alternate: open, secured, open, secured… and keep the medians.
        await load(open.url, open.caFile, { seconds: 1 });
        await load(secured.url, secured.caFile, { key: secured.key!, seconds: 1 });
        const rounds = quick ? 1 : 3;
        const throughput = { open: [] as number[], secured: [] as number[] };
        const p99 = { open: [] as number[], secured: [] as number[] };
        for (let i = 0; i < rounds; i++) {
          throughput.open.push((await load(open.url, open.caFile, { seconds, connections: 32 })).rps);
          throughput.secured.push((await load(secured.url, secured.caFile, { key: secured.key!, seconds, connections: 32 })).rps);
          p99.open.push((await load(open.url, open.caFile, { seconds, rate: 1000, connections: 64 })).p99);
          p99.secured.push((await load(secured.url, secured.caFile, { key: secured.key!, seconds, rate: 1000, connections: 64 })).p99);
        }
        const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
        const spread = (xs: number[]): [number, number] => [Math.min(...xs), Math.max(...xs)];
        const rps = median(throughput.secured);
        const rpsOpen = median(throughput.open);
        const latency = median(p99.secured);
        const latencyOpen = median(p99.open);
        const rows: BenchRow[] = [
          {
            suite: SUITE,
            name: 'authenticated GET over TLS, keep-alive (API key, RBAC, audited)',
            value: rps,
            unit: 'req/s',
            baseline: { name: 'same route, no authentication or authorization', value: rpsOpen },
            ratio: rps / rpsOpen,
            target: { text: '≥ 3,000 req/s', met: rps >= 3000 },
            spread: spread(throughput.secured),
          },
          {
            suite: SUITE,
            name: 'p99 latency at 1,000 req/s (open loop)',
            value: latency,
            unit: 'ms',
            baseline: { name: 'same route, no authentication or authorization', value: latencyOpen },
            ratio: latencyOpen / latency,
            target: { text: 'p99 < 20 ms', met: latency < 20 },
            spread: spread(p99.secured),
          },
        ];
        return rows;
      } finally {
        await secured.close();
        await open.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
