// Retries of retryable errors with exponential backoff and full jitter (AWS Architecture Blog, "Exponential
// Backoff and Jitter": full jitter spreads retries of many clients best).
import { isRetryable } from '../errors.ts';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RetrySettings {
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

/** The delay before retry number `retry` (1-based): random in [0, min(max, initial·2^(retry-1))]. */
export function backoffDelay(retry: number, settings: RetrySettings, random: () => number = Math.random): number {
  const ceiling = Math.min(settings.maxDelayMs, settings.initialDelayMs * 2 ** (retry - 1));
  return Math.floor(random() * ceiling);
}

/** Runs `operation`, retrying retryable errors up to `attempts` tries in all. Other errors pass at once. */
export async function withRetry<T>(
  operation: () => Promise<T>,
  settings: RetrySettings,
  onRetry: (error: unknown, retry: number, delayMs: number) => void = () => undefined,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (attempt >= settings.attempts || !isRetryable(error)) throw error;
      const delay = backoffDelay(attempt, settings);
      onRetry(error, attempt, delay);
      await sleep(delay);
    }
  }
}
