// Brings a PostgreSQL schema up to the version this Sluice knows, once, however many processes start together.
import { SluiceError } from '../../errors.ts';
import { POSTGRES_MIGRATIONS } from './postgres-migrations.ts';
import type { PostgresSession } from './postgres-session.ts';

/**
 * The advisory lock migrations hold ("sluice" and 01, as a bigint). One key for every schema in the database:
 * opening a store is rare, and a fixed key also covers CREATE SCHEMA, which two sessions racing would fail.
 */
const MIGRATION_LOCK = '32488873856820481';

/**
 * Creates the schema if it is missing and applies the migrations the schema_version table does not list, in one
 * transaction under a transaction-level advisory lock, reading the version inside it: a second process waits, then
 * finds the schema current. A schema newer than POSTGRES_MIGRATIONS is refused (a downgrade would misread it).
 */
export async function migrateSchema(session: PostgresSession, schema: string, quotedSchema: string): Promise<void> {
  await session.transaction(async (tx) => {
    await tx.run('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK]);
    // Looked up first: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege on the database even when the
    // schema exists, which a store given a schema of its own by an administrator may not have.
    if (!(await tx.row('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]))) await tx.run(`CREATE SCHEMA ${quotedSchema}`);
    // For this transaction only: the migrations name tables unqualified.
    await tx.run("SELECT set_config('search_path', $1, true)", [quotedSchema]);
    await tx.run('CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, applied_at text NOT NULL)');
    const current = (await tx.row<{ version: number }>('SELECT COALESCE(MAX(version), 0) AS version FROM schema_version'))?.version ?? 0;
    if (current > POSTGRES_MIGRATIONS.length) {
      throw new SluiceError(
        'SLUICE_STATE_STORE',
        `the state store in PostgreSQL schema ${schema} has schema version ${current}, newer than this Sluice knows (${POSTGRES_MIGRATIONS.length}); upgrade Sluice`,
      );
    }
    for (let version = current; version < POSTGRES_MIGRATIONS.length; version++) {
      // Without parameters, so pg sends it as a simple query: one entry may hold several statements.
      await tx.run(POSTGRES_MIGRATIONS[version] ?? '');
      await tx.run('INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)', [version + 1, new Date().toISOString()]);
    }
  });
}

/**
 * Checks, without changing anything, that the schema is at exactly the version this Sluice knows: what a process
 * that must not migrate does (a cluster worker, whose database role has no DDL rights). The coordinator migrates.
 */
export async function checkSchemaVersion(session: PostgresSession, schema: string, quotedSchema: string): Promise<void> {
  const exists = await session.row('SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = $2', [schema, 'schema_version']);
  const current = exists ? ((await session.row<{ version: number }>(`SELECT COALESCE(MAX(version), 0) AS version FROM ${quotedSchema}.schema_version`))?.version ?? 0) : 0;
  const known = POSTGRES_MIGRATIONS.length;
  if (current === known) return;
  if (current > known) {
    throw new SluiceError('SLUICE_STATE_STORE', `the state store in PostgreSQL schema ${schema} has schema version ${current}, newer than this Sluice knows (${known}); upgrade Sluice`);
  }
  throw new SluiceError(
    'SLUICE_STATE_STORE',
    current === 0
      ? `the state store in PostgreSQL schema ${schema} is not set up yet; start the coordinator (sluice run --cluster or serve --cluster, which creates and migrates it) before the workers`
      : `the state store in PostgreSQL schema ${schema} has schema version ${current}, older than this Sluice (${known}); let a coordinator of this version migrate it first`,
  );
}
