// Runs node's test runner through tsx over an explicit list of test files.
// Node 20's runner takes no globs, and an empty list "passes" with 0 tests, so we list the files ourselves
// and refuse to run none.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { setTimeout, clearTimeout } from 'node:timers';

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const only = process.argv.slice(2);
const files = (only.length > 0 ? only : [...findTests('src'), ...findTests('test')]).sort();
if (files.length === 0) {
  console.error('run-tests: no *.test.ts files found under src/ or test/');
  process.exit(1);
}
// Hangs end as failures, never as a run that does not end (CI allows 90 minutes, and one stuck file would eat them):
// - every test, and every file as a whole, fails after FILE_LIMIT_MS (a test may declare a shorter timeout), and
//   the runner then kills the file's process;
// - the processes a test starts are killed once its file's tests are done (test/support/child-processes.ts);
// - the whole run is stopped after RUN_LIMIT_MS, with everything it started (it runs in a process group of its own).
// Not --test-force-exit: on Node 20.20 it ends a file's process before some of its tests report (measured: the
// IBAN detector's file reported 92 to 113 of its 113 tests over six runs), and the summary counts none as failed.
const FILE_LIMIT_MS = 15 * 60_000;
const RUN_LIMIT_MS = 45 * 60_000;
// The tests' scratch folders go in one folder of the run's own (os.tmpdir() reads TMPDIR), removed at the end:
// a test that fails before its cleanup leaves nothing behind on the machine.
const scratch = mkdtempSync(join(tmpdir(), 'sluice-tests-'));
const runner = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', `--test-timeout=${FILE_LIMIT_MS}`, ...files], {
  stdio: 'inherit',
  detached: true,
  env: { ...process.env, TMPDIR: scratch },
});
const stopGroup = (signal) => {
  try {
    process.kill(-runner.pid, signal);
  } catch {
    // The group is gone already.
  }
};
const watchdog = setTimeout(() => {
  console.error(`run-tests: the test run did not end within ${RUN_LIMIT_MS / 60_000} minutes; stopping it and every process it started`);
  stopGroup('SIGKILL');
}, RUN_LIMIT_MS);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stopGroup(signal));
runner.on('exit', (code, signal) => {
  clearTimeout(watchdog);
  // Whatever the tests left running (a worker, a server) goes with the run.
  stopGroup('SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
  process.exit(code ?? (signal ? 1 : 0));
});
