// Runs the end-to-end pipeline in a worker thread over customers of its own, on request: the parent posts 'run'
// and gets the run's wall time in ms back; 'stop' ends the thread. See parallel-headroom.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareE2ePipeline } from './e2e-pipeline.ts';

const { records, seed } = workerData as { records: number; seed: number };
const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-thread-'));
const pipeline = await prepareE2ePipeline(dir, records, seed);
const port = parentPort!;
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
