// What a second core is worth to the end-to-end pipeline on this machine: pipelines in worker threads of one
// process, each over its share of the records, run at once. Sluice runs a pipeline on one thread; this measures
// how much running batches on more threads could give before anyone builds it.
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';

/** Threads, each with its share of `records` ready, that run their pipelines at once on request. */
export interface PipelineThreads {
  /** All threads' pipelines at once; resolves to the slowest thread's run time in ms. */
  runAll(): Promise<number>;
  stop(): Promise<void>;
}

type ThreadMessage = { ms?: number; error?: string; ready?: boolean };

/** The thread's next message; throws if it reports an error, fails, or exits first (a hang otherwise). */
async function reply(thread: Worker): Promise<ThreadMessage> {
  const exited = once(thread, 'exit').then(([code]) => {
    throw new Error(`a pipeline thread exited (code ${String(code)}) before it answered`);
  });
  const [message] = (await Promise.race([once(thread, 'message'), exited])) as [ThreadMessage];
  exited.catch(() => undefined);
  if (message.error !== undefined) throw new Error(`a pipeline thread failed: ${message.error}`);
  return message;
}

/** Starts `count` threads with `records / count` customers each (seeds from `seed` on: the same generator, other records). */
export async function startPipelineThreads(count: number, records: number, seed: number): Promise<PipelineThreads> {
  const threads = Array.from({ length: count }, (_, i) => new Worker(new URL('./pipeline-thread.mjs', import.meta.url), { workerData: { records: Math.floor(records / count), seed: seed + i } }));
  try {
    await Promise.all(threads.map(reply));
  } catch (error) {
    // A thread that did not start is of no use, and the others would be left running.
    await Promise.allSettled(threads.map((thread) => thread.terminate()));
    throw error;
  }
  return {
    async runAll() {
      // The slowest thread's own run time: planning and removing outputs stay out, as in the suite's other rows.
      const times = await Promise.all(
        threads.map(async (thread) => {
          thread.postMessage('run');
          return (await reply(thread)).ms ?? 0;
        }),
      );
      return Math.max(...times);
    },
    async stop() {
      await Promise.allSettled(
        threads.map(async (thread) => {
          thread.postMessage('stop');
          await once(thread, 'exit');
        }),
      );
    },
  };
}
