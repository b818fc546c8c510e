// A control plane on 127.0.0.1 over TLS for tests: a fresh state store in a temp folder, the real audit log,
// authorizer, throttle and pipeline catalog, a development CA with a server and client certificates, and a
// runner double (RecordingRunner: it records starts and claims no run) unless a test passes a real one.
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch } from 'undici';
import type { Dispatcher } from 'undici';
import pino from 'pino';
import { Registry } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import { SqliteStateStore } from '../../src/store/sqlite/sqlite-state-store.ts';
import { AuditLog } from '../../src/audit/audit-log.ts';
import { Authorizer } from '../../src/auth/authorizer.ts';
import { FailureThrottle } from '../../src/auth/failure-throttle.ts';
import type { FailureThrottleOptions } from '../../src/auth/failure-throttle.ts';
import { createApiKey } from '../../src/auth/api-key.ts';
import type { Permission, RoleDefinition } from '../../src/auth/permissions.ts';
import type { Classification } from '../../src/spec/classification.ts';
import { buildServer } from '../../src/server/app.ts';
import type { ControlPlane, PipelineRunner } from '../../src/server/control-plane.ts';
import { PipelineCatalog } from '../../src/server/pipeline-catalog.ts';
import { RunProgressHub } from '../../src/server/run-progress.ts';
import { datasetShapes } from '../../src/server/dataset-shape.ts';
import type { CatalogEntry } from '../../src/server/pipeline-catalog.ts';
import { routeTable } from '../../src/server/route-table.ts';
import { loadPlan } from '../../src/cli/load-plan.ts';
import { builtinRegistry } from '../../src/builtins.ts';
import { createDevCa, issueCertificate } from '../../src/tls/dev-ca.ts';
import type { DevCa, PemPair } from '../../src/tls/dev-ca.ts';
import type { Principal } from '../../src/auth/principal.ts';
import { customersSpec } from './cli-harness.ts';

/** Records the runs the API asked for; never runs anything. */
export class RecordingRunner implements PipelineRunner {
  readonly started: { entry: CatalogEntry; by: string }[] = [];
  async start(entry: CatalogEntry, by: Principal): Promise<{ runId: string }> {
    this.started.push({ entry, by: by.id });
    return { runId: `recorded-${this.started.length}` };
  }
  active(): ReadonlySet<string> {
    return new Set();
  }
  async stopAll(): Promise<void> {}
}

export interface TestPlane {
  url: string;
  dir: string;
  app: FastifyInstance;
  plane: ControlPlane;
  store: SqliteStateStore;
  ca: DevCa;
  /** A client certificate issued by the server's client CA for `name` (mtls:<name>). */
  clientCert(name: string): Promise<PemPair>;
  /** An undici dispatcher trusting the dev CA, optionally presenting a client certificate. */
  dispatcher(client?: PemPair): Dispatcher;
  /** Creates an API key bound to `role` in `namespace` (default '*'); returns the key value and principal. */
  apiKey(role: string | undefined, options?: { namespace?: string; clearance?: Classification; scopes?: Permission[]; expiresAt?: Date }): Promise<{ key: string; principal: string }>;
  /** fetch against the server with the dev CA trusted; `key` as a bearer credential. The body is parsed JSON (any: tests read what they expect). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call(method: string, path: string, options?: { key?: string; body?: unknown; rawBody?: string; client?: PemPair; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers; text: string }>;
  close(): Promise<void>;
}

export interface TestPlaneOptions {
  runner?: PipelineRunner;
  customRoles?: Record<string, RoleDefinition>;
  throttle?: FailureThrottleOptions;
  requestsPerMinute?: number;
  requireClientCert?: boolean;
  oidc?: ControlPlane['oidc'];
  now?: () => Date;
  /** Reads datasets at rest (a KeyringDatasetReader over the test's keyring); none by default. */
  datasets?: ControlPlane['datasets'];
  /** Pipelines to catalog: namespace → names (customers spec with that pipeline name). */
  pipelines?: Record<string, string[]>;
}

export async function startTestPlane(options: TestPlaneOptions = {}): Promise<TestPlane> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-plane-'));
  const store = new SqliteStateStore(join(dir, 'state.db'));
  const audit = new AuditLog(store);
  const pipelinesDir = join(dir, 'pipelines');
  for (const [namespace, names] of Object.entries(options.pipelines ?? { sales: ['customers'], marketing: ['leads'] })) {
    const folder = namespace === 'default' ? pipelinesDir : join(pipelinesDir, namespace);
    await mkdir(folder, { recursive: true });
    for (const name of names) await writeFile(join(folder, `${name}.yaml`), customersSpec(name, 100));
  }
  const registry = builtinRegistry();
  const now = options.now;
  const plane: ControlPlane = {
    store,
    audit,
    authorizer: new Authorizer(store.access, { ...(options.customRoles ? { customRoles: options.customRoles } : {}), ...(now ? { now } : {}) }),
    pipelines: new PipelineCatalog(pipelinesDir, async (file) => {
      const { plan } = await loadPlan(file, registry, dir);
      return { pipeline: plan.spec.pipeline, datasets: datasetShapes(plan), ...(plan.spec.schedule !== undefined ? { schedule: plan.spec.schedule } : {}), findings: plan.findings.map((f) => ({ severity: f.severity, rule: f.rule, message: f.message, fix: f.fix })) };
    }),
    progress: new RunProgressHub(),
    runner: options.runner ?? new RecordingRunner(),
    ...(options.datasets ? { datasets: options.datasets } : {}),
    rotateKey: async () => 2,
    verifyAudit: async () => ({ ok: true, size: 0, problems: [], checkpointsVerified: 0 }),
    ...(options.oidc ? { oidc: options.oidc } : {}),
    throttle: new FailureThrottle(options.throttle ?? {}),
    metrics: new Registry(),
    logger: pino({ level: 'silent' }),
    requestsPerMinute: options.requestsPerMinute ?? 100_000,
    ...(now ? { now } : {}),
  };
  const ca = await createDevCa('test CA', 2);
  const server = await issueCertificate(ca, 'server', ['127.0.0.1', 'localhost'], 2);
  const app = await buildServer(plane, { routes: routeTable(), tls: { cert: server.cert, key: server.key, clientCa: ca.cert, requireClientCert: options.requireClientCert ?? false } });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const url = address.replace(/^http:/, 'https:');
  const dispatchers: Agent[] = [];
  const dispatcher = (client?: PemPair): Agent => {
    const agent = new Agent({ connect: { ca: ca.cert, ...(client ? { cert: client.cert, key: client.key } : {}) } });
    dispatchers.push(agent);
    return agent;
  };
  const plain = dispatcher();
  return {
    url,
    dir,
    app,
    plane,
    store,
    ca,
    clientCert: async (name) => await issueCertificate(ca, 'client', [name], 2),
    dispatcher,
    apiKey: async (role, keyOptions = {}) => {
      const created = createApiKey({ name: `test ${role ?? 'unbound'}`, createdBy: 'test', ...(keyOptions.scopes ? { scopes: keyOptions.scopes } : {}), ...(keyOptions.expiresAt ? { expiresAt: keyOptions.expiresAt } : {}) });
      await store.access.createApiKey(created.record);
      const principal = `apikey:${created.record.id}`;
      if (role !== undefined) await store.access.bindRole({ principal, role, namespace: keyOptions.namespace ?? '*', clearance: keyOptions.clearance ?? 'internal', createdAt: new Date().toISOString(), createdBy: 'test' });
      return { key: created.value, principal };
    },
    call: async (method, path, callOptions = {}) => {
      const headers: Record<string, string> = { ...callOptions.headers };
      if (callOptions.key !== undefined) headers.authorization = `Bearer ${callOptions.key}`;
      let body: string | undefined;
      if (callOptions.rawBody !== undefined || callOptions.body !== undefined) {
        headers['content-type'] ??= 'application/json';
        body = callOptions.rawBody ?? JSON.stringify(callOptions.body);
      }
      const response = await fetch(`${url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}), dispatcher: callOptions.client ? dispatcher(callOptions.client) : plain });
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      return { status: response.status, body: parsed, headers: response.headers as unknown as Headers, text };
    },
    close: async () => {
      await app.close();
      await Promise.all(dispatchers.map((d) => d.close()));
      await audit.close();
      await store.close();
    },
  };
}
