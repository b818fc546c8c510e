// The message that carries one task from the coordinator to a worker, versioned: a worker refuses a message of
// another version by name instead of misreading it (coordinator and workers upgraded at different times).
import { z } from 'zod';
import { SluiceError } from '../errors.ts';

/** The version of the task message this Sluice writes and reads. */
export const TASK_MESSAGE_VERSION = 1;

/**
 * Only the task's identity: the worker takes everything else (the spec file, the range) from the state store, which
 * the coordinator wrote, and checks the spec against the run's hash. A forged message can at most name a task that
 * exists, which its worker then does as the coordinator recorded it.
 */
const taskMessageSchema = z.strictObject({
  v: z.literal(TASK_MESSAGE_VERSION),
  runId: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/),
  taskId: z.string().regex(/^t\d{6,9}$/),
});

export type TaskMessage = z.output<typeof taskMessageSchema>;

/** The id of the n-th task of a run (1-based): ordered, and part of its objects' names. */
export function taskId(n: number): string {
  return `t${String(n).padStart(6, '0')}`;
}

export function encodeTask(task: Omit<TaskMessage, 'v'>): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ v: TASK_MESSAGE_VERSION, ...task }));
}

/** Parses a task message; SLUICE_TASK_INVALID names what is wrong (never quoting the payload). */
export function decodeTask(data: Uint8Array): TaskMessage {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data));
  } catch {
    throw new SluiceError('SLUICE_TASK_INVALID', `a task message of ${data.length} bytes is not UTF-8 JSON; it was not written by a Sluice coordinator`);
  }
  const version = typeof value === 'object' && value !== null ? (value as { v?: unknown }).v : undefined;
  if (version !== TASK_MESSAGE_VERSION) {
    throw new SluiceError(
      'SLUICE_TASK_INVALID',
      `a task message has ${describeVersion(version)}, but this worker reads version ${TASK_MESSAGE_VERSION}; run the same Sluice version on the coordinator and the workers`,
    );
  }
  const parsed = taskMessageSchema.safeParse(value);
  if (!parsed.success) {
    const where = parsed.error.issues.map(describeIssue).join('; ');
    throw new SluiceError('SLUICE_TASK_INVALID', `a task message is malformed (${where})`);
  }
  return parsed.data;
}

/** The version as shown in an error: a small integer is ours to name; anything else is payload, named by its type. */
function describeVersion(version: unknown): string {
  if (version === undefined) return 'no version';
  if (typeof version === 'number' && Number.isSafeInteger(version) && Math.abs(version) < 1e6) return `version ${version}`;
  return `a version that is not a number (${version === null ? 'null' : Array.isArray(version) ? 'array' : typeof version})`;
}

/**
 * One schema issue, named by the top-level field only: keys below it (a position's) and unknown keys are the
 * sender's text, so they are counted, never quoted. Zod's messages for the remaining issues name the expected
 * type, pattern or size, never the value.
 */
function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `(message): ${issue.keys.length} unknown key(s)`;
  const [field] = issue.path;
  if (field === undefined) return `(message): ${issue.message}`;
  const nested = issue.path.length > 1 ? ' (in one of its entries)' : '';
  return `${String(field)}${nested}: ${issue.message}`;
}
