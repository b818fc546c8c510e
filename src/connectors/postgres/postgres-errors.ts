// PostgreSQL and driver failures as Sluice errors: which ones are worth retrying, and what the message may say
// (a server message about a value quotes the value, which may be personal data, so those are not repeated).
import { SluiceError } from '../../errors.ts';
import type { ErrorCode } from '../../errors.ts';

/**
 * SQLSTATEs a retry may get past (PostgreSQL Appendix A): the connection failed (class 08), the server is
 * shutting down or starting (57P01-57P03, the first being what pg_terminate_backend sends), serialization
 * failures and deadlocks (40001, 40P01), too many connections or out of resources (53xxx), a statement
 * timeout or lock wait that ran out (57014, 55P03).
 */
const RETRYABLE_STATES = new Set(['57P01', '57P02', '57P03', '40001', '40P01', '57014', '55P03', '53000', '53100', '53200', '53300', '53400']);

/** Socket errors from Node that mean "the network or the server was away for a moment". */
const RETRYABLE_SOCKET_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EAI_AGAIN']);

/** The driver's own messages for a connection that went away or never came (pg 8.x). */
const DRIVER_CONNECTION_LOST = /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect|Query read timeout|Connection ended unexpectedly)/;

/** TLS verification failures from node:tls: the certificate is untrusted, expired or for another name. */
const TLS_CODES = /^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(VERIFY_LEAF_SIGNATURE|GET_ISSUER_CERT(_LOCALLY)?)|CERT_|ERR_TLS_CERT_ALTNAME_INVALID|ERR_SSL_|HOSTNAME_MISMATCH)/;

/** Classes whose server messages are about the server or the schema, never about a value (safe to repeat). */
const SAFE_MESSAGE_CLASSES = new Set(['08', '28', '3D', '3F', '42', '53', '54', '55', '57', '58', '0A', '25', '40', 'XX']);

interface PgErrorFields {
  code?: unknown;
  message?: unknown;
  column?: unknown;
  table?: unknown;
}

function fieldsOf(error: unknown): PgErrorFields {
  return typeof error === 'object' && error !== null ? error : {};
}

/** The SQLSTATE of a server error (five characters), or undefined for a driver or socket error. */
export function sqlState(error: unknown): string | undefined {
  const code = fieldsOf(error).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** Whether the server refused the credentials: invalid_password or invalid_authorization_specification. */
export function isAuthFailure(error: unknown): boolean {
  const state = sqlState(error);
  return state === '28P01' || state === '28000';
}

/** Whether the failure is one a retry (a new connection, a little later) may get past. */
export function isTransientPostgresError(error: unknown): boolean {
  if (error instanceof SluiceError) return error.retryable;
  const state = sqlState(error);
  if (state !== undefined) return state.startsWith('08') || RETRYABLE_STATES.has(state);
  const { code, message } = fieldsOf(error);
  if (typeof code === 'string' && RETRYABLE_SOCKET_CODES.has(code)) return true;
  return typeof message === 'string' && DRIVER_CONNECTION_LOST.test(message);
}

/** What went wrong, in words that are safe to log: no value from a record, no credential. */
export function describePostgresError(error: unknown): string {
  const { code, message, column } = fieldsOf(error);
  const state = sqlState(error);
  const text = typeof message === 'string' ? message : String(error);
  if (state !== undefined) {
    // "invalid input syntax for type integer: "078-05-1120"" and the like quote the value: keep the code only.
    if (SAFE_MESSAGE_CLASSES.has(state.slice(0, 2))) return `${text} (SQLSTATE ${state})`;
    const where = typeof column === 'string' ? ` in column ${column}` : '';
    return `the server refused the data${where} (SQLSTATE ${state}; its message is not repeated, as it may quote a value)`;
  }
  if (typeof code === 'string' && TLS_CODES.test(code)) {
    return `the server's TLS certificate was refused (${code}): trust its CA with tls.ca, or set tls.servername to the name it was issued for`;
  }
  if (text === 'The server does not support SSL connections') return 'the server does not accept TLS; enable ssl on the server (TLS is required for a server on another machine)';
  return typeof code === 'string' ? `${text} (${code})` : text;
}

/** A driver or server failure as a Sluice error with `code`, naming `what` failed and whether to retry. */
export function postgresFailure(code: ErrorCode, what: string, error: unknown, retryable = isTransientPostgresError(error)): SluiceError {
  if (error instanceof SluiceError) return error;
  return new SluiceError(code, `${what}: ${describePostgresError(error)}`, { cause: error, retryable });
}
