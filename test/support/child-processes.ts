// Child processes of a test file: none outlives it, and stopping one cannot hang.
import type { ChildProcess } from 'node:child_process';
import { after } from 'node:test';

/** The processes the tests started that may still run. */
const spawned = new Set<ChildProcess>();

function killAll(): void {
  for (const running of spawned) running.kill('SIGKILL');
}

// Once the file's tests are done, whatever they started and did not stop is killed. A test that fails or times
// out before its cleanup would otherwise leave workers and coordinators behind, and their open pipes keep the
// test file's process (and the test run) from ever ending. (Registered at import, so it belongs to the file's
// root test. node's --test-force-exit would end such a file too, but on Node 20 it drops tests at random.)
after(killAll);
process.once('exit', killAll);

/** Kills `child` with SIGKILL once the test file's tests are done (or its process exits), if it still runs then. */
export function reapAtExit(child: ChildProcess): void {
  spawned.add(child);
  child.once('exit', () => spawned.delete(child));
}

/** Sends `signal`, and SIGKILL if the process has not exited `graceMs` later; resolves once it has exited. */
export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
