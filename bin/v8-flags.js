// The V8 settings the sluice command runs with: chosen for Sluice's workload and measured in the benchmark
// harness, which runs its suites under the same ones (docs/performance.md, "V8 settings").
import { setFlagsFromString } from 'node:v8';

/**
 * --no-concurrent-array-buffer-sweeping: every node:crypto call returns its output in a new native ArrayBuffer
 * (a cipher's update, final and tag, a hash), so sealing a 1 KiB object leaves about seven of them dead. V8 frees
 * dead ArrayBuffers on a background thread by default; freed here in the collection that found them, a 1 KiB
 * object's CPU time measured about half (30 µs against 15 on one machine in the same hour) and its wall time a
 * tenth less. Pipelines' wall time did not change.
 */
export const V8_FLAGS = ['--no-concurrent-array-buffer-sweeping'];

/**
 * Sets V8_FLAGS in this process, before it does any work. Node warns that flags changed at run time may do
 * nothing or worse; this one is safe to change: V8 reads it each time it starts a sweep of ArrayBuffers
 * (ArrayBufferSweeper::RequestSweep), and both of its paths finish any sweep in progress first.
 */
export function applyV8Flags() {
  for (const flag of V8_FLAGS) setFlagsFromString(flag);
}
