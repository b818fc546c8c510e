// Runs across pipelines: those of pipelines in namespaces the caller may read. A run of a pipeline that is not
// in the catalog (run from the command line elsewhere) belongs to no namespace: only '*' bindings see it.
import { z } from 'zod';
import { SluiceError } from '../../errors.ts';
import { ALL_NAMESPACES, covers } from '../../auth/authorizer.ts';
import { defineRoute } from '../route.ts';
import type { AnyRoute, StreamEvent } from '../route.ts';
import type { ControlPlane } from '../control-plane.ts';
import { catalogName, empty, idParams, limit } from './api-schemas.ts';
import type { RunRecord } from '../../store/state-store.ts';
import { runSchema, toRunView } from './run-view.ts';

async function namespaceOf(plane: ControlPlane): Promise<(pipeline: string) => string> {
  const byName = new Map((await plane.pipelines.list()).map((e) => [e.name, e.namespace]));
  return (pipeline) => byName.get(pipeline) ?? ALL_NAMESPACES;
}

export function runRoutes(): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/runs',
      summary: 'Runs the caller may see, newest first',
      tag: 'runs',
      access: { permission: 'runs:read', scope: 'namespaced' },
      query: z.strictObject({ pipeline: catalogName.optional(), limit }),
      response: z.strictObject({ runs: z.array(runSchema) }),
      handler: async ({ plane, query, visibleNamespaces }) => {
        const visible = await visibleNamespaces();
        const namespace = await namespaceOf(plane);
        let runs: RunRecord[];
        if (visible.has(ALL_NAMESPACES)) {
          runs = await plane.store.listRuns({ limit: query.limit, ...(query.pipeline !== undefined ? { pipeline: query.pipeline } : {}) });
        } else {
          // Only some namespaces: the newest runs of each visible pipeline, merged, so the page is full and exact.
          const pipelines = (await plane.pipelines.list()).filter((e) => covers(visible, e.namespace) && (query.pipeline === undefined || e.name === query.pipeline));
          const each = await Promise.all(pipelines.map((e) => plane.store.listRuns({ pipeline: e.name, limit: query.limit })));
          runs = each.flat().sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.id.localeCompare(a.id)).slice(0, query.limit);
        }
        return { runs: runs.map((r) => toRunView(r, namespace(r.pipeline))) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/runs/:id',
      summary: 'One run and its totals',
      tag: 'runs',
      access: { permission: 'runs:read', scope: 'namespaced' },
      params: idParams,
      query: empty,
      response: runSchema,
      handler: async ({ plane, params, authorize }) => {
        const run = await plane.store.getRun(params.id);
        const namespace = run ? (await namespaceOf(plane))(run.pipeline) : ALL_NAMESPACES;
        await authorize(namespace);
        if (!run) throw new SluiceError('SLUICE_NOT_FOUND', 'no such object');
        return toRunView(run, namespace);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/runs/:id/events',
      summary: "A run's live progress as server-sent events: 'progress' (records, bytes done, total) while it runs, then 'end' with the run",
      tag: 'runs',
      access: { permission: 'runs:read', scope: 'namespaced' },
      params: idParams,
      query: empty,
      eventStream: true,
      contentType: 'text/event-stream',
      response: z
        .custom<AsyncIterable<StreamEvent>>(() => true)
        .describe("server-sent events: 'progress' with {records, done, total?} (bytes), then 'end' with the run as GET /api/v1/runs/{id} gives it"),
      handler: async ({ plane, params, authorize, signal }) => {
        const run = await plane.store.getRun(params.id);
        const namespace = run ? (await namespaceOf(plane))(run.pipeline) : ALL_NAMESPACES;
        await authorize(namespace);
        if (!run) throw new SluiceError('SLUICE_NOT_FOUND', 'no such object');
        return (async function* (): AsyncGenerator<StreamEvent> {
          const channel = plane.progress.get(run.id);
          // At most four progress events a second: enough to watch, little enough for many watchers.
          while (channel && !channel.finished && !signal.aborted) {
            if (channel.last) yield { event: 'progress', data: channel.last };
            await channel.next(signal);
            await new Promise((resolve) => setTimeout(resolve, 250));
          }
          const final = await plane.store.getRun(run.id);
          if (final && !signal.aborted) yield { event: 'end', data: toRunView(final, namespace) };
        })();
      },
    }),
  ];
}
