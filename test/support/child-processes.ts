// Child processes of a test file: none outlives it, and stopping one cannot hang.
import type { ChildProcess } from 'node:child_process';

/** The processes the tests started that may still run. */
const spawned = new Set<ChildProcess>();
let reaperInstalled = false;

/**
 * Kills `child` with SIGKILL when this test process exits, if it still runs then. A test that fails or times out
 * before its cleanup would otherwise leave workers and coordinators behind, and their open pipes keep the test
 * file (and the test run) from ever ending.
 */
export function reapAtExit(child: ChildProcess): void {
  spawned.add(child);
  child.once('exit', () => spawned.delete(child));
  if (reaperInstalled) return;
  reaperInstalled = true;
  process.once('exit', () => {
    for (const running of spawned) running.kill('SIGKILL');
  });
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
