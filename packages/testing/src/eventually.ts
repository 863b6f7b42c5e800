import { setTimeout as sleep } from 'node:timers/promises';

/** How {@link eventually} polls. */
export interface EventuallyOptions {
  /** What is awaited, for the timeout's message; a function is asked at that moment (e.g. for the last state seen). */
  readonly what?: string | (() => string);
  /** Give up after this long. Default 10 000 ms. */
  readonly timeoutMs?: number;
  /** Pause between two probes. Default 20 ms. */
  readonly intervalMs?: number;
  /**
   * Count a probe that throws as "not yet" (e.g. a server that is restarting)
   * instead of failing at once. Default false. On timeout the last error is
   * the `cause`.
   */
  readonly retryErrors?: boolean;
}

/** What {@link eventually} throws when the probe never succeeded in time. */
export class EventuallyTimeoutError extends Error {
  override readonly name = 'EventuallyTimeoutError';
}

/**
 * Polls `probe` until it returns something other than `undefined` or
 * `false`, and resolves to that: `true` for a condition, the value for a
 * lookup (`async () => rows.length > 0 ? rows : undefined`). Throws an
 * {@link EventuallyTimeoutError} naming `what` once `timeoutMs` has passed.
 * The probe is asked at least once, and once more at the deadline.
 */
export async function eventually<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  options: EventuallyOptions = {},
): Promise<Exclude<T, undefined | false>> {
  const { timeoutMs = 10_000, intervalMs = 20, retryErrors = false } = options;
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    const last = performance.now() >= deadline;
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value as Exclude<T, undefined | false>;
    } catch (error) {
      if (!retryErrors) throw error;
      lastError = error;
    }
    if (last) {
      const what = typeof options.what === 'function' ? options.what() : (options.what ?? 'condition');
      throw new EventuallyTimeoutError(
        `not within ${timeoutMs} ms: ${what}`,
        lastError === undefined ? undefined : { cause: lastError },
      );
    }
    await sleep(Math.min(intervalMs, Math.max(0, deadline - performance.now())));
  }
}
