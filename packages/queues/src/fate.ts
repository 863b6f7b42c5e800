import { DeferJobError, UnrecoverableJobError } from './errors.ts';

/** How a stage retries its failed jobs. */
export interface RetryPolicy {
  /** Failed attempts after which a job is given up (ingest's `INGEST_MAX_RETRIES`). */
  readonly maxRetries: number;
  /**
   * True when the failure is a service being down (database, broker), not
   * the job's fault: such jobs are retried for as long as the outage lasts,
   * without using up their retries.
   */
  readonly isOutage: (error: unknown) => boolean;
}

/** What becomes of a job whose handler threw. */
export type JobFate =
  /** Through the retry queue, with `retries` as its new retry count. */
  | { readonly action: 'retry'; readonly retries: number; readonly outage: boolean }
  /** Onto the stage's delayed queue for `delayMs`; not an attempt. */
  | { readonly action: 'defer'; readonly delayMs: number }
  /** Handed to the stage's `gaveUp` with `reason`, then acked. */
  | { readonly action: 'give-up'; readonly reason: string; readonly unrecoverable: boolean };

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The fate of a job whose handler threw `error` after `retries` earlier
 * failed attempts. Pure: the worker carries it out.
 *
 * - {@link DeferJobError}: deferred for its `delayMs`.
 * - {@link UnrecoverableJobError}: given up at once, with the error's message.
 * - an outage: retried, its count unchanged.
 * - otherwise retried until `maxRetries` retries were used, then given up.
 */
export function jobFate(error: unknown, retries: number, policy: RetryPolicy): JobFate {
  if (error instanceof DeferJobError) return { action: 'defer', delayMs: Math.max(0, error.delayMs) };
  if (error instanceof UnrecoverableJobError)
    return { action: 'give-up', reason: error.message, unrecoverable: true };
  if (policy.isOutage(error)) return { action: 'retry', retries, outage: true };
  if (retries < policy.maxRetries) return { action: 'retry', retries: retries + 1, outage: false };
  return {
    action: 'give-up',
    reason: `gave up after ${retries + 1} attempts: ${messageOf(error)}`,
    unrecoverable: false,
  };
}

/** What becomes of a job whose stage failed to record it as given up. */
export type GiveUpFailureFate =
  /** Retried, its count unchanged: the service that refused the record is down. */
  | { readonly action: 'retry'; readonly retries: number; readonly outage: true }
  /** Rejected to the dead-letter queue, with the message intact. */
  | { readonly action: 'dead-letter' };

/**
 * The fate of a given-up job whose `gaveUp` threw `error`: an outage is
 * waited out (a database restart never sends jobs to the dead-letter queue);
 * anything else dead-letters the message, to be looked at by hand.
 */
export function giveUpFailureFate(error: unknown, retries: number, policy: RetryPolicy): GiveUpFailureFate {
  return policy.isOutage(error) ? { action: 'retry', retries, outage: true } : { action: 'dead-letter' };
}

/** The retry count a message carries in `header` (absent or malformed: 0). */
export function retriesOf(headers: Record<string, unknown> | undefined, header: string): number {
  const n = Number(headers?.[header] ?? 0);
  return Number.isFinite(n) && n >= 0 ? n : 0;
}
