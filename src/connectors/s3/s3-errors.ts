// S3 failures as Sluice errors: what failed, where, and what to do, from the error's name and status only. The
// text S3 (or a look-alike server) sent back is never quoted: it is the remote's to choose, and it may echo a
// request detail. Credentials are named by their references, never by value.
import type { ErrorCode } from '../../errors.ts';
import { SluiceError } from '../../errors.ts';

/** What was being done when an S3 call failed. */
export interface S3FailurePlace {
  /** The connector's code: SLUICE_SINK_WRITE_FAILED or SLUICE_SOURCE_FAILED. */
  code: ErrorCode;
  /** What was attempted, e.g. "write s3://bucket/key" or "list s3://bucket/prefix". */
  action: string;
  bucket: string;
  /** Where requests go: the endpoint, or AWS's regional endpoint. */
  endpoint: string;
  /** The credential references in use (safe to show), or none for the SDK default chain. */
  credentials: readonly string[];
}

/** An S3 failure and whether it was about the credentials (so their cached values should be read again). */
export interface S3Failure {
  error: SluiceError;
  credentialsRefused: boolean;
}

/** S3 error names that mean the credentials themselves were refused. */
const REFUSED_CREDENTIALS = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'TokenRefreshRequired', 'InvalidClientTokenId', 'UnrecognizedClientException']);
/** S3 error names worth retrying: the service is busy or hiccupped (S3 error responses, "Error codes"). */
const TRANSIENT = new Set(['SlowDown', 'ServiceUnavailable', 'InternalError', 'RequestTimeout', 'RequestTimeTooSkewed', 'Throttling', 'ThrottlingException', 'TooManyRequestsException', 'TimeoutError', 'OperationAborted']);
/** Network failures from Node worth retrying. */
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET']);
/** The code given to a refusal by the SPKI pin check of tls.pins (src/tls/client-tls.ts), whose text is Sluice's own. */
export const PIN_MISMATCH = 'ERR_SLUICE_TLS_PIN_MISMATCH';
/** OpenSSL verification failures: the server's certificate was not accepted. */
const TLS_REFUSED = /^(?:ERR_TLS_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|UNABLE_TO_|HOSTNAME_MISMATCH$)/;

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

function field(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The credential references, as the fix names them. */
function credentialHint(place: S3FailurePlace): string {
  return place.credentials.length > 0
    ? `check the secrets ${place.credentials.join(', ')} and that the key is active`
    : 'check the credentials the AWS default chain found (environment, profile or role)';
}

/** Maps an error from the AWS SDK (or Node beneath it) to a SluiceError with a code, a place and a fix. */
export function s3Failure(error: unknown, place: S3FailurePlace): S3Failure {
  if (error instanceof SluiceError) return { error, credentialsRefused: false };
  const shape = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const name = field(shape.name) ?? 'Error';
  const systemCode = field(shape.code) ?? field((shape as { cause?: { code?: unknown } }).cause?.code);
  const status = typeof shape.$metadata?.httpStatusCode === 'number' ? shape.$metadata.httpStatusCode : undefined;
  const { code, action, bucket, endpoint } = place;
  const fail = (message: string, retryable = false, credentialsRefused = false): S3Failure => ({
    error: new SluiceError(code, `cannot ${action}: ${message}`, { cause: error, retryable }),
    credentialsRefused,
  });

  if (name === 'NoSuchBucket' || (name === 'NotFound' && action.startsWith('reach bucket'))) {
    return fail(`bucket '${bucket}' does not exist at ${endpoint}; create it, or fix bucket (and region or endpoint) in the spec`);
  }
  if (name === 'NoSuchKey' || name === 'NotFound') return fail('the object does not exist (it was removed while Sluice was reading)');
  if (REFUSED_CREDENTIALS.has(name)) return fail(`${endpoint} refused the credentials (${name}); ${credentialHint(place)}`, false, true);
  if (name === 'AccessDenied' || name === 'Forbidden' || status === 403) {
    // A HEAD answer has no body, so no error name: only the status says what happened.
    const what = name === 'Unknown' || name === 'Forbidden' ? `HTTP ${status ?? 403}` : name;
    return fail(`${endpoint} denied access to bucket '${bucket}' (${what}): the credentials are wrong or lack the permission; ${credentialHint(place)}, and grant the permission`, false, true);
  }
  if (name === 'CredentialsProviderError') {
    return fail('no credentials: set accessKeyId and secretAccessKey as secret references, or give the AWS default chain some (AWS_ACCESS_KEY_ID, a profile, a role)');
  }
  if (name === 'PermanentRedirect' || name === 'AuthorizationHeaderMalformed' || status === 301) {
    return fail(`bucket '${bucket}' is in another region than the one configured (${name}); set region to the bucket's region`);
  }
  if (systemCode === PIN_MISMATCH) {
    const detail = error instanceof Error ? error.message : 'its key is not pinned';
    return fail(`${detail}: if the server's key was rotated on purpose, add its pin to tls.pins`);
  }
  if (systemCode !== undefined && TLS_REFUSED.test(systemCode)) {
    return fail(`the TLS certificate of ${endpoint} was not accepted (${systemCode}); if a private CA issued it, set tls.ca to that CA's PEM file`);
  }
  if (systemCode !== undefined && NETWORK.has(systemCode)) return fail(`${endpoint} could not be reached (${systemCode}); check the endpoint and the network`, true);
  if (systemCode === 'ENOTFOUND') return fail(`the host of ${endpoint} is not known (ENOTFOUND); check the endpoint and region`);
  if (TRANSIENT.has(name) || shape.$retryable !== undefined || (status !== undefined && status >= 500)) {
    return fail(`${endpoint} answered ${name}${status !== undefined ? ` (HTTP ${status})` : ''}; this is usually temporary`, true);
  }
  return fail(`${endpoint} answered ${name}${status !== undefined ? ` (HTTP ${status})` : ''}`);
}
