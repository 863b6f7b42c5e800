/**
 * The file can never be analysed as it is: corrupt, truncated, not audio, or
 * over the configured size/duration limits. Ingest records it as an
 * ImportError and never retries it.
 */
export class UndecodableAudioError extends Error {
  override name = 'UndecodableAudioError';
  readonly permanent = true;
  readonly path: string;
  /** What went wrong, e.g. ffmpeg's first stderr line. */
  readonly reason: string;

  constructor(path: string, reason: string, options?: ErrorOptions) {
    super(`cannot decode ${path}: ${reason}`, options);
    this.path = path;
    this.reason = reason;
  }
}

/** The analysis took longer than allowed; its decoder was killed. Worth retrying later. */
export class AnalysisTimeoutError extends Error {
  override name = 'AnalysisTimeoutError';
  readonly permanent = false;

  constructor(path: string, timeoutMs: number, options?: ErrorOptions) {
    super(`analysis of ${path} timed out after ${timeoutMs} ms`, options);
  }
}

/**
 * The worker running the analysis died, e.g. from its heap limit
 * (`resourceLimits.maxOldGenerationSizeMb`). The pool replaces the worker;
 * the file is not retried automatically because it may kill the next one too.
 */
export class AnalysisWorkerError extends Error {
  override name = 'AnalysisWorkerError';
  readonly permanent = true;
  /** The worker error code, e.g. ERR_WORKER_OUT_OF_MEMORY. */
  readonly code: string | undefined;

  constructor(path: string, message: string, code: string | undefined, options?: ErrorOptions) {
    super(`analysis worker for ${path} failed: ${message}`, options);
    this.code = code;
  }
}

/** The pool's queue is full (`maxQueue`): back off and submit later. */
export class AnalysisQueueFullError extends Error {
  override name = 'AnalysisQueueFullError';
  readonly permanent = false;
}

/** True for an error that will recur on every attempt with the same file. */
export function isPermanentAnalysisError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'permanent' in error && error.permanent === true;
}
