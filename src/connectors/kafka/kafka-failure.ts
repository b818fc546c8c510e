// Turns a kafkajs failure into a SluiceError that says what failed and what to do: authentication refusals
// invalidate the cached password and never quote the broker's reply; TLS and ACL refusals are final; the rest
// (brokers down, leaders moving, timeouts) is retryable, so the runtime backs off and tries again.
import { SluiceError } from '../../errors.ts';
import type { ErrorCode } from '../../errors.ts';
import type { SecretSource } from '../../spec/component.ts';
import type { KafkaConnectionOptions } from './kafka-options.ts';
import { PLAINTEXT_REFUSED } from './kafka-client.ts';

interface KafkaJSLike {
  name?: unknown;
  type?: unknown;
  code?: unknown;
  retriable?: unknown;
  message?: unknown;
  cause?: unknown;
}

/** The error and its causes, outermost first (kafkajs wraps a retried error in KafkaJSNumberOfRetriesExceeded). */
function chain(error: unknown): KafkaJSLike[] {
  const out: KafkaJSLike[] = [];
  for (let e = error; typeof e === 'object' && e !== null && out.length < 8; e = (e as KafkaJSLike).cause) out.push(e);
  return out;
}

const AUTHORIZATION = new Set(['TOPIC_AUTHORIZATION_FAILED', 'GROUP_AUTHORIZATION_FAILED', 'CLUSTER_AUTHORIZATION_FAILED', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED']);
const AUTHENTICATION = new Set(['SASL_AUTHENTICATION_FAILED', 'UNSUPPORTED_SASL_MECHANISM', 'ILLEGAL_SASL_STATE']);
/** OpenSSL's verification failures, as node:tls reports them: a wrong CA or host name does not heal on retry. */
const TLS_VERIFY = /^(?:ERR_TLS_CERT_ALTNAME_INVALID|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|CERT_|ERR_SSL_)/;

export interface FailureContext {
  connection: KafkaConnectionOptions;
  secrets?: SecretSource | undefined;
}

/** `what` names the place ("cannot read kafka topic orders at k1:9093"); the result adds why and the fix. */
export function kafkaFailure(code: ErrorCode, what: string, error: unknown, context: FailureContext): SluiceError {
  if (error instanceof SluiceError) return error;
  const errors = chain(error);
  const sasl = context.connection.sasl;
  if (sasl && errors.some((e) => e.name === 'KafkaJSSASLAuthenticationError' || AUTHENTICATION.has(String(e.type)))) {
    // The password may have been rotated: the next attempt (the next run) reads it again.
    context.secrets?.invalidate(sasl.password);
    // The broker's reply is not quoted: it is the broker's text, and Sluice vouches only for its own messages.
    const message = `${what}: the brokers refused SASL ${sasl.mechanism} authentication as '${sasl.username}'; check the user and the password behind ${sasl.password}`;
    return new SluiceError(code, message, { cause: error, retryable: false });
  }
  const authorization = errors.find((e) => AUTHORIZATION.has(String(e.type)));
  if (authorization) {
    const who = sasl ? `user '${sasl.username}'` : 'this client';
    return new SluiceError(code, `${what}: the brokers denied ${who} (${String(authorization.type)}); grant the ACL it needs`, { cause: error, retryable: false });
  }
  const tls = errors.find((e) => typeof e.code === 'string' && TLS_VERIFY.test(e.code));
  if (tls) {
    const fix = 'set tls.ca to the CA that signed the brokers\' certificates, or tls.servername to the name they carry';
    return new SluiceError(code, `${what}: the TLS certificate of a broker did not verify (${String(tls.code)}); ${fix}`, { cause: error, retryable: false });
  }
  if (errors.some((e) => typeof e.message === 'string' && e.message.includes(PLAINTEXT_REFUSED))) {
    const message = `${what}: the cluster named a broker that is not on this machine, and the connection has no TLS; configure tls (or, on a network you trust, insecurePlaintext: true)`;
    return new SluiceError('SLUICE_EGRESS_DENIED', message, { cause: error, retryable: false });
  }
  if (errors.some((e) => e.type === 'UNKNOWN_TOPIC_OR_PARTITION')) {
    // Retryable: a topic is often created by whoever produces to it, possibly moments from now.
    return new SluiceError(code, `${what}: the topic does not exist, or this client may not see it; create it, or check the name and the ACLs`, { cause: error, retryable: true });
  }
  const root = errors.at(-1) ?? {};
  const detail = typeof root.message === 'string' && root.message !== '' ? root.message : String(error);
  // kafkajs marks what is worth retrying; giving up after its own retries does not make the cause permanent.
  const retryable = errors.some((e) => e.retriable === true) && errors.every((e) => e.retriable !== false || e.name === 'KafkaJSNumberOfRetriesExceeded');
  return new SluiceError(code, `${what} (${detail})${retryable ? '; the brokers may be down or moving partitions' : ''}`, { cause: error, retryable });
}
