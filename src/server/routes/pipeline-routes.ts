// Pipelines: list, read, create or update, check, run; and the runs of a pipeline.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { SluiceError } from '../../errors.ts';
import { covers } from '../../auth/authorizer.ts';
import { defineRoute } from '../route.ts';
import type { AnyRoute, RouteContext } from '../route.ts';
import type { CatalogEntry } from '../pipeline-catalog.ts';
import { catalogName, empty, limit, namespaceParams } from './api-schemas.ts';
import { runSchema, toRunView } from './run-view.ts';
import { auditedAct } from './audited-act.ts';

const pipelineSummary = z.strictObject({ namespace: z.string(), name: z.string(), running: z.boolean() });
const findingSchema = z.strictObject({ severity: z.string(), rule: z.string(), message: z.string(), field: z.string().optional(), fix: z.string() });

/** The catalogued pipeline named in the path, if the caller may see it: 404 otherwise, whichever it is. */
async function found(context: RouteContext<z.infer<typeof namespaceParams>, unknown, unknown>): Promise<CatalogEntry> {
  const entry = await context.plane.pipelines.get(context.params.namespace, context.params.name);
  await context.authorize(context.params.namespace);
  if (!entry) throw new SluiceError('SLUICE_NOT_FOUND', 'no such object');
  return entry;
}

export function pipelineRoutes(): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/pipelines',
      summary: 'Pipelines in the namespaces the caller may read',
      tag: 'pipelines',
      access: { permission: 'pipelines:read', scope: 'namespaced' },
      query: z.strictObject({ namespace: catalogName.optional() }),
      response: z.strictObject({ pipelines: z.array(pipelineSummary) }),
      handler: async ({ plane, query, visibleNamespaces }) => {
        const visible = await visibleNamespaces();
        const active = plane.runner.active();
        const pipelines = (await plane.pipelines.list())
          .filter((e) => covers(visible, e.namespace) && (query.namespace === undefined || e.namespace === query.namespace))
          .map((e) => ({ namespace: e.namespace, name: e.name, running: active.has(e.name) }));
        return { pipelines };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/pipelines/:namespace/:name',
      summary: 'A pipeline spec and its hash',
      tag: 'pipelines',
      access: { permission: 'pipelines:read', scope: 'namespaced' },
      params: namespaceParams,
      query: empty,
      response: z.strictObject({ namespace: z.string(), name: z.string(), spec: z.string(), specHash: z.string() }),
      handler: async (context) => {
        const entry = await found(context);
        const { text, specHash } = await context.plane.pipelines.text(entry);
        return { namespace: entry.namespace, name: entry.name, spec: text, specHash };
      },
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/pipelines/:namespace/:name',
      summary: 'Create or replace a pipeline spec (YAML text); refused if it does not load',
      tag: 'pipelines',
      access: { permission: 'pipelines:write', scope: 'namespaced' },
      params: namespaceParams,
      query: empty,
      body: z.strictObject({ spec: z.string().min(1).max(512 * 1024) }),
      response: z.strictObject({ namespace: z.string(), name: z.string(), created: z.boolean(), findings: z.array(findingSchema) }),
      handler: async (context) => {
        const { plane, params, body } = context;
        await context.authorize(params.namespace);
        // The hash of what this request writes (a concurrent PUT may replace the file right after).
        const specHash = createHash('sha256').update(body.spec).digest('hex');
        const { created, entry, checked } = await auditedAct(context, { action: 'config.change', resource: `pipeline:${params.name}`, details: { what: 'spec', namespace: params.namespace, specHash } }, () => plane.pipelines.write(params.namespace, params.name, body.spec));
        return { namespace: entry.namespace, name: entry.name, created, findings: checked.findings.map((f) => ({ severity: f.severity, rule: f.rule, message: f.message, fix: f.fix, ...(f.field !== undefined ? { field: f.field } : {}) })) };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/pipelines/:namespace/:name/check',
      summary: "Plan the pipeline and report its findings, as 'sluice check' does",
      tag: 'pipelines',
      access: { permission: 'pipelines:read', scope: 'namespaced' },
      params: namespaceParams,
      query: empty,
      response: z.strictObject({ ok: z.boolean(), findings: z.array(findingSchema) }),
      handler: async (context) => {
        const checked = await context.plane.pipelines.check(await found(context));
        const findings = checked.findings.map((f) => ({ severity: f.severity, rule: f.rule, message: f.message, fix: f.fix, ...(f.field !== undefined ? { field: f.field } : {}) }));
        return { ok: !findings.some((f) => f.severity === 'error'), findings };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/pipelines/:namespace/:name/runs',
      summary: 'Start a run (or resume an interrupted one); answers with its id while it runs',
      tag: 'pipelines',
      access: { permission: 'pipelines:run', scope: 'namespaced' },
      params: namespaceParams,
      query: empty,
      status: 202,
      response: z.strictObject({ runId: z.string() }),
      handler: async (context) => {
        const entry = await found(context);
        const { runId } = await context.plane.runner.start(entry, context.principal, context.requestId);
        context.header('location', `/api/v1/runs/${runId}`);
        return { runId };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/pipelines/:namespace/:name/runs',
      summary: 'Runs of a pipeline, newest first',
      tag: 'runs',
      access: { permission: 'runs:read', scope: 'namespaced' },
      params: namespaceParams,
      query: z.strictObject({ limit }),
      response: z.strictObject({ runs: z.array(runSchema) }),
      handler: async (context) => {
        const entry = await found(context);
        const runs = await context.plane.store.listRuns({ pipeline: entry.name, limit: context.query.limit });
        return { runs: runs.map((r) => toRunView(r, entry.namespace)) };
      },
    }),
  ];
}
