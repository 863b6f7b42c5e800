import { BrokerUnavailableError, UnrecoverableJobError } from '@tonegraph/queues';

/**
 * A file that can never be imported as it is (corrupt, truncated, not audio).
 * The worker gives it up at once; the file stage records it as an ImportError
 * of `stage` and moves on. It is never retried.
 */
export class PermanentFileError extends UnrecoverableJobError {
  override name = 'PermanentFileError';
  readonly stage: string;

  constructor(stage: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.stage = stage;
  }
}

/** True for errors worth retrying later: the disk or a service, not the file. */
export function isTransient(error: unknown): boolean {
  if (error instanceof PermanentFileError) return false;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EMFILE' || code === 'ENFILE' || code === 'EIO' || code === 'EAGAIN' || code === 'EBUSY';
}

/** Codes of a database or broker that is down, restarting or unreachable (postgres.js, Node, SQLSTATE). */
const OUTAGE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up)
  '08000',
  '08001',
  '08003',
  '08006',
  'ServiceUnavailable', // neo4j-driver
  'SessionExpired',
]);

/** Driver errors that mean the server is unreachable, by class name (the MongoDB driver sets no code). */
const OUTAGE_NAMES = new Set(['MongoNetworkError', 'MongoNetworkTimeoutError', 'MongoServerSelectionError']);

/**
 * True when a service the pipeline depends on is down, not when the file or
 * the data is at fault: such failures are retried for as long as the outage
 * lasts, without using up the file's bounded retries, so a database restart
 * never sends files to the dead-letter queue.
 */
export function isServiceOutage(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof BrokerUnavailableError) return true;
    const { code, name } = e as { code?: unknown; name?: unknown };
    if (typeof code === 'string' && OUTAGE_CODES.has(code)) return true;
    if (typeof name === 'string' && OUTAGE_NAMES.has(name)) return true;
  }
  return false;
}
