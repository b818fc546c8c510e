// How errors leave the API: `{ error: { code, message, requestId } }` with the HTTP status the code implies.
// Only SluiceErrors say what went wrong; anything else is an internal error whose message stays in the log.
import { isSluiceError } from '../errors.ts';
import type { ErrorCode } from '../errors.ts';
import { redactions } from '../secrets/redaction.ts';

const STATUS: Partial<Record<ErrorCode, number>> = {
  SLUICE_UNAUTHENTICATED: 401,
  SLUICE_FORBIDDEN: 403,
  SLUICE_NOT_FOUND: 404,
  SLUICE_CONFLICT: 409,
  SLUICE_RUN_LOCKED: 409,
  SLUICE_THROTTLED: 429,
  SLUICE_UNAVAILABLE: 503,
  SLUICE_REQUEST_INVALID: 400,
  SLUICE_SPEC_INVALID: 400,
  SLUICE_PLAN_REJECTED: 422,
  SLUICE_USAGE: 400,
  SLUICE_KEY_UNKNOWN: 404,
  SLUICE_KEY_PROVIDER: 503,
  SLUICE_SECRET_UNAVAILABLE: 503,
};

export interface ApiErrorBody {
  error: { code: string; message: string; requestId: string; details?: readonly string[] };
}

/** The status and body for an error; internal errors say only that they happened. */
export function apiError(error: unknown, requestId: string): { status: number; body: ApiErrorBody } {
  if (isSluiceError(error)) {
    const details = error.details.length > 0 ? { details: error.details.map((d) => redactions.scrub(d)) } : {};
    return { status: STATUS[error.code] ?? 500, body: { error: { code: error.code, message: redactions.scrub(error.message), requestId, ...details } } };
  }
  return { status: 500, body: { error: { code: 'SLUICE_INTERNAL', message: 'the server failed on this request; the log has the details under this request id', requestId } } };
}
