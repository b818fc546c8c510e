// A run as the API shows it: its record with the namespace of its pipeline.
import { z } from 'zod';
import type { RunRecord } from '../../store/state-store.ts';

export const runSchema = z.strictObject({
  id: z.string(),
  pipeline: z.string(),
  namespace: z.string(),
  status: z.enum(['running', 'succeeded', 'failed', 'abandoned']),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  attempts: z.number(),
  totals: z.strictObject({
    recordsIn: z.number(),
    recordsOut: z.record(z.string(), z.number()),
    quarantined: z.number(),
    protectedFields: z.record(z.string(), z.number()),
    piiFound: z.record(z.string(), z.number()),
    unknownFieldsDropped: z.number(),
    batches: z.number(),
    activeMs: z.number(),
  }),
  error: z.string().optional(),
});

export type RunView = z.infer<typeof runSchema>;

export function toRunView(run: RunRecord, namespace: string): RunView {
  return {
    id: run.id,
    pipeline: run.pipeline,
    namespace,
    status: run.status,
    startedAt: run.startedAt,
    ...(run.finishedAt !== undefined ? { finishedAt: run.finishedAt } : {}),
    attempts: run.attempts,
    totals: run.totals,
    ...(run.error !== undefined ? { error: run.error } : {}),
  };
}
