// The control plane's authorization, attacked from the outside: every route against every built-in role (and no
// credential, and a credential with no binding), objects in other namespaces (IDOR), mass assignment, prototype
// pollution, oversized bodies, scopes, custom roles, error hygiene, the OpenAPI document and security headers.
// Each suite starts one real server over TLS (test/support/control-plane-harness.ts) and closes it after.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { BUILTIN_ROLES } from '../src/auth/permissions.ts';
import type { Permission } from '../src/auth/permissions.ts';
import type { ApiErrorBody } from '../src/server/api-error.ts';
import { routeTable } from '../src/server/route-table.ts';
import type { AnyRoute } from '../src/server/route.ts';
import { RecordingRunner, startTestPlane } from './support/control-plane-harness.ts';
import type { TestPlane } from './support/control-plane-harness.ts';
import { customersSpec } from './support/cli-harness.ts';

type Reply = Awaited<ReturnType<TestPlane['call']>>;

/** The error of an answer, typed (the harness parses bodies as any). */
function errorOf(reply: Reply): ApiErrorBody['error'] {
  const body = reply.body as Partial<ApiErrorBody> | undefined;
  assert.ok(body?.error, `expected a JSON error body, got ${reply.status} ${reply.text.slice(0, 300)}`);
  return body.error;
}

function show(reply: Reply): string {
  return `${reply.status} ${reply.text.slice(0, 300)}`;
}

const routeKey = (route: Pick<AnyRoute, 'method' | 'url'>): string => `${route.method} ${route.url}`;

/** A route's declared access as text: 'public', 'authenticated' or '<permission>@<scope>'. */
const accessOf = (route: AnyRoute): string => (typeof route.access === 'object' ? `${route.access.permission}@${route.access.scope}` : route.access);

// ---------------------------------------------------------------------------------------------------------------
// 1. Role × route matrix
// ---------------------------------------------------------------------------------------------------------------

/** A minimal valid request per route, and the status it answers when the caller may use the route. */
interface Probe {
  /**
   * The access the route must declare, pinned here so that loosening a route's declaration fails this test instead
   * of silently moving the expectation: 'public', 'authenticated' or '<permission>@<scope>'.
   */
  policy: string;
  path: string;
  body?: unknown;
  /** The status when access is allowed; some allowed calls fail for other reasons (a missing id → 404). */
  allowed: number;
}

const MATRIX_RUN_ID = 'matrix-run-1';

/**
 * Every route of the route table needs an entry here: a route without one fails the matrix, so a new route cannot
 * escape it. Keyed by `${method} ${url}`.
 */
const PROBES: Readonly<Record<string, Probe>> = {
  'GET /api/v1/health': { policy: 'public', path: '/api/v1/health', allowed: 200 },
  'GET /api/v1/ready': { policy: 'public', path: '/api/v1/ready', allowed: 200 },
  'GET /api/v1/metrics': { policy: 'metrics:read@global', path: '/api/v1/metrics', allowed: 200 },
  'GET /api/v1/openapi.json': { policy: 'authenticated', path: '/api/v1/openapi.json', allowed: 200 },
  'GET /api/v1/whoami': { policy: 'authenticated', path: '/api/v1/whoami', allowed: 200 },
  'GET /api/v1/pipelines': { policy: 'pipelines:read@namespaced', path: '/api/v1/pipelines', allowed: 200 },
  'GET /api/v1/pipelines/:namespace/:name': { policy: 'pipelines:read@namespaced', path: '/api/v1/pipelines/sales/customers', allowed: 200 },
  'PUT /api/v1/pipelines/:namespace/:name': { policy: 'pipelines:write@namespaced', path: '/api/v1/pipelines/sales/customers', body: { spec: customersSpec('customers', 100) }, allowed: 200 },
  'POST /api/v1/pipelines/:namespace/:name/check': { policy: 'pipelines:read@namespaced', path: '/api/v1/pipelines/sales/customers/check', allowed: 200 },
  'POST /api/v1/pipelines/:namespace/:name/runs': { policy: 'pipelines:run@namespaced', path: '/api/v1/pipelines/sales/customers/runs', allowed: 202 },
  'GET /api/v1/pipelines/:namespace/:name/runs': { policy: 'runs:read@namespaced', path: '/api/v1/pipelines/sales/customers/runs', allowed: 200 },
  'GET /api/v1/runs': { policy: 'runs:read@namespaced', path: '/api/v1/runs', allowed: 200 },
  'GET /api/v1/runs/:id': { policy: 'runs:read@namespaced', path: `/api/v1/runs/${MATRIX_RUN_ID}`, allowed: 200 },
  'GET /api/v1/runs/:id/events': { policy: 'runs:read@namespaced', path: `/api/v1/runs/${MATRIX_RUN_ID}/events`, allowed: 200 },
  'GET /api/v1/datasets': { policy: 'datasets:read@namespaced', path: '/api/v1/datasets', allowed: 200 },
  // This plane has no dataset reader (no keyring): allowed callers get past authorization and are told so.
  'GET /api/v1/datasets/:namespace/:name/:sink/records': { policy: 'datasets:read@namespaced', path: '/api/v1/datasets/sales/customers/file/records', allowed: 400 },
  'GET /api/v1/keys': { policy: 'keys:read@global', path: '/api/v1/keys', allowed: 200 },
  'GET /api/v1/audit/export': { policy: 'audit:read@global', path: '/api/v1/audit/export', allowed: 200 },
  // This plane has no keyring: allowed callers get past authorization and are told so.
  'POST /api/v1/subjects/erase': { policy: 'subjects:erase@global', path: '/api/v1/subjects/erase', body: { subject: 'cust-1' }, allowed: 503 },
  // A fresh store has no keyring key 'default': allowed callers get past authorization and find nothing.
  'POST /api/v1/keys/:keyId/rotate': { policy: 'keys:rotate@global', path: '/api/v1/keys/default/rotate', allowed: 404 },
  'GET /api/v1/secrets': { policy: 'secrets:read@global', path: '/api/v1/secrets', allowed: 200 },
  'GET /api/v1/audit/events': { policy: 'audit:read@global', path: '/api/v1/audit/events', allowed: 200 },
  'POST /api/v1/audit/verify': { policy: 'audit:verify@global', path: '/api/v1/audit/verify', allowed: 200 },
  'GET /api/v1/api-keys': { policy: 'access:manage@global', path: '/api/v1/api-keys', allowed: 200 },
  'POST /api/v1/api-keys': { policy: 'access:manage@global', path: '/api/v1/api-keys', body: { name: 'matrix key' }, allowed: 201 },
  // Never a real id: revoking the keys the matrix uses would turn later rows into 401s.
  'DELETE /api/v1/api-keys/:id': { policy: 'access:manage@global', path: '/api/v1/api-keys/no-such-key', allowed: 404 },
  'GET /api/v1/role-bindings': { policy: 'access:manage@global', path: '/api/v1/role-bindings', allowed: 200 },
  'POST /api/v1/role-bindings': { policy: 'access:manage@global', path: '/api/v1/role-bindings', body: { principal: 'apikey:matrix-dummy', role: 'viewer', namespace: 'sales', clearance: 'internal' }, allowed: 201 },
  'DELETE /api/v1/role-bindings': { policy: 'access:manage@global', path: '/api/v1/role-bindings?principal=apikey%3Anobody&role=viewer&namespace=sales', allowed: 404 },
  'POST /api/v1/grants': { policy: 'grants:request@namespaced', path: '/api/v1/grants', body: { permission: 'datasets:read', namespace: 'sales', reason: 'matrix probe', durationMinutes: 5 }, allowed: 201 },
  'GET /api/v1/grants': { policy: 'authenticated', path: '/api/v1/grants', allowed: 200 },
  'POST /api/v1/grants/:id/approve': { policy: 'grants:approve@global', path: '/api/v1/grants/no-such-grant/approve', allowed: 404 },
  'POST /api/v1/grants/:id/deny': { policy: 'grants:approve@global', path: '/api/v1/grants/no-such-grant/deny', allowed: 404 },
  'POST /api/v1/grants/:id/revoke': { policy: 'authenticated', path: '/api/v1/grants/no-such-grant/revoke', allowed: 404 },
  // The matrix calls with API keys (users): past authorization they are told only a worker's certificate reports.
  'PUT /api/v1/workers/self': { policy: 'workers:report@global', path: '/api/v1/workers/self', body: { host: 'h', pid: 1, concurrency: 1, inFlight: 0, state: 'ready', startedAt: '2026-11-30T00:00:00.000Z' }, allowed: 400 },
  'GET /api/v1/workers': { policy: 'workers:read@global', path: '/api/v1/workers', allowed: 200 },
};

/** Who calls: each built-in role bound at '*', a key with no binding, and nobody. */
interface Caller {
  label: string;
  key?: string;
  principal?: string;
  /** What the caller holds; undefined for no credential. */
  permissions?: ReadonlySet<Permission>;
}

describe('role × route matrix: every route against every built-in role, an unbound key and no credential', () => {
  let p: TestPlane;
  const callers: Caller[] = [];
  /** Every 403 the matrix saw: its request id, the principal and the route, to find in the audit log. */
  const denials: { requestId: string; principal: string; route: AnyRoute; permission: string }[] = [];

  before(async () => {
    // The matrix makes many unauthenticated calls from one address: the failure throttle must not turn them into 429s.
    p = await startTestPlane({ throttle: { maxFailures: 100_000 } });
    await p.store.createRun({ id: MATRIX_RUN_ID, pipeline: 'customers', specHash: 'h', startedAt: new Date().toISOString(), pid: 1 });
    for (const [role, definition] of Object.entries(BUILTIN_ROLES)) {
      const { key, principal } = await p.apiKey(role);
      // An API key is a user principal: a service-only role (worker) gives it nothing.
      callers.push({ label: `role ${role}`, key, principal, permissions: new Set(definition.serviceOnly ? [] : definition.permissions) });
    }
    const unbound = await p.apiKey(undefined);
    callers.push({ label: 'authenticated, no binding', key: unbound.key, principal: unbound.principal, permissions: new Set() });
    callers.push({ label: 'no credential' });
  });
  after(async () => await p?.close());

  test('every route of routeTable() has a probe in the matrix table, and every probe names a route', () => {
    const routes = routeTable().map(routeKey);
    assert.deepEqual(
      routes.filter((r) => !Object.hasOwn(PROBES, r)),
      [],
      'routes with no entry in PROBES: add one so the matrix covers them',
    );
    assert.deepEqual(
      Object.keys(PROBES).filter((k) => !routes.includes(k)),
      [],
      'probes for routes that no longer exist',
    );
  });

  test('every route declares the access pinned in the matrix table (no route was loosened unnoticed)', () => {
    const changed = routeTable()
      .filter((route) => PROBES[routeKey(route)] !== undefined && PROBES[routeKey(route)]?.policy !== accessOf(route))
      .map((route) => `${routeKey(route)}: declares ${accessOf(route)}, pinned ${PROBES[routeKey(route)]?.policy}`);
    assert.deepEqual(changed, []);
  });

  for (const route of routeTable()) {
    const probe = PROBES[routeKey(route)];
    // Expectations follow the pinned access, not the declaration: a loosened declaration fails here too.
    const pinned = probe?.policy ?? accessOf(route);
    const [permission] = pinned.split('@') as [string];
    test(`${routeKey(route)} [${pinned}]: allowed callers get past authorization, others get 401/403`, async () => {
      if (!probe) return assert.fail(`no probe for ${routeKey(route)} in PROBES`);
      const wrong: string[] = [];
      for (const caller of callers) {
        const reply = await p.call(route.method, probe.path, { ...(caller.key !== undefined ? { key: caller.key } : {}), ...(probe.body !== undefined ? { body: probe.body } : {}) });
        let expected: number;
        if (pinned === 'public') expected = probe.allowed;
        else if (caller.permissions === undefined) expected = 401;
        else if (pinned === 'authenticated') expected = probe.allowed;
        else expected = caller.permissions.has(permission as Permission) ? probe.allowed : 403;
        if (expected !== 401 && expected !== 403 && (reply.status === 401 || reply.status === 403)) {
          wrong.push(`${caller.label}: refused (${show(reply)}) but should get past auth (expected ${expected})`);
        } else if (reply.status !== expected) {
          wrong.push(`${caller.label}: expected ${expected}, got ${show(reply)}`);
        }
        if (reply.status === 403 && expected === 403) {
          const error = errorOf(reply);
          if (error.code !== 'SLUICE_FORBIDDEN') wrong.push(`${caller.label}: 403 with code ${error.code}`);
          denials.push({ requestId: error.requestId, principal: caller.principal ?? '', route, permission });
        }
        if (reply.status === 401 && errorOf(reply).code !== 'SLUICE_UNAUTHENTICATED') wrong.push(`${caller.label}: 401 with code ${errorOf(reply).code}`);
      }
      assert.deepEqual(wrong, []);
    });
  }

  test('every denial of the matrix is in the audit log as access.denied, with the principal, route and permission', async () => {
    assert.ok(denials.length > 0, 'the matrix saw no denial at all');
    const events = await p.store.queryAuditEvents({ action: 'access.denied' });
    const byRequest = new Map(events.map((e) => [e.requestId, e]));
    const missing: string[] = [];
    for (const denial of denials) {
      const event = byRequest.get(denial.requestId);
      if (!event) missing.push(`${routeKey(denial.route)} for ${denial.principal}: no access.denied event`);
      else if (event.actor.principal !== denial.principal || event.resource !== `api:${denial.route.url}` || event.outcome !== 'denied' || event.reason !== denial.permission) {
        missing.push(`${routeKey(denial.route)} for ${denial.principal}: event ${JSON.stringify(event)}`);
      }
    }
    assert.deepEqual(missing, []);
  });

  test('the worker role is not simply broken: a service principal (mTLS) bound to worker may read and run', async () => {
    // The API-key denials for worker above come from serviceOnly, not from a role that grants nothing.
    const client = await p.clientCert('worker-1');
    await p.store.access.bindRole({ principal: 'mtls:worker-1', role: 'worker', namespace: '*', clearance: 'internal', createdAt: new Date().toISOString(), createdBy: 'test' });
    assert.equal((await p.call('GET', '/api/v1/pipelines', { client })).status, 200);
    assert.equal((await p.call('POST', '/api/v1/pipelines/sales/customers/runs', { client })).status, 202);
    assert.equal((await p.call('PUT', '/api/v1/pipelines/sales/customers', { client, body: { spec: customersSpec('customers', 100) } })).status, 403);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// 2. IDOR across namespaces
// ---------------------------------------------------------------------------------------------------------------

describe('IDOR: a key bound only in namespace sales cannot see or touch objects of namespace marketing', () => {
  let p: TestPlane;
  const runner = new RecordingRunner();
  let key: string;
  let notFound: { code: string; message: string };
  let leadsSpec: string;

  before(async () => {
    p = await startTestPlane({ runner });
    key = (await p.apiKey('engineer', { namespace: 'sales' })).key;
    const now = Date.now();
    await p.store.createRun({ id: 'run-customers', pipeline: 'customers', specHash: 'h', startedAt: new Date(now - 2000).toISOString(), pid: 1 });
    await p.store.createRun({ id: 'run-leads', pipeline: 'leads', specHash: 'h', startedAt: new Date(now - 1000).toISOString(), pid: 1 });
    const missing = await p.call('GET', '/api/v1/pipelines/sales/does-not-exist', { key });
    assert.equal(missing.status, 404, show(missing));
    notFound = { code: errorOf(missing).code, message: errorOf(missing).message };
    const leads = await p.plane.pipelines.get('marketing', 'leads');
    assert.ok(leads);
    leadsSpec = await readFile(leads.file, 'utf8');
  });
  after(async () => await p?.close());

  const sameAsMissing = (reply: Reply, what: string) => {
    assert.equal(reply.status, 404, `${what}: ${show(reply)}`);
    const error = errorOf(reply);
    assert.deepEqual({ code: error.code, message: error.message }, notFound, `${what} must look exactly like a missing pipeline`);
  };

  test('GET, PUT, check, run and run list of marketing/leads answer 404 exactly like sales/does-not-exist', async () => {
    // The same operations on a missing pipeline of the caller's own namespace, for comparison.
    sameAsMissing(await p.call('POST', '/api/v1/pipelines/sales/does-not-exist/check', { key }), 'check of a missing pipeline');
    sameAsMissing(await p.call('POST', '/api/v1/pipelines/sales/does-not-exist/runs', { key }), 'run of a missing pipeline');
    sameAsMissing(await p.call('GET', '/api/v1/pipelines/sales/does-not-exist/runs', { key }), 'runs of a missing pipeline');

    sameAsMissing(await p.call('GET', '/api/v1/pipelines/marketing/leads', { key }), 'GET marketing/leads');
    sameAsMissing(await p.call('PUT', '/api/v1/pipelines/marketing/leads', { key, body: { spec: customersSpec('leads', 5) } }), 'PUT marketing/leads');
    sameAsMissing(await p.call('POST', '/api/v1/pipelines/marketing/leads/check', { key }), 'check marketing/leads');
    sameAsMissing(await p.call('POST', '/api/v1/pipelines/marketing/leads/runs', { key }), 'run marketing/leads');
    sameAsMissing(await p.call('GET', '/api/v1/pipelines/marketing/leads/runs', { key }), 'runs of marketing/leads');
    // Creating a new pipeline in a namespace the key has no role in is refused the same way, and creates nothing.
    sameAsMissing(await p.call('PUT', '/api/v1/pipelines/marketing/brand-new', { key, body: { spec: customersSpec('brand-new', 5) } }), 'PUT marketing/brand-new');
    assert.equal(await p.plane.pipelines.get('marketing', 'brand-new'), undefined);

    const leads = await p.plane.pipelines.get('marketing', 'leads');
    assert.ok(leads);
    assert.equal(await readFile(leads.file, 'utf8'), leadsSpec, 'the marketing spec must be unchanged');
    const denied = await p.store.queryAuditEvents({ action: 'access.denied' });
    assert.ok(denied.some((e) => e.resource === 'api:/api/v1/pipelines/:namespace/:name' && e.reason === 'pipelines:write'), 'the refused PUT is audited');
  });

  test('GET /api/v1/pipelines lists only the sales pipelines, even when asked for marketing', async () => {
    const all = await p.call('GET', '/api/v1/pipelines', { key });
    assert.equal(all.status, 200, show(all));
    assert.deepEqual((all.body as { pipelines: { namespace: string; name: string }[] }).pipelines.map((e) => `${e.namespace}/${e.name}`), ['sales/customers']);
    const asked = await p.call('GET', '/api/v1/pipelines?namespace=marketing', { key });
    assert.equal(asked.status, 200, show(asked));
    assert.deepEqual((asked.body as { pipelines: unknown[] }).pipelines, []);
  });

  test('runs of the marketing pipeline are invisible in /api/v1/runs and /api/v1/runs/:id answers 404', async () => {
    const runs = await p.call('GET', '/api/v1/runs', { key });
    assert.equal(runs.status, 200, show(runs));
    assert.deepEqual((runs.body as { runs: { id: string }[] }).runs.map((r) => r.id), ['run-customers']);
    const filtered = await p.call('GET', '/api/v1/runs?pipeline=leads', { key });
    assert.equal(filtered.status, 200, show(filtered));
    assert.deepEqual((filtered.body as { runs: unknown[] }).runs, []);

    const own = await p.call('GET', '/api/v1/runs/run-customers', { key });
    assert.equal(own.status, 200, show(own));
    const missing = await p.call('GET', '/api/v1/runs/no-such-run', { key });
    const other = await p.call('GET', '/api/v1/runs/run-leads', { key });
    assert.equal(missing.status, 404, show(missing));
    assert.equal(other.status, 404, show(other));
    assert.deepEqual({ code: errorOf(other).code, message: errorOf(other).message }, { code: errorOf(missing).code, message: errorOf(missing).message });
  });

  test('asking for a just-in-time grant in marketing answers 404 and stores nothing', async () => {
    const reply = await p.call('POST', '/api/v1/grants', { key, body: { permission: 'datasets:read', namespace: 'marketing', reason: 'let me in', durationMinutes: 5 } });
    sameAsMissing(reply, 'grant request in marketing');
    assert.deepEqual(await p.store.access.listGrants(), []);
  });

  test('the runner recorded no start of a marketing pipeline', () => {
    assert.deepEqual(
      runner.started.filter((s) => s.entry.namespace !== 'sales'),
      [],
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
// 3. Mass assignment
// ---------------------------------------------------------------------------------------------------------------

describe('mass assignment: fields the server owns cannot be set by the caller', () => {
  let p: TestPlane;
  let admin: string;
  let engineer: string;

  before(async () => {
    p = await startTestPlane();
    admin = (await p.apiKey('admin')).key;
    engineer = (await p.apiKey('engineer')).key;
  });
  after(async () => await p?.close());

  const refused = (reply: Reply, what: string) => {
    assert.equal(reply.status, 400, `${what}: ${show(reply)}`);
    assert.equal(errorOf(reply).code, 'SLUICE_REQUEST_INVALID', what);
  };

  test('POST /api/v1/grants with status approved, expiresAt or another principal is refused and stores no grant', async () => {
    const base = { permission: 'datasets:read', namespace: 'sales', reason: 'need to look', durationMinutes: 5 };
    refused(await p.call('POST', '/api/v1/grants', { key: engineer, body: { ...base, status: 'approved' } }), 'status');
    refused(await p.call('POST', '/api/v1/grants', { key: engineer, body: { ...base, expiresAt: new Date(Date.now() + 86_400_000).toISOString() } }), 'expiresAt');
    refused(await p.call('POST', '/api/v1/grants', { key: engineer, body: { ...base, principal: 'apikey:someone-else' } }), 'principal');
    refused(await p.call('POST', '/api/v1/grants', { key: engineer, body: { ...base, decidedBy: 'apikey:approver' } }), 'decidedBy');
    assert.deepEqual(await p.store.access.listGrants(), []);
  });

  test('POST /api/v1/api-keys with hash or id is refused and creates no key', async () => {
    const before = (await p.store.access.listApiKeys()).length;
    refused(await p.call('POST', '/api/v1/api-keys', { key: admin, body: { name: 'x', hash: Buffer.alloc(32).toString('base64') } }), 'hash');
    refused(await p.call('POST', '/api/v1/api-keys', { key: admin, body: { name: 'x', id: 'chosen-id-01' } }), 'id');
    refused(await p.call('POST', '/api/v1/api-keys', { key: admin, body: { name: 'x', createdBy: 'apikey:someone-else' } }), 'createdBy');
    assert.equal((await p.store.access.listApiKeys()).length, before);
  });

  test('POST /api/v1/role-bindings with createdBy is refused and binds nothing', async () => {
    const before = (await p.store.access.listBindings()).length;
    refused(await p.call('POST', '/api/v1/role-bindings', { key: admin, body: { principal: 'apikey:target', role: 'viewer', namespace: 'sales', clearance: 'internal', createdBy: 'apikey:someone-else' } }), 'createdBy');
    refused(await p.call('POST', '/api/v1/role-bindings', { key: admin, body: { principal: 'apikey:target', role: 'viewer', namespace: 'sales', clearance: 'internal', createdAt: '2000-01-01T00:00:00.000Z' } }), 'createdAt');
    assert.equal((await p.store.access.listBindings()).length, before);
  });

  test('PUT of a pipeline with an extra key (namespace) is refused and the spec is unchanged', async () => {
    const entry = await p.plane.pipelines.get('sales', 'customers');
    assert.ok(entry);
    const spec = await readFile(entry.file, 'utf8');
    refused(await p.call('PUT', '/api/v1/pipelines/sales/customers', { key: engineer, body: { spec: customersSpec('customers', 7), namespace: 'marketing' } }), 'namespace');
    assert.equal(await readFile(entry.file, 'utf8'), spec);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// 4. Prototype pollution
// ---------------------------------------------------------------------------------------------------------------

describe('prototype pollution: __proto__ and constructor.prototype in bodies and query strings', () => {
  let p: TestPlane;
  let admin: string;

  before(async () => {
    p = await startTestPlane();
    admin = (await p.apiKey('admin')).key;
  });
  after(async () => await p?.close());

  const notPolluted = () => {
    assert.equal(({} as Record<string, unknown>).admin, undefined, 'Object.prototype was polluted');
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'admin'), false);
  };

  test('JSON bodies with __proto__ or constructor.prototype keys are refused with 400 and create nothing', async () => {
    const keys = (await p.store.access.listApiKeys()).length;
    for (const rawBody of ['{"__proto__":{"admin":true},"name":"x"}', '{"constructor":{"prototype":{"admin":true}},"name":"x"}', '{"name":"x","bindings":[{"__proto__":{"admin":true},"role":"viewer","namespace":"sales","clearance":"internal"}]}']) {
      const reply = await p.call('POST', '/api/v1/api-keys', { key: admin, rawBody });
      assert.equal(reply.status, 400, `${rawBody}: ${show(reply)}`);
      assert.equal(errorOf(reply).code, 'SLUICE_REQUEST_INVALID');
      notPolluted();
    }
    assert.equal((await p.store.access.listApiKeys()).length, keys);
    const bindings = (await p.store.access.listBindings()).length;
    const reply = await p.call('POST', '/api/v1/role-bindings', { key: admin, rawBody: '{"__proto__":{"role":"admin"},"principal":"apikey:target","role":"viewer","namespace":"sales","clearance":"internal"}' });
    assert.equal(reply.status, 400, show(reply));
    assert.equal((await p.store.access.listBindings()).length, bindings);
    notPolluted();
  });

  test('query strings with __proto__[admin] or constructor[prototype] are refused by the strict query schema and pollute nothing', async () => {
    for (const query of ['__proto__[admin]=1', '__proto__=1', 'constructor[prototype][admin]=1', '__proto__.admin=1']) {
      const reply = await p.call('GET', `/api/v1/pipelines?${query}`, { key: admin });
      notPolluted();
      assert.equal(reply.status, 400, `${query}: ${show(reply)}`);
      assert.equal(errorOf(reply).code, 'SLUICE_REQUEST_INVALID');
    }
    // Still working afterwards, and nothing leaked into the answers.
    const ok = await p.call('GET', '/api/v1/pipelines', { key: admin });
    assert.equal(ok.status, 200, show(ok));
    notPolluted();
  });
});

// ---------------------------------------------------------------------------------------------------------------
// 5. Oversized body
// ---------------------------------------------------------------------------------------------------------------

describe('oversized body: more than 1 MiB is refused before it is parsed', () => {
  let p: TestPlane;
  let engineer: string;

  before(async () => {
    p = await startTestPlane();
    engineer = (await p.apiKey('engineer')).key;
  });
  after(async () => await p?.close());

  test('PUT of a pipeline with a body over 1 MiB answers 413 SLUICE_REQUEST_INVALID, and the server serves the next request', async () => {
    const entry = await p.plane.pipelines.get('sales', 'customers');
    assert.ok(entry);
    const spec = await readFile(entry.file, 'utf8');
    const huge = `${customersSpec('customers', 100)}# ${'x'.repeat(1024 * 1024 + 1)}\n`;
    const reply = await p.call('PUT', '/api/v1/pipelines/sales/customers', { key: engineer, body: { spec: huge } });
    assert.equal(reply.status, 413, show(reply));
    assert.equal(errorOf(reply).code, 'SLUICE_REQUEST_INVALID');
    assert.equal(await readFile(entry.file, 'utf8'), spec, 'nothing was written');
    const next = await p.call('GET', '/api/v1/pipelines/sales/customers', { key: engineer });
    assert.equal(next.status, 200, show(next));
    const health = await p.call('GET', '/api/v1/health');
    assert.equal(health.status, 200, show(health));
  });
});

// ---------------------------------------------------------------------------------------------------------------
// 6–7. Scopes and custom roles
// ---------------------------------------------------------------------------------------------------------------

describe('scopes narrow roles; custom roles give exactly their permissions', () => {
  let p: TestPlane;

  before(async () => {
    p = await startTestPlane({
      customRoles: {
        'run-only': { description: '', permissions: ['pipelines:read', 'pipelines:run'] },
        // A custom role may not redefine a built-in one: the built-in admin must win.
        admin: { description: 'shadow', permissions: ['pipelines:read'] },
      },
    });
  });
  after(async () => await p?.close());

  test('an admin key with scopes [runs:read] may list runs but not keys, pipelines or access', async () => {
    const { key } = await p.apiKey('admin', { scopes: ['runs:read'] });
    const runs = await p.call('GET', '/api/v1/runs', { key });
    assert.equal(runs.status, 200, show(runs));
    for (const [method, path] of [
      ['GET', '/api/v1/keys'],
      ['GET', '/api/v1/pipelines'],
      ['GET', '/api/v1/api-keys'],
    ] as const) {
      const reply = await p.call(method, path, { key });
      assert.equal(reply.status, 403, `${method} ${path}: ${show(reply)}`);
      assert.equal(errorOf(reply).code, 'SLUICE_FORBIDDEN');
    }
  });

  test('a key bound to the custom role run-only may start a run (202) but not write the spec (403)', async () => {
    const { key } = await p.apiKey('run-only');
    const run = await p.call('POST', '/api/v1/pipelines/sales/customers/runs', { key });
    assert.equal(run.status, 202, show(run));
    assert.ok(run.headers.get('location')?.startsWith('/api/v1/runs/'));
    const read = await p.call('GET', '/api/v1/pipelines/sales/customers', { key });
    assert.equal(read.status, 200, show(read));
    const put = await p.call('PUT', '/api/v1/pipelines/sales/customers', { key, body: { spec: customersSpec('customers', 100) } });
    assert.equal(put.status, 403, show(put));
    assert.equal(errorOf(put).code, 'SLUICE_FORBIDDEN');
    const runs = await p.call('GET', '/api/v1/runs', { key });
    assert.equal(runs.status, 403, `run-only has no runs:read: ${show(runs)}`);
  });

  test('a custom role named like a built-in one does not replace it', async () => {
    const { key } = await p.apiKey('admin');
    const reply = await p.call('GET', '/api/v1/api-keys', { key });
    assert.equal(reply.status, 200, show(reply));
  });
});

// ---------------------------------------------------------------------------------------------------------------
// 8. Error hygiene
// ---------------------------------------------------------------------------------------------------------------

describe('errors never echo a planted secret and never carry a stack', () => {
  let p: TestPlane;
  let admin: string;
  let unbound: string;
  let realKeyId: string;
  // 43 base64url characters: the length of a real key's secret part, so a forged key is well-formed.
  const SECRET = randomBytes(32).toString('base64url');
  const STACK = /\n\s+at |\bat [\w.<>]+ \(|node:internal|\.ts:\d+:\d+/;

  before(async () => {
    p = await startTestPlane({ throttle: { maxFailures: 100_000 } });
    const created = await p.apiKey('admin');
    admin = created.key;
    realKeyId = created.principal.slice('apikey:'.length);
    unbound = (await p.apiKey(undefined)).key;
  });
  after(async () => await p?.close());

  const clean = (reply: Reply, what: string) => {
    assert.ok(reply.status >= 400, `${what} should fail: ${show(reply)}`);
    assert.ok(!reply.text.includes(SECRET), `${what} echoed the secret: ${show(reply)}`);
    assert.ok(!STACK.test(reply.text), `${what} carries a stack: ${show(reply)}`);
    errorOf(reply);
  };

  test('forged bearer credentials carrying a secret answer 401 without echoing it', async () => {
    const forged = [
      `slc_forgedkey000_${SECRET}`, // well-formed, unknown id
      `slc_${realKeyId}_${SECRET}`, // well-formed, a real id with a wrong secret
      `slc_${SECRET}`, // malformed key
      `eyJhbGciOiJIUzI1NiJ9.${SECRET}.${SECRET}`, // a JWT while no OIDC issuer is configured
    ];
    for (const credential of forged) {
      for (const path of ['/api/v1/pipelines', '/api/v1/api-keys', '/api/v1/whoami']) {
        const reply = await p.call('GET', path, { key: credential });
        assert.equal(reply.status, 401, `${credential.slice(0, 20)}… on ${path}: ${show(reply)}`);
        clean(reply, `forged credential on ${path}`);
      }
    }
    clean(await p.call('GET', '/api/v1/whoami', { headers: { authorization: `Basic ${SECRET}` } }), 'Basic authorization');
    clean(await p.call('GET', '/api/v1/whoami', { headers: { authorization: `Bearer ${SECRET} ${SECRET}` } }), 'malformed Bearer');
  });

  test('bodies and query strings carrying a secret in values are refused without echoing it', async () => {
    const cases: [string, string, { body?: unknown; rawBody?: string; key: string }][] = [
      ['POST', '/api/v1/api-keys', { key: admin, body: { name: 'x', scopes: [SECRET] } }],
      ['POST', '/api/v1/api-keys', { key: admin, body: { name: 'x', expiresInDays: SECRET } }],
      ['POST', '/api/v1/role-bindings', { key: admin, body: { principal: 'apikey:target', role: 'viewer', namespace: SECRET, clearance: SECRET } }],
      ['POST', '/api/v1/grants', { key: admin, body: { permission: SECRET, namespace: 'sales', reason: SECRET, durationMinutes: SECRET } }],
      ['PUT', '/api/v1/pipelines/sales/customers', { key: admin, body: { spec: `pipeline: customers\nsource:\n  file: { path: a.jsonl, password: "${SECRET}" }\n` } }],
      ['PUT', '/api/v1/pipelines/sales/customers', { key: admin, body: { spec: `pipeline: customers\nsource: { token: "${SECRET}" \n  : : [` } }],
      ['PUT', '/api/v1/pipelines/sales/customers', { key: unbound, body: { spec: SECRET } }],
      ['POST', '/api/v1/api-keys', { key: admin, rawBody: `{"name":"${SECRET}"` }],
      ['GET', `/api/v1/audit/events?from=${SECRET}&principal=x`, { key: admin }],
      ['GET', `/api/v1/runs?limit=${SECRET}`, { key: admin }],
      ['GET', `/api/v1/runs/${SECRET}`, { key: admin }],
      ['DELETE', `/api/v1/api-keys/${SECRET}`, { key: admin }],
    ];
    for (const [method, path, options] of cases) clean(await p.call(method, path, options), `${method} ${path.slice(0, 40)}`);
  });

  test('a role name in a role binding is not echoed back', async () => {
    clean(await p.call('POST', '/api/v1/role-bindings', { key: admin, body: { principal: 'apikey:target', role: SECRET, namespace: 'sales', clearance: 'internal' } }), 'unknown role');
  });

  test('a spec that does not load answers 400 without the server’s filesystem paths', async () => {
    const reply = await p.call('PUT', '/api/v1/pipelines/sales/customers', { key: admin, body: { spec: 'pipeline: customers\n' } });
    assert.equal(reply.status, 400, show(reply));
    assert.ok(!reply.text.includes(p.dir), `the answer discloses the server's state folder: ${show(reply)}`);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// 9–10. OpenAPI document and security headers
// ---------------------------------------------------------------------------------------------------------------

describe('the OpenAPI document and the security headers', () => {
  let p: TestPlane;
  let viewer: string;

  before(async () => {
    p = await startTestPlane();
    viewer = (await p.apiKey('viewer')).key;
  });
  after(async () => await p?.close());

  test('GET /api/v1/openapi.json (any authenticated caller) is OpenAPI 3.1.0 describing every route with its permission and body', async () => {
    const reply = await p.call('GET', '/api/v1/openapi.json', { key: (await p.apiKey(undefined)).key });
    assert.equal(reply.status, 200, show(reply));
    const document = reply.body as { openapi: string; paths: Record<string, Record<string, { 'x-sluice-permission'?: string; 'x-sluice-scope'?: string; requestBody?: unknown; parameters?: { name: string; in: string }[] }>> };
    assert.equal(document.openapi, '3.1.0');
    const problems: string[] = [];
    let operations = 0;
    for (const route of routeTable()) {
      const path = route.url.replace(/:([A-Za-z]+)/g, '{$1}');
      const operation = document.paths[path]?.[route.method.toLowerCase()];
      if (!operation) {
        problems.push(`${routeKey(route)}: not in paths`);
        continue;
      }
      const access = route.access;
      const permission = typeof access === 'object' ? access.permission : access;
      if (operation['x-sluice-permission'] !== permission) problems.push(`${routeKey(route)}: x-sluice-permission ${operation['x-sluice-permission']} ≠ ${permission}`);
      if (typeof access === 'object' && operation['x-sluice-scope'] !== access.scope) problems.push(`${routeKey(route)}: x-sluice-scope ${operation['x-sluice-scope']}`);
      if (route.body && !operation.requestBody) problems.push(`${routeKey(route)}: has a body but no requestBody`);
      if (!route.body && operation.requestBody) problems.push(`${routeKey(route)}: requestBody for a route with no body`);
      for (const [, name] of route.url.matchAll(/:([A-Za-z]+)/g)) {
        if (!operation.parameters?.some((q) => q.name === name && q.in === 'path')) problems.push(`${routeKey(route)}: path parameter ${name} undeclared`);
      }
    }
    for (const operationsOfPath of Object.values(document.paths)) operations += Object.keys(operationsOfPath).length;
    assert.deepEqual(problems, []);
    assert.equal(operations, routeTable().length, 'the document has operations that are not routes');
  });

  test('every answer carries HSTS, nosniff, CSP and no-store, whatever its status', async () => {
    const replies: [string, Reply][] = [
      ['200 public', await p.call('GET', '/api/v1/health')],
      ['200 authenticated', await p.call('GET', '/api/v1/pipelines', { key: viewer })],
      ['401', await p.call('GET', '/api/v1/pipelines')],
      ['403', await p.call('GET', '/api/v1/api-keys', { key: viewer })],
      ['400 malformed JSON', await p.call('POST', '/api/v1/grants', { key: viewer, rawBody: '{' })],
      ['404 unknown route', await p.call('GET', '/api/v1/no-such-route')],
    ];
    for (const [what, reply] of replies) {
      const h = reply.headers;
      assert.match(h.get('strict-transport-security') ?? '', /max-age=\d{7,}/, `${what}: strict-transport-security`);
      assert.equal(h.get('x-content-type-options'), 'nosniff', `${what}: x-content-type-options`);
      assert.match(h.get('content-security-policy') ?? '', /default-src 'none'/, `${what}: content-security-policy`);
      assert.equal(h.get('cache-control'), 'no-store', `${what}: cache-control`);
    }
  });

  test('an unknown route answers 404 JSON with code SLUICE_NOT_FOUND, with or without a credential', async () => {
    for (const reply of [await p.call('GET', '/api/v1/no-such-route'), await p.call('DELETE', '/api/v1/pipelines', { key: viewer }), await p.call('GET', '/api/v1/pipelines/', { key: viewer })]) {
      assert.equal(reply.status, 404, show(reply));
      assert.match(reply.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(errorOf(reply).code, 'SLUICE_NOT_FOUND');
    }
  });

  test('a caller cannot choose the request id (it would forge correlation in the audit log)', async () => {
    const reply = await p.call('GET', '/api/v1/pipelines', { headers: { 'x-request-id': 'forged-request-id' } });
    assert.equal(reply.status, 401);
    assert.notEqual(reply.headers.get('x-request-id'), 'forged-request-id');
    assert.notEqual(errorOf(reply).requestId, 'forged-request-id');
    const events = await p.store.queryAuditEvents({ action: 'auth.failure' });
    assert.ok(!events.some((e) => e.requestId === 'forged-request-id'));
  });
});
