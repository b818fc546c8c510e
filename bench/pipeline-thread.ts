// Runs the end-to-end pipeline in a worker thread over customers of its own, on request: the parent posts 'run'
// and gets the run's wall time in ms back; 'stop' ends the thread. See parallel-headroom.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareE2ePipeline } from './e2e-pipeline.ts';

const { records, seed } = workerData as { records: number; seed: number };
const port = parentPort!;
const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-thread-'));
let pipeline: Awaited<ReturnType<typeof prepareE2ePipeline>>;
try {
  pipeline = await prepareE2ePipeline(dir, records, seed);
} catch (error) {
  // Its input can run to tens of MB: removed before the failure reaches the parent.
  rmSync(dir, { recursive: true, force: true });
  throw error;
}
port.on('message', (message: 'run' | 'stop') => {
  if (message === 'run') {
    pipeline.run().then((ms) => port.postMessage({ ms }), (error: unknown) => port.postMessage({ error: String(error) }));
    return;
  }
  void pipeline.close().finally(() => {
    rmSync(dir, { recursive: true, force: true });
    port.close();
  });
});
port.postMessage({ ready: true });
