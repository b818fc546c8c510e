// Opening the embedded store's SQLite file so that several Sluice processes can open it at once.
//
// `busy_timeout` makes a statement wait for another process's lock, but not every lock SQLite takes goes through
// the busy handler: a read transaction upgraded to a write one (as switching a new file to WAL does) gets
// SQLITE_BUSY at once. So:
// - opening takes no write lock when there is nothing to change (WAL is set once, in the file; the schema
//   version is read before a write transaction is begun);
// - the whole opening is retried, with backoff, while SQLite answers busy, within OPEN_BUDGET_MS.
import Database from 'better-sqlite3';
import { SluiceError } from '../../errors.ts';

/** How long one statement waits for another process's lock. */
export const BUSY_TIMEOUT_MS = 10_000;
/** How long opening keeps starting new attempts while the file is busy (an attempt may then wait BUSY_TIMEOUT_MS). */
export const OPEN_BUDGET_MS = 30_000;

/** SQLITE_BUSY and its extended codes (SQLITE_BUSY_SNAPSHOT, SQLITE_BUSY_RECOVERY, ...). */
export function isBusy(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/** SQLite stayed busy longer than Sluice waits: say whose lock it is likely to be and what to do. */
export function stateBusyError(file: string | undefined, cause: unknown): SluiceError {
  const store = file === undefined ? 'the state store' : `the state store ${file}`;
  return new SluiceError('SLUICE_STATE_BUSY', `${store} stayed locked by another Sluice process for longer than Sluice waits; retry when that process (a run, or a keys or erase command) is done`, { cause });
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread: opening is synchronous, and a few milliseconds of waiting beats failing the command. */
function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

export interface OpenTimings {
  busyTimeoutMs: number;
  budgetMs: number;
}

/**
 * Opens `file` and runs `prepare` on it (pragmas, migrations), retrying both while SQLite answers busy.
 * `prepare` must be safe to run again after a busy failure: each statement in it either changes nothing when
 * already done or runs in a transaction that rolls back.
 */
export function openDatabase(file: string, prepare: (db: Database.Database) => void, timings: OpenTimings = { busyTimeoutMs: BUSY_TIMEOUT_MS, budgetMs: OPEN_BUDGET_MS }): Database.Database {
  const deadline = Date.now() + timings.budgetMs;
  for (let attempt = 0; ; attempt++) {
    const db = new Database(file);
    try {
      // First, so that every later statement waits for another process's lock where SQLite lets it.
      db.pragma(`busy_timeout = ${timings.busyTimeoutMs}`);
      prepare(db);
      return db;
    } catch (error) {
      db.close();
      if (!isBusy(error) || Date.now() >= deadline) throw error;
      sleepSync(Math.min(5 * 2 ** attempt, 250, Math.max(1, deadline - Date.now())));
    }
  }
}

/** Switches the file to WAL only if it is not in WAL already: the switch needs the file to itself. */
export function useWriteAheadLog(db: Database.Database): void {
  // A read first: a new connection reports its default mode until it has read the file's header.
  db.prepare('SELECT count(*) FROM sqlite_master').pluck().get();
  if (db.pragma('journal_mode', { simple: true }) === 'wal') return;
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal') throw new Error(`SQLite kept journal mode '${String(mode)}' instead of WAL`);
}
