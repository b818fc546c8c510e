// How the PostgreSQL state store talks to the server: parameterised statements on a pool, transactions on one
// client, int8 read as a JS number, and driver failures as SLUICE_STATE_STORE errors.
import pg from 'pg';
import { SluiceError } from '../../errors.ts';
import { APPLICATION_NAME } from '../../connectors/postgres/pool.ts';
import { postgresFailure } from '../../connectors/postgres/postgres-errors.ts';

/**
 * Where the store lives: a pool the caller owns (and ends), a pool handed over to the store (`owned`: it ends it
 * on close), or a connection string the store opens a pool on.
 */
export type PostgresStoreTarget = { pool: pg.Pool; owned?: boolean } | { connectionString: string };

/** int8 (sequence numbers, counts) as a JS number, refused rather than rounded past 2^53. */
function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new SluiceError('SLUICE_STATE_STORE', `the state store holds ${text}, beyond the integers JavaScript keeps exact`);
  return value;
}

/** SQLite reads a negative LIMIT as no limit; PostgreSQL refuses one, and reads NULL as no limit. */
export function sqlLimit(limit: number | undefined): number | null {
  return limit === undefined || limit < 0 ? null : limit;
}

/** int8's type OID (PostgreSQL's catalog, pg_type.dat): the one type whose text the store reads differently. */
const INT8_OID = 20;

/** Per query rather than per pool, so that a pool the caller passes in is not changed for its other users. */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): ((text: string) => unknown) =>
    oid === INT8_OID && format !== 'binary' ? parseInt8 : (pg.types.getTypeParser(oid, format) as (text: string) => unknown)) as typeof pg.types.getTypeParser,
};

/** A failure of the server or driver as a Sluice error; the pg error stays its cause (see runLockedOr). */
function storeFailure(error: unknown): SluiceError {
  return postgresFailure('SLUICE_STATE_STORE', 'the PostgreSQL state store failed', error);
}

/** Tables of a schema by name, qualified and quoted: `"schema".name` (the store never relies on search_path). */
export function tablesIn<N extends string>(quotedSchema: string, names: readonly N[]): Record<N, string> {
  return Object.fromEntries(names.map((name) => [name, `${quotedSchema}.${name}`])) as Record<N, string>;
}

/** Statements on a pool or on the client of a transaction. */
export class Queries {
  readonly #on: pg.Pool | pg.PoolClient;

  constructor(on: pg.Pool | pg.PoolClient) {
    this.#on = on;
  }

  async rows<R extends pg.QueryResultRow>(text: string, values: readonly unknown[] = []): Promise<R[]> {
    try {
      return (await this.#on.query<R>({ text, values: [...values], types: TYPES })).rows;
    } catch (error) {
      throw storeFailure(error);
    }
  }

  /** The first row, if any. */
  async row<R extends pg.QueryResultRow>(text: string, values: readonly unknown[] = []): Promise<R | undefined> {
    return (await this.rows<R>(text, values))[0];
  }

  /** Runs a statement and returns how many rows it changed. */
  async run(text: string, values: readonly unknown[] = []): Promise<number> {
    try {
      return (await this.#on.query({ text, values: [...values], types: TYPES })).rowCount ?? 0;
    } catch (error) {
      throw storeFailure(error);
    }
  }

  /** Rows as arrays of column values, in select-list order. */
  async tuples<R extends unknown[]>(text: string, values: readonly unknown[] = []): Promise<R[]> {
    try {
      return (await this.#on.query<R>({ text, values: [...values], types: TYPES, rowMode: 'array' })).rows;
    } catch (error) {
      throw storeFailure(error);
    }
  }
}

/** The store's connection to the server: single statements on the pool, transactions on one client. */
export class PostgresSession extends Queries {
  readonly #pool: pg.Pool;
  readonly #ownsPool: boolean;

  constructor(target: PostgresStoreTarget) {
    const ownsPool = !('pool' in target) || target.owned === true;
    // A connection string gets libpq's sslmode semantics; the CLI hands over a pool made by the connectors'
    // openPool instead (verify-full with the pinned TLS policy).
    const pool = 'pool' in target ? target.pool : new pg.Pool({ connectionString: target.connectionString, application_name: APPLICATION_NAME, max: 10, keepAlive: true, idleTimeoutMillis: 30_000 });
    // An idle connection that fails (the server restarted) is dropped by the pool; the next query opens another.
    if (!('pool' in target)) pool.on('error', () => undefined);
    super(pool);
    this.#pool = pool;
    this.#ownsPool = ownsPool;
  }

  /**
   * Runs `work` in one READ COMMITTED transaction on one client: committed if it returns, rolled back if it
   * throws. READ COMMITTED whatever the server's default, because the store's locking relies on it: each
   * statement after a lock wait sees what the transaction it waited for committed.
   */
  async transaction<T>(work: (tx: Queries) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw storeFailure(error);
    }
    // While the client is out of the pool its errors (a backend terminated between statements) would be an
    // unhandled 'error' event: they fail the next statement instead.
    const onError = (): void => undefined;
    client.on('error', onError);
    const tx = new Queries(client);
    let broken: Error | undefined;
    try {
      await tx.run('BEGIN ISOLATION LEVEL READ COMMITTED');
      const result = await work(tx);
      await tx.run('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackFailure: unknown) => {
        // A client that cannot roll back is in an unknown state: closed, not returned to the pool.
        broken = rollbackFailure instanceof Error ? rollbackFailure : new Error(String(rollbackFailure));
      });
      throw error;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  /** Ends the pool if the store opened it; a pool passed in belongs to the caller. */
  async end(): Promise<void> {
    if (this.#ownsPool) await this.#pool.end();
  }
}
