// Runs the http source in tests: options parsed by its spec (defaults filled in), every batch read, and a
// retry wait that records the delays instead of sleeping through them.
import type { Source, SourceBatch, SourcePosition } from '../../src/connectors/source.ts';
import { createHttpSource } from '../../src/connectors/sources/http/http-source.ts';
import type { HttpSourceHooks } from '../../src/connectors/sources/http/http-source.ts';
import { httpSourceSpec } from '../../src/connectors/sources/http/http-source-spec.ts';
import type { SecretSource } from '../../src/spec/component.ts';

export interface HarnessOptions {
  /** The spec folder (where tls.ca is). */
  baseDir: string;
  secrets?: SecretSource;
  hooks?: HttpSourceHooks;
}

/** The delays the source asked to wait between attempts, in milliseconds. */
export function recordingWait(): { waits: number[]; wait: (ms: number) => Promise<void> } {
  const waits: number[] = [];
  return { waits, wait: async (ms) => void waits.push(ms) };
}

/** An http source from raw options, as a spec would give them. */
export function httpSourceFor(options: Record<string, unknown>, harness: HarnessOptions): Source {
  const parsed = httpSourceSpec.parse(options);
  const context = { baseDir: harness.baseDir, pipeline: 'http-test', ...(harness.secrets ? { secrets: harness.secrets } : {}) };
  return createHttpSource(parsed, context, { wait: recordingWait().wait, ...harness.hooks });
}

/** Every batch the source gives from `from`, the reader closed afterwards. */
export async function readBatches(source: Source, batchSize = 1000, from?: SourcePosition): Promise<SourceBatch[]> {
  const reader = await source.open(from, { follow: false });
  const batches: SourceBatch[] = [];
  try {
    for await (const batch of reader.batches(batchSize)) batches.push(batch);
  } finally {
    await reader.close();
  }
  return batches;
}

/** The records of the batches, in order, as plain objects (records have no prototype; deepEqual compares them). */
export function recordsIn(batches: readonly SourceBatch[]): Record<string, unknown>[] {
  return batches.flatMap((batch) => batch.records.map((record) => ({ ...(record as Record<string, unknown>) })));
}
