// The `cluster` section of the local settings: the NATS JetStream work queue that carries a cluster run's tasks
// from the coordinator to the workers, and how long a task may go without word from its worker.
import { z } from 'zod';
import { checkNatsConnection, natsConnectionShape } from '../connectors/nats/connection-options.ts';
import { durationSchema, parseDuration } from '../spec/duration.ts';

const streamName = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'letters, digits, _ and - only, at most 32');

export const clusterSettingsSchema = z
  .strictObject({
    nats: z
      .strictObject(natsConnectionShape)
      .superRefine((options, ctx) => checkNatsConnection(options, (path, message) => ctx.addIssue({ code: 'custom', path, message })))
      .describe('The NATS servers with JetStream that carry the tasks, as the NATS connectors take them (TLS unless insecureLoopbackPlaintext).'),
    stream: streamName.default('SLUICE_TASKS').describe('The work-queue stream of tasks; the dead-letter stream is <stream>_DEAD.'),
    ackWait: durationSchema.default('30s').describe('How long a task may go without an in-progress signal from its worker before it is delivered to another.'),
    maxDeliver: z.number().int().min(1).max(100).default(5).describe('Deliveries of a task before it goes to the dead-letter stream and its run fails.'),
    taskBytes: z
      .number()
      .int()
      .min(64 * 1024)
      .default(32 * 1024 * 1024)
      .describe('About how much of a splittable source (plain JSON Lines) one task reads; smaller spreads a run over more workers.'),
  })
  .optional()
  .describe('Cluster mode: `sluice run --cluster` splits runs into tasks on this work queue, and `sluice worker` processes them.');

export type ClusterSettings = NonNullable<z.output<typeof clusterSettingsSchema>>;

/** The ack wait in milliseconds (the schema has checked it parses). */
export function ackWaitMs(settings: ClusterSettings): number {
  return parseDuration(settings.ackWait) ?? 30_000;
}
