// What a second core is worth to the end-to-end pipeline on this machine: pipelines in worker threads of one
// process, each over its share of the records, run at once. Sluice runs a pipeline on one thread; this measures
// how much running batches on more threads could give before anyone builds it.
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';

/** Threads, each with its share of `records` ready, that run their pipelines at once on request. */
export interface PipelineThreads {
  /** All threads' pipelines at once; resolves to the wall time in ms until the last one is done. */
  runAll(): Promise<number>;
  stop(): Promise<void>;
}

async function reply(thread: Worker): Promise<{ ms?: number; error?: string; ready?: boolean }> {
  const [message] = (await once(thread, 'message')) as [{ ms?: number; error?: string; ready?: boolean }];
  if (message.error !== undefined) throw new Error(`a pipeline thread failed: ${message.error}`);
  return message;
}

/** Starts `count` threads with `records / count` customers each (seeds from `seed` on). */
export async function startPipelineThreads(count: number, records: number, seed: number): Promise<PipelineThreads> {
  const threads = Array.from({ length: count }, (_, i) => new Worker(new URL('./pipeline-thread.mjs', import.meta.url), { workerData: { records: Math.floor(records / count), seed: seed + i } }));
  await Promise.all(threads.map(reply));
  return {
    async runAll() {
      const started = performance.now();
      await Promise.all(
        threads.map(async (thread) => {
          thread.postMessage('run');
          await reply(thread);
        }),
      );
      return performance.now() - started;
    },
    async stop() {
      await Promise.all(
        threads.map(async (thread) => {
          thread.postMessage('stop');
          await once(thread, 'exit');
        }),
      );
    },
  };
}
