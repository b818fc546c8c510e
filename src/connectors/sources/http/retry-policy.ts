// When the http source tries a request again: which answers and failures are transient, and how long to wait
// (the server's Retry-After when it gives one, else exponential backoff with full jitter), always capped.
import { z } from 'zod';
import { backoffDelay } from '../../../runtime/retry.ts';

export const httpRetrySchema = z
  .strictObject({
    attempts: z.number().int().min(1).max(20).default(5).describe('Tries per request in all, the first included.'),
    initialDelayMs: z.number().int().min(1).max(60_000).default(500).describe('Backoff before the first retry when the server does not say (Retry-After); doubles each time, with jitter.'),
    maxWaitMs: z.number().int().min(1).max(600_000).default(60_000).describe('The longest wait before a retry, whatever Retry-After asks.'),
  })
  .describe('Retries of 429 and 5xx answers and of network failures (resets, timeouts, a body cut short).');

export type HttpRetrySettings = z.output<typeof httpRetrySchema>;

/** Statuses worth a retry: 408, 429 (RFC 6585 §4) and 5xx, except those no retry can fix. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599 && status !== 501 && status !== 505);
}

/**
 * Milliseconds a Retry-After header asks for (RFC 9110 §10.2.3: delay-seconds or an HTTP-date), or undefined
 * when there is none or it cannot be read. A date in the past means now.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (text === undefined || text === '') return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  // An HTTP-date names a weekday and GMT; a bare number or a local time is no HTTP-date.
  if (Number.isNaN(date) || !/GMT$/i.test(text)) return undefined;
  return Math.max(0, date - now);
}

/** The wait before retry number `retry` (1-based): Retry-After if given, else jittered backoff; at most maxWaitMs. */
export function retryDelay(retry: number, retryAfterMs: number | undefined, settings: HttpRetrySettings, random: () => number = Math.random): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, settings.maxWaitMs);
  return backoffDelay(retry, { attempts: settings.attempts, initialDelayMs: settings.initialDelayMs, maxDelayMs: settings.maxWaitMs }, random);
}

/** undici and Node error codes of failures a new attempt may not meet: resets, timeouts, a body cut short. */
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

/** The error code of a network failure, looking through undici's causes. */
export function networkCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e !== null && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

export function isTransientNetworkError(error: unknown): boolean {
  const code = networkCode(error);
  return code !== undefined && TRANSIENT_CODES.has(code);
}
