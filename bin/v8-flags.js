// The V8 settings the sluice command runs with, by command: chosen for each one's workload and measured in the
// benchmark harness, which runs each suite under the settings of the command it stands for (docs/performance.md,
// "V8 settings").
import { setFlagsFromString } from 'node:v8';

/** Set to 1, every command keeps Node's V8 defaults (and the bench's --no-v8-flags sets it for what suites start). */
export const V8_DEFAULTS_ENV = 'SLUICE_V8_DEFAULTS';

/**
 * For every command but those in LATENCY_COMMANDS: the ones that move data (run, worker, cat, keys rewrap, …) are
 * what it is for, and to the others it makes no difference. --no-concurrent-array-buffer-sweeping: every
 * node:crypto call returns its output in a new native ArrayBuffer (a cipher's update, final and tag, a hash), so
 * sealing a 1 KiB object leaves about seven of them dead. V8 frees dead ArrayBuffers on a background thread by
 * default; freed in the collection that found them, a 1 KiB object's CPU time measured about half (25-28 µs
 * against 14-15 in the same hour) and its wall time a tenth less. Pipelines' wall time did not change.
 */
export const THROUGHPUT_V8_FLAGS = ['--no-concurrent-array-buffer-sweeping'];

/**
 * Commands that answer requests keep V8's defaults: the sweeping the flag above moves into each collection
 * lengthens its pause, and the API's p99 latency at 1,000 requests/s measured 14-28 ms with it against 12-16
 * without (its target is 20).
 */
const LATENCY_COMMANDS = new Set(['serve', 'demo-api']);

/** The V8 flags for `verb` (the command as typed: "run", "keys rewrap"), unless `env` asks for Node's defaults. */
export function v8FlagsFor(verb, env = process.env) {
  if (env[V8_DEFAULTS_ENV] === '1') return [];
  return LATENCY_COMMANDS.has(verb.split(' ')[0]) ? [] : THROUGHPUT_V8_FLAGS;
}

/**
 * Sets the flags for `verb` in this process, before the command does any work. Node warns that flags changed at
 * run time may do nothing or worse; this one is safe to change: V8 reads it each time it decides how to sweep
 * (ArrayBufferSweeper::RequestSweep), and the heap finishes any sweep in progress before it asks for the next one
 * (EnsureFinished), whatever the flag says.
 */
export function applyV8Flags(verb) {
  for (const flag of v8FlagsFor(verb)) setFlagsFromString(flag);
}
