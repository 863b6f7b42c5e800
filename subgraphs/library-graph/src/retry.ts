import { setTimeout as sleep } from 'node:timers/promises';
import { isRetryableError } from 'neo4j-driver';

/** Options for {@link withRetry}. */
export interface RetryOptions {
  /** Give up once this much time has passed since the first attempt; default 120 000 ms. */
  readonly retryForMs?: number;
  /** First pause; doubles per attempt with jitter; default 200 ms. */
  readonly baseDelayMs?: number;
  /** Longest pause; default 5 000 ms. */
  readonly maxDelayMs?: number;
  /** Told about each retried failure. */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Which failures are retried; default {@link isTransientError}. */
  readonly isRetryable?: (error: unknown) => boolean;
}

const transientCodes = new Set([
  'ServiceUnavailable',
  'SessionExpired',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
]);

/**
 * Whether `error` may go away by itself: Neo4j restarting or unreachable,
 * a deadlock, a leader switch. Anything else (a bad query, a constraint) is not.
 */
export function isTransientError(error: unknown): boolean {
  if (isRetryableError(error)) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (transientCodes.has(code) || code.startsWith('Neo.TransientError.'));
}

/**
 * Runs `work` until it succeeds, retrying transient errors with exponential
 * backoff. neo4j-driver's executeWrite already retries within its own
 * `maxTransactionRetryTime`; this outer loop outlasts a server restart. `work`
 * must be idempotent: a commit whose reply was lost is run again.
 */
export async function withRetry<T>(work: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const {
    retryForMs = 120_000,
    baseDelayMs = 200,
    maxDelayMs = 5_000,
    onRetry,
    isRetryable = isTransientError,
  } = options;
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const delayMs = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
      if (!isRetryable(error) || Date.now() - started + delayMs > retryForMs) throw error;
      onRetry?.(error, attempt, delayMs);
      await sleep(delayMs);
    }
  }
}
