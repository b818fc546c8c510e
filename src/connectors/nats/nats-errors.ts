// NATS client failures as Sluice errors: what failed, where (servers, stream, subject), whether retrying can
// help, and what to do. Client messages pass through the redaction registry: they never carry a credential.
import { errors as natsErrors } from '@nats-io/transport-node';
import { JetStreamApiError, JetStreamError } from '@nats-io/jetstream';
import type { ErrorCode } from '../../errors.ts';
import { SluiceError } from '../../errors.ts';
import { redactions } from '../../secrets/redaction.ts';

/** Where the failure happened, for the message. */
export interface NatsFailureContext {
  /** The connector's code: SLUICE_SOURCE_FAILED or SLUICE_SINK_WRITE_FAILED. */
  code: ErrorCode;
  /** What was being done, e.g. "connect to NATS at nats://127.0.0.1:4222". */
  action: string;
  /** The secret references the connection authenticated with, named when they are refused. */
  credentials: readonly string[];
}

export interface NatsFailure {
  error: SluiceError;
  /** True when the server refused the credentials: the caller invalidates their cached values. */
  credentialsRefused: boolean;
}

/** Node's codes for a server certificate that did not verify (node:tls, OpenSSL X509_V_ERR_*). */
const CERTIFICATE_CODES = /^(ERR_TLS_CERT_ALTNAME_INVALID|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_.*|CERT_.*|ERR_SSL_.*|ERR_TLS_.*)$/;

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The error and its causes, outermost first. */
function chain(error: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e: unknown = error; e !== undefined && e !== null && out.length < 5; e = (e as { cause?: unknown }).cause) out.push(e);
  return out;
}

function messageOf(error: unknown): string {
  return redactions.scrub(error instanceof Error ? error.message : String(error));
}

/** A NATS failure as a Sluice error, with its place and what to do. */
export function natsFailure(error: unknown, context: NatsFailureContext): NatsFailure {
  if (error instanceof SluiceError) return { error, credentialsRefused: false };
  const { code, action } = context;
  const fail = (message: string, retryable: boolean, credentialsRefused = false): NatsFailure => ({
    error: new SluiceError(code, message, { cause: error, retryable }),
    credentialsRefused,
  });
  const causes = chain(error);
  if (causes.some((e) => e instanceof natsErrors.AuthorizationError || e instanceof natsErrors.UserAuthenticationExpiredError)) {
    const which = context.credentials.length > 0 ? `the credentials from ${context.credentials.join(', ')}` : 'a connection without credentials';
    return fail(`cannot ${action}: the server refused ${which} (${messageOf(error)}); check that the secret holds valid credentials for this server`, false, context.credentials.length > 0);
  }
  if (causes.some((e) => e instanceof natsErrors.PermissionViolationError)) {
    return fail(`cannot ${action}: the server denied permission (${messageOf(error)}); grant the user publish/subscribe rights on the subject and on $JS.API.>`, false);
  }
  const certificate = causes.find((e) => CERTIFICATE_CODES.test(codeOf(e) ?? ''));
  if (certificate !== undefined) {
    return fail(`cannot ${action}: TLS failed (${codeOf(certificate) ?? ''}: ${messageOf(certificate)}); check tls.ca, tls.servername and tls.pins against the server's certificate`, false);
  }
  const message = messageOf(error);
  if (/does not support 'tls'|tls.*not available/i.test(message)) {
    return fail(`cannot ${action}: the server does not offer TLS, and Sluice reaches NATS only over TLS; enable TLS on the server, or for a server on this machine set insecureLoopbackPlaintext: true`, false);
  }
  if (error instanceof JetStreamApiError) {
    return fail(`cannot ${action}: JetStream answered ${error.code} (${message})`, error.status >= 500 || error.status === 408);
  }
  if (/jetstream is not enabled|jetstream not enabled/i.test(message)) {
    return fail(`cannot ${action}: JetStream is not enabled on the server (or for this account); start nats-server with -js`, false);
  }
  const transient =
    error instanceof natsErrors.ConnectionError ||
    error instanceof natsErrors.TimeoutError ||
    error instanceof natsErrors.ClosedConnectionError ||
    error instanceof natsErrors.RequestError ||
    error instanceof JetStreamError ||
    causes.some((e) => /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE)$/.test(codeOf(e) ?? ''));
  if (transient) return fail(`cannot ${action}: ${message}; check that the server runs and can be reached`, true);
  return fail(`cannot ${action}: ${message}`, false);
}
