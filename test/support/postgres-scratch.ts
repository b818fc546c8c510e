// A scratch schema with a random name in the local PostgreSQL (127.0.0.1:5432, trust auth), for one test: the
// connection options a spec would give, an admin pool to arrange and inspect tables, and cleanup.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The local server (../shared/stack.md): trust authentication over TCP, database `test`. */
export const LOCAL_POSTGRES = {
  host: '127.0.0.1',
  port: 5432,
  database: process.env.SLUICE_TEST_PGDATABASE ?? 'test',
  user: process.env.SLUICE_TEST_PGUSER ?? 'postgres',
} as const;

export interface Scratch {
  schema: string;
  /** Connection options for a spec: the local server without TLS (the loopback opt-out). */
  connection: { host: string; port: number; database: string; user: string; insecureNoTls: true };
  /** A pool for the test's own statements (not through Sluice). */
  admin: pg.Pool;
  /** `schema.name`, as a spec's table option names it. */
  table(name: string): string;
  query<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

/** Creates a schema of its own for a test; close() drops it with everything in it. */
export async function scratchSchema(prefix = 'sluice_t'): Promise<Scratch> {
  const schema = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Pool({ ...LOCAL_POSTGRES, max: 4, application_name: 'sluice-test-admin' });
  admin.on('error', () => undefined);
  await admin.query(`CREATE SCHEMA ${pg.escapeIdentifier(schema)}`);
  return {
    schema,
    connection: { ...LOCAL_POSTGRES, insecureNoTls: true },
    admin,
    table: (name) => `${schema}.${name}`,
    async query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []) {
      return (await admin.query<R>(text, values)).rows;
    },
    async close() {
      await admin.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
      await admin.end();
    },
  };
}

/**
 * Waits until a Sluice session in this schema's database blocks on a lock in a statement that mentions
 * `marker`, and returns its backend pid (for pg_terminate_backend). Fails after `ms` naming what it waited for.
 */
export async function blockedBackend(admin: pg.Pool, marker: string, ms = 60_000): Promise<number> {
  const deadline = Date.now() + ms;
  for (;;) {
    const rows = (
      await admin.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE application_name = 'sluice' AND wait_event_type = 'Lock' AND position($1 in query) > 0`,
        [marker],
      )
    ).rows;
    if (rows[0]) return rows[0].pid;
    if (Date.now() > deadline) throw new Error(`no Sluice session blocked on a lock in a statement mentioning ${marker} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
