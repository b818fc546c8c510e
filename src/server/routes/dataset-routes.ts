// Datasets: what each pipeline's sinks hold. Reading returns records with every field above the caller's
// clearance masked; tokens and subject-sealed values are turned back only for a caller holding data:detokenize
// or data:decrypt there (a role or a just-in-time grant), and even then only up to its clearance. Every read is
// audited before a record is released.
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { SluiceError, isSluiceError } from '../../errors.ts';
import { covers } from '../../auth/authorizer.ts';
import { actorOf } from '../../auth/principal.ts';
import type { Permission } from '../../auth/permissions.ts';
import { isWithin } from '../../spec/classification.ts';
import { TOKEN_PREFIX } from '../../crypto/tokens.ts';
import { ENCRYPTED_PREFIX } from '../../crypto/subjects/subject-keys.ts';
import { defineRoute } from '../route.ts';
import type { AnyRoute } from '../route.ts';
import type { ControlPlane } from '../control-plane.ts';
import type { CatalogEntry } from '../pipeline-catalog.ts';
import type { DatasetShape } from '../dataset-shape.ts';
import type { RunRecord } from '../../store/state-store.ts';
import { catalogName } from './api-schemas.ts';

/** What a field above the caller's clearance shows: its class, never its length or shape. */
export const MASKED_VALUE = '[masked]';

const fieldSchema = z.strictObject({ name: z.string(), class: z.string(), sourceClass: z.string(), protectedBy: z.string().optional(), revealable: z.enum(['tokens', 'subjects']).optional() });
const datasetSchema = z.strictObject({ namespace: z.string(), pipeline: z.string(), sink: z.string(), clearance: z.string(), fields: z.array(fieldSchema) });

function describe(entry: CatalogEntry, shape: DatasetShape): z.infer<typeof datasetSchema> {
  return {
    namespace: entry.namespace,
    pipeline: entry.name,
    sink: shape.sink,
    clearance: shape.clearance,
    fields: shape.fields.map((f) => ({ name: f.name, class: f.class, sourceClass: f.sourceClass, ...(f.protectedBy !== undefined ? { protectedBy: f.protectedBy } : {}), ...(f.token ? { revealable: 'tokens' as const } : f.subjectKey !== undefined ? { revealable: 'subjects' as const } : {}) })),
  };
}

async function shapesOf(plane: ControlPlane, entry: CatalogEntry): Promise<readonly DatasetShape[]> {
  try {
    return (await plane.pipelines.check(entry)).datasets ?? [];
  } catch (error) {
    // A spec that does not load describes no dataset (check says why).
    if (isSluiceError(error)) return [];
    throw error;
  }
}

/**
 * The run to read: the one asked for, else the newest succeeded run that wrote objects to the dataset. Only runs
 * made under the current spec: field classes come from the current plan, and an older spec may have left a field
 * in plaintext that the current one protects (masking it by today's class would release it).
 */
async function runToRead(plane: ControlPlane, entry: CatalogEntry, specHash: string, prefix: string, runId: string | undefined): Promise<{ run: RunRecord; objects: string[] }> {
  const objectsOf = async (run: RunRecord) => (await plane.store.listObjects({ runId: run.id })).filter((o) => o.location.startsWith(prefix)).map((o) => o.location);
  if (runId !== undefined) {
    const run = await plane.store.getRun(runId);
    if (!run || run.pipeline !== entry.name) throw new SluiceError('SLUICE_NOT_FOUND', 'no such object');
    if (run.specHash !== specHash) throw new SluiceError('SLUICE_CONFLICT', `run ${run.id} was written under another version of the spec, whose field classes may differ; it cannot be read through the API (sluice cat reads it where it lives)`);
    return { run, objects: await objectsOf(run) };
  }
  for (const run of await plane.store.listRuns({ pipeline: entry.name, limit: 50 })) {
    if (run.status !== 'succeeded' || run.specHash !== specHash) continue;
    const objects = await objectsOf(run);
    if (objects.length > 0) return { run, objects };
  }
  throw new SluiceError('SLUICE_NOT_FOUND', 'this dataset has no records under its current spec yet: no succeeded run of this spec wrote any');
}

export function datasetRoutes(): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/datasets',
      summary: 'Datasets (one per sink of each pipeline) in the namespaces the caller may read, with field classes',
      tag: 'datasets',
      access: { permission: 'datasets:read', scope: 'namespaced' },
      query: z.strictObject({ namespace: catalogName.optional() }),
      response: z.strictObject({ datasets: z.array(datasetSchema) }),
      handler: async ({ plane, query, visibleNamespaces }) => {
        const visible = await visibleNamespaces();
        const datasets: z.infer<typeof datasetSchema>[] = [];
        for (const entry of await plane.pipelines.list()) {
          if (!covers(visible, entry.namespace) || (query.namespace !== undefined && entry.namespace !== query.namespace)) continue;
          for (const shape of await shapesOf(plane, entry)) datasets.push(describe(entry, shape));
        }
        return { datasets };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/datasets/:namespace/:name/:sink/records',
      summary: "Records of a dataset, fields above the caller's clearance masked; reveal=tokens or subjects turns protected values back (data:detokenize or data:decrypt), up to the clearance",
      tag: 'datasets',
      access: { permission: 'datasets:read', scope: 'namespaced' },
      params: z.strictObject({ namespace: catalogName, name: catalogName, sink: z.string().min(1).max(63) }),
      query: z.strictObject({
        run: z.string().min(1).max(100).optional(),
        offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
        limit: z.coerce.number().int().min(1).max(1000).default(100),
        reveal: z.enum(['none', 'tokens', 'subjects']).default('none'),
      }),
      response: z.strictObject({
        dataset: datasetSchema,
        run: z.string(),
        clearance: z.string(),
        masked: z.array(z.string()),
        records: z.array(z.record(z.string(), z.unknown())),
        nextOffset: z.number().optional(),
      }),
      handler: async ({ plane, params, query, principal, requestId, sourceAddress, authorize }) => {
        const entry = await plane.pipelines.get(params.namespace, params.name);
        const decision = await authorize(params.namespace);
        const shape = entry ? (await shapesOf(plane, entry)).find((s) => s.sink === params.sink) : undefined;
        if (!entry || !shape) throw new SluiceError('SLUICE_NOT_FOUND', 'no such object');
        const revealPermission: Permission | undefined = query.reveal === 'tokens' ? 'data:detokenize' : query.reveal === 'subjects' ? 'data:decrypt' : undefined;
        const revealDecision = revealPermission ? await plane.authorizer.decide(principal, revealPermission, params.namespace) : undefined;
        if (revealPermission && !revealDecision?.allowed) {
          await plane.audit.append({ time: new Date().toISOString(), actor: actorOf(principal), action: 'access.denied', resource: `dataset:${entry.name}/${shape.sink}`, outcome: 'denied', reason: revealPermission, requestId, source: sourceAddress });
          throw new SluiceError('SLUICE_FORBIDDEN', `reveal=${query.reveal} needs ${revealPermission} in namespace ${params.namespace}; ask for it with POST /api/v1/grants`);
        }
        if (!plane.datasets || shape.target === undefined || !isAbsolute(shape.target)) throw new SluiceError('SLUICE_USAGE', 'this dataset cannot be read through this server (no keyring, or its sink does not store objects here)');
        const prefix = `${pathToFileURL(shape.target).href}/`;
        const { specHash } = await plane.pipelines.text(entry);
        const { run, objects } = await runToRead(plane, entry, specHash, prefix, query.run);

        // Read the page of records (at most `limit` after `offset`), then mask what is above the clearance.
        const raw: Record<string, unknown>[] = [];
        let seen = 0;
        let more = false;
        outer: for (const location of objects) {
          for await (const line of plane.datasets.lines(location, { pipeline: entry.name, dataset: shape.sink, run: run.id })) {
            if (seen++ < query.offset) continue;
            if (raw.length === query.limit) {
              more = true;
              break outer;
            }
            raw.push(JSON.parse(line) as Record<string, unknown>);
          }
        }
        const masked = new Set<string>();
        let revealed = 0;
        const records: Record<string, unknown>[] = [];
        for (const record of raw) {
          const out: Record<string, unknown> = {};
          for (const field of shape.fields) {
            let value = record[field.name];
            let level = field.class;
            if (query.reveal === 'tokens' && field.token && typeof value === 'string' && value.startsWith(TOKEN_PREFIX) && isWithin(field.sourceClass, decision.clearance)) {
              value = await plane.datasets.detokenize(value, field.token.key, field.token.domain);
              level = field.sourceClass;
              revealed++;
            } else if (query.reveal === 'subjects' && field.subjectKey !== undefined && typeof value === 'string' && value.startsWith(ENCRYPTED_PREFIX) && isWithin(field.sourceClass, decision.clearance)) {
              try {
                value = await plane.datasets.openSubject(value, field.subjectKey);
                level = field.sourceClass;
                revealed++;
              } catch (error) {
                if (!isSluiceError(error, 'SLUICE_SUBJECT_ERASED')) throw error;
                value = '[erased]';
              }
            }
            if (!isWithin(level, decision.clearance)) {
              value = MASKED_VALUE;
              masked.add(field.name);
            }
            // Fields the plan does not name are never returned (deny by default).
            if (value !== undefined) out[field.name] = value;
          }
          records.push(out);
        }
        // On record before any record leaves (fail closed): what was read, by whom, up to which clearance.
        const details = { dataset: `${entry.namespace}/${entry.name}/${shape.sink}`, run: run.id, records: records.length, objects: objects.length, clearance: decision.clearance, masked: masked.size, reveal: query.reveal };
        await plane.audit.append({ time: new Date().toISOString(), actor: actorOf(principal), action: 'data.read', resource: `dataset:${entry.name}/${shape.sink}`, outcome: 'success', requestId, source: sourceAddress, details });
        if (revealed > 0) {
          await plane.audit.append({ time: new Date().toISOString(), actor: actorOf(principal), action: query.reveal === 'tokens' ? 'data.detokenize' : 'data.decrypt', resource: `dataset:${entry.name}/${shape.sink}`, outcome: 'success', requestId, source: sourceAddress, details: { count: revealed, reveal: query.reveal, via: revealDecision?.via ?? '' } });
        }
        return { dataset: describe(entry, shape), run: run.id, clearance: decision.clearance, masked: [...masked].sort(), records, ...(more ? { nextOffset: query.offset + records.length } : {}) };
      },
    }),
  ];
}
