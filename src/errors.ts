// The closed catalogue of Sluice error codes: every error a user can see carries one of these.

/** Every code Sluice raises. Tests assert codes, never messages. */
export const ERROR_CODES = {
  SLUICE_USAGE: 'the command line is malformed',
  SLUICE_SPEC_UNREADABLE: 'the pipeline spec file cannot be read',
  SLUICE_SPEC_INVALID: 'the pipeline spec has one or more problems',
  SLUICE_SETTINGS_INVALID: 'the local settings file has one or more problems',
  SLUICE_PLAN_REJECTED: 'the plan has error findings, so the pipeline may not run',
  SLUICE_INPUT_UNREADABLE: 'a source input is missing or unreadable',
  SLUICE_INPUT_MALFORMED: 'a source input holds a record that cannot be parsed',
  SLUICE_SINK_PATH_ESCAPE: 'an object name would leave the sink directory',
  SLUICE_SINK_WRITE_FAILED: 'a sink could not write a batch',
  SLUICE_STEP_FAILED: 'a step failed on a record',
  SLUICE_RESUME_MISMATCH: 'an interrupted run cannot be resumed with this input or spec',
  SLUICE_RUN_LOCKED: 'another process is running this pipeline',
  SLUICE_RUN_INTERRUPTED: 'the run was stopped by a signal after committing its last batch',
  SLUICE_STATE_STORE: 'the state store failed or has an unknown schema',
  SLUICE_STATE_BUSY: 'another Sluice process held the embedded state store\'s lock for longer than Sluice waits',
  SLUICE_TASK_RELEASED: 'a worker gave a cluster task back unfinished (it is draining); another worker takes it over',
  SLUICE_TASK_INVALID: 'a cluster task message cannot be parsed, is of another version, or names no task the state store holds',
  SLUICE_TASK_SUPERSEDED: 'another delivery of a cluster task took its lease over (this attempt went silent past the ack wait), so this attempt stopped',
  SLUICE_CLUSTER: 'the cluster work queue is unreachable or misconfigured, or a cluster run cannot complete',
  SLUICE_THREAD: 'a pipeline thread of a run split over threads (sluice run --threads) stopped or could not start',
  SLUICE_INIT_EXISTS: 'init would overwrite existing files',
  SLUICE_IO_FAILED: 'a local file or folder could not be read or written',
  SLUICE_CRYPTO_PARAMETERS: 'a key, nonce or other cryptographic parameter has the wrong size or form',
  SLUICE_DECRYPT_FAILED: 'a ciphertext did not authenticate (wrong key, wrong context, or altered data)',
  SLUICE_OBJECT_MALFORMED: 'a file is not a Sluice object, or its header is truncated or of an unknown version',
  SLUICE_KEY_UNKNOWN: 'a key or key version is not in the keyring',
  SLUICE_KEY_DESTROYED: 'a key version was destroyed, so what it protected cannot be read',
  SLUICE_KEY_PROVIDER: 'the key provider is not configured or refused an operation',
  SLUICE_SUBJECT_ERASED: 'the value belongs to a data subject who was erased',
  SLUICE_TOKEN_INVALID: 'a value is not a Sluice token, or not one this keyring made',
  SLUICE_KEY_IN_USE: 'a key version still seals objects, so destroying it would make them unreadable',
  SLUICE_SECRET_REFERENCE: 'a secret reference is malformed or names an unknown scheme',
  SLUICE_SECRET_NOT_FOUND: 'a secret reference names a secret that does not exist',
  SLUICE_SECRET_DENIED: 'the secret provider, the file mode or a permission check refused access to a secret',
  SLUICE_SECRET_UNAVAILABLE: 'a secret provider did not answer in time, is sealed or down, or its lease expired',
  SLUICE_SECRET_LITERAL: 'a credential is written in plain text where a secret reference belongs',
  SLUICE_SOURCE_FAILED: 'a source system refused, answered with something that is not data, or could not be reached',
  SLUICE_EGRESS_DENIED: 'a connection was refused before it was made: the host is off the allowlist or resolves to a private, loopback or link-local address',
  SLUICE_AUDIT_VERIFY_FAILED: 'an audit log, checkpoint or proof did not verify',
  SLUICE_UNAUTHENTICATED: 'the request carried no credential, or one that was not accepted',
  SLUICE_FORBIDDEN: 'the principal lacks the permission this request needs',
  SLUICE_NOT_FOUND: 'no such object, or none the caller may see',
  SLUICE_THROTTLED: 'too many requests or failed attempts; retry after the time given',
  SLUICE_REQUEST_INVALID: 'an API request does not match its schema',
  SLUICE_CONFLICT: 'the request conflicts with the current state (already decided, already exists)',
  SLUICE_UNAVAILABLE: 'a service the request depends on (an identity provider) did not answer; retry later',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface SluiceErrorOptions {
  /** The underlying error, kept for logs; never shown to users in place of the message. */
  cause?: unknown;
  /** True when retrying the same operation may succeed (I/O hiccups, busy resources). */
  retryable?: boolean;
  /** Extra lines shown under the message: each problem of a spec, for instance. */
  details?: readonly string[];
}

/** A Sluice error: a fixed code, a message that says what to do, and optionally a cause and details. */
export class SluiceError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: readonly string[];

  constructor(code: ErrorCode, message: string, options: SluiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SluiceError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? [];
  }
}

export function isSluiceError(error: unknown, code?: ErrorCode): error is SluiceError {
  return error instanceof SluiceError && (code === undefined || error.code === code);
}

/** Node system error codes that mean "try again later", not "this can never work". */
const RETRYABLE_SYSTEM_CODES = new Set(['EAGAIN', 'EBUSY', 'EMFILE', 'ENFILE', 'ETIMEDOUT', 'ECONNRESET', 'EINTR']);

/** Whether an error is worth retrying: flagged so by Sluice, or a transient system error. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof SluiceError) return error.retryable;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RETRYABLE_SYSTEM_CODES.has(code);
}

/** What to do about common file system errors, by errno code. */
const IO_HINTS: Record<string, string> = {
  ENOSPC: 'the disk is full: free space and run again (committed batches are kept)',
  EDQUOT: 'the disk quota is exhausted: free space and run again',
  EACCES: 'permission denied: check the owner and mode of the folder',
  EPERM: 'operation not permitted: check the owner and mode of the folder',
  EROFS: 'the file system is read-only: choose a writable folder',
  ENOTDIR: 'a part of the path is a file, not a folder: fix the path',
  EISDIR: 'the path is a folder where a file was expected: fix the path',
  ENOENT: 'a part of the path does not exist',
  EMFILE: 'too many open files: raise the limit (ulimit -n) or run again',
};

/**
 * Wraps a file system error as a SluiceError with a code, what failed, and what to do; errors that are already
 * SluiceErrors pass through. Transient errors stay retryable.
 */
export function ioFailure(code: ErrorCode, what: string, error: unknown): SluiceError {
  if (error instanceof SluiceError) return error;
  const errno = (error as NodeJS.ErrnoException | null)?.code;
  const hint = errno !== undefined ? IO_HINTS[errno] : undefined;
  const detail = errno ?? (error instanceof Error ? error.message : String(error));
  return new SluiceError(code, `${what} (${detail})${hint ? `: ${hint}` : ''}`, { cause: error, retryable: isRetryable(error) });
}
