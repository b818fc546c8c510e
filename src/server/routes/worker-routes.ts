// Cluster workers report to the control plane as themselves: the heartbeat route takes the worker's name from
// its client certificate (the mTLS principal), never from the request, so one worker cannot speak for another
// and an API key (a user) cannot pose as a worker at all.
import { z } from 'zod';
import { SluiceError } from '../../errors.ts';
import { defineRoute } from '../route.ts';
import type { AnyRoute } from '../route.ts';
import { empty } from './api-schemas.ts';

const MTLS_PREFIX = 'mtls:';

const workerView = z.strictObject({
  id: z.string(),
  host: z.string(),
  pid: z.number().int(),
  concurrency: z.number().int(),
  inFlight: z.number().int(),
  state: z.enum(['ready', 'draining', 'stopped']),
  startedAt: z.string(),
  lastSeenAt: z.string(),
});

const heartbeat = z.strictObject({
  // Printable ASCII only: `sluice workers` prints it to a terminal, where control characters would be obeyed.
  host: z.string().regex(/^[\x21-\x7e]{1,255}$/),
  pid: z.number().int().min(1).max(2 ** 31),
  concurrency: z.number().int().min(1).max(64),
  inFlight: z.number().int().min(0).max(64),
  state: z.enum(['ready', 'draining', 'stopped']),
  startedAt: z.string().datetime(),
});

export function workerRoutes(): AnyRoute[] {
  return [
    defineRoute({
      method: 'PUT',
      url: '/api/v1/workers/self',
      summary: "A worker's heartbeat; the worker is the one its client certificate names",
      tag: 'workers',
      access: { permission: 'workers:report', scope: 'global' },
      body: heartbeat,
      response: workerView,
      handler: async ({ principal, body, plane }) => {
        if (principal.kind !== 'service' || !principal.id.startsWith(MTLS_PREFIX)) {
          throw new SluiceError('SLUICE_USAGE', `only a worker with a client certificate reports heartbeats; ${principal.id} authenticated by ${principal.method}`);
        }
        const record = { id: principal.id.slice(MTLS_PREFIX.length), ...body, lastSeenAt: new Date().toISOString() };
        await plane.store.recordWorker(record);
        return record;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/workers',
      summary: 'Cluster workers and their last heartbeats',
      tag: 'workers',
      access: { permission: 'workers:read', scope: 'global' },
      query: empty,
      response: z.strictObject({ workers: z.array(workerView) }),
      handler: async ({ plane }) => ({ workers: await plane.store.listWorkers() }),
    }),
  ];
}
