/**
 * The broker cannot be reached: the connection is down or could not be
 * opened. A service outage, never the job's fault: ingest retries such
 * failures without using up a job's retries, and the catalog answers
 * `QUEUE_UNAVAILABLE`.
 */
export class BrokerUnavailableError extends Error {
  override name = 'BrokerUnavailableError';
}

/**
 * A job that fails the same way on every attempt (a corrupt file, audio that
 * cannot be decoded): the worker gives it up at once, without retries, and
 * the stage records why (like BullMQ's `UnrecoverableError`).
 */
export class UnrecoverableJobError extends Error {
  override name = 'UnrecoverableJobError';
}

/**
 * The job cannot run yet (a host down or rate-limited): the worker parks it
 * on its stage's delayed queue for `delayMs`, after which it is delivered
 * again. A deferral never counts as a failed attempt (like BullMQ's
 * `DelayedError`). The handler records whatever the deferral means before
 * throwing it.
 */
export class DeferJobError extends Error {
  override name = 'DeferJobError';
  /** How long the job waits before it is delivered again. */
  readonly delayMs: number;

  constructor(delayMs: number, message = `deferred for ${delayMs} ms`, options?: ErrorOptions) {
    super(message, options);
    this.delayMs = delayMs;
  }
}
