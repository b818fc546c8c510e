// Opens a pg pool from the shared connection options: TLS verify-full unless the loopback opt-out says otherwise,
// the password resolved from its secret reference each time a connection opens, and fixed session settings so
// that values come back in one exact, known text form.
import pg from 'pg';
import { checkServerIdentity } from 'node:tls';
import type { ConnectionOptions } from 'node:tls';
import { SluiceError } from '../../errors.ts';
import type { CreateContext } from '../../spec/component.ts';
import { parseDuration } from '../../spec/duration.ts';
import { loadClientTls } from '../../tls/client-tls.ts';
import type { PostgresConnectionOptions } from './connection-options.ts';
import { endpointLabel } from './connection-options.ts';
import { isAuthFailure } from './postgres-errors.ts';

/** Every connection says who it is, for pg_stat_activity and the server log. */
export const APPLICATION_NAME = 'sluice';

/**
 * Session settings, sent in the startup packet so that no statement can run without them: timestamps in UTC
 * and ISO form, intervals in ISO 8601, floats in their shortest exact form (PostgreSQL 12+), so every value's
 * text is exact and reads back as the same value.
 */
const SESSION_SETTINGS = ['TimeZone=UTC', 'DateStyle=ISO,MDY', 'IntervalStyle=iso_8601', 'extra_float_digits=1', 'client_encoding=UTF8'];

/**
 * A session left idle inside a transaction (a process that stalled mid-batch) is ended by the server after
 * this long, so it cannot hold locks on the target table.
 */
const IDLE_IN_TRANSACTION_MS = 60_000;

export interface PoolPurpose {
  /** Sources read only: their sessions refuse writes, whatever the spec's query tries. */
  readOnly: boolean;
  /** At most this many connections. */
  max: number;
}

function milliseconds(duration: string): number {
  const ms = parseDuration(duration);
  if (ms === undefined) throw new SluiceError('SLUICE_SPEC_INVALID', `'${duration}' is not a duration such as 10s or 5m`);
  return ms;
}

/** The TLS options pg hands node:tls, or false for the loopback opt-out. */
async function tlsFor(options: PostgresConnectionOptions, context: CreateContext): Promise<ConnectionOptions | false> {
  if (options.insecureNoTls === true) return false;
  const tls = await loadClientTls(options.tls, context.baseDir, context.secrets);
  const servername = options.tls?.servername;
  if (servername !== undefined) {
    // pg sets SNI to the host for a host name, which would have node:tls verify against the host instead of the
    // configured name: check the configured name, then any pins loadClientTls added.
    const pinned = tls.checkServerIdentity;
    tls.checkServerIdentity = (_host, certificate) => (pinned ?? checkServerIdentity)(servername, certificate);
  }
  return tls;
}

/**
 * A pool of connections to the server. It is lazy: nothing connects until the first query. Errors of idle
 * connections (the server restarted, a backend was terminated) are dropped with the connection; the next query
 * opens a new one.
 */
export async function openPool(options: PostgresConnectionOptions, context: CreateContext, purpose: PoolPurpose): Promise<pg.Pool> {
  const reference = options.password;
  const settings = purpose.readOnly ? [...SESSION_SETTINGS, 'default_transaction_read_only=on'] : SESSION_SETTINGS;
  const pool = new pg.Pool({
    host: options.host,
    port: options.port,
    database: options.database,
    user: options.user,
    // Always a function, so pg never falls back to PGPASSWORD or ~/.pgpass: credentials come only from references.
    password: async () => {
      if (reference === undefined) {
        throw new SluiceError('SLUICE_SECRET_UNAVAILABLE', `the server at ${endpointLabel(options)} asks for a password, but the connection options give none; add password: <secret reference>`);
      }
      if (!context.secrets) throw new SluiceError('SLUICE_SECRET_UNAVAILABLE', 'the PostgreSQL password is a secret reference, but no secret resolver was given');
      return (await context.secrets.resolve(reference)).reveal();
    },
    ssl: await tlsFor(options, context),
    sslnegotiation: 'postgres',
    application_name: APPLICATION_NAME,
    options: settings.map((setting) => `-c ${setting}`).join(' '),
    connectionTimeoutMillis: milliseconds(options.connectTimeout),
    statement_timeout: milliseconds(options.statementTimeout),
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
    keepAlive: true,
    max: purpose.max,
    idleTimeoutMillis: 30_000,
  });
  pool.on('error', () => undefined);
  return pool;
}

/** After a failure: forget a refused password, so the next connection (a retry) reads the reference again. */
export function forgetRefusedPassword(options: PostgresConnectionOptions, context: CreateContext, error: unknown): boolean {
  if (!isAuthFailure(error) || options.password === undefined) return false;
  context.secrets?.invalidate(options.password);
  return true;
}

/**
 * Runs `work` with a connection of its own and gives it back; a connection that failed is closed rather than
 * reused. While it is out, its errors (a backend terminated between two statements) fail the next query
 * instead of crashing the process as an unhandled 'error' event.
 */
export async function withConnection<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  const onError = (): void => undefined;
  client.on('error', onError);
  let failure: Error | undefined;
  try {
    return await work(client);
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    client.off('error', onError);
    client.release(failure);
  }
}
