/** A host answered with a status the caller must not retry (4xx other than 429). */
export class HttpStatusError extends Error {
  override name = 'HttpStatusError';
  readonly host: string;
  readonly status: number;

  constructor(host: string, status: number, url: string) {
    super(`${host}: HTTP ${status} for ${url}`);
    this.host = host;
    this.status = status;
  }
}

/** A host answered 200 with a body that is not the JSON it promised. */
export class MalformedResponseError extends Error {
  override name = 'MalformedResponseError';
  readonly host: string;

  constructor(host: string, url: string, options?: ErrorOptions) {
    super(`${host}: malformed JSON from ${url}`, options);
    this.host = host;
  }
}

/**
 * A host cannot be used now: its circuit breaker is open, its queue is full,
 * or its calls kept failing transiently after every retry. Nothing is wrong
 * with the request: try again after `retryAfterMs`.
 */
export class HostUnavailableError extends Error {
  override name = 'HostUnavailableError';
  readonly host: string;
  readonly retryAfterMs: number;
  readonly reason: 'breaker-open' | 'bulkhead-full' | 'retries-exhausted' | 'retry-after-too-long';

  constructor(
    host: string,
    reason: HostUnavailableError['reason'],
    retryAfterMs: number,
    options?: ErrorOptions,
  ) {
    super(`${host} unavailable (${reason}); retry in ${Math.round(retryAfterMs)} ms`, options);
    this.host = host;
    this.reason = reason;
    this.retryAfterMs = retryAfterMs;
  }
}

/** A transient failure of one attempt (429, 5xx, timeout, connection error): worth a retry. */
export class TransientHttpError extends Error {
  override name = 'TransientHttpError';
  readonly host: string;
  /** The HTTP status, or undefined for timeouts and connection errors. */
  readonly status: number | undefined;
  /** What the server's `Retry-After` asked for, in milliseconds. */
  readonly retryAfterMs: number | undefined;

  constructor(host: string, message: string, status?: number, retryAfterMs?: number, options?: ErrorOptions) {
    super(`${host}: ${message}`, options);
    this.host = host;
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

/** A downloaded image was refused: not an image, or larger than allowed. */
export class CoverRejectedError extends Error {
  override name = 'CoverRejectedError';
  readonly reason: 'content-type' | 'too-large' | 'empty';

  constructor(reason: CoverRejectedError['reason'], message: string) {
    super(message);
    this.reason = reason;
  }
}

/** `fpcalc` failed to produce a fingerprint (missing binary, undecodable file). */
export class FingerprintError extends Error {
  override name = 'FingerprintError';
}
