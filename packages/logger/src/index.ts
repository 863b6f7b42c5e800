import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/** Options for {@link createLogger}. */
export interface LoggerConfig {
  /** Service name, added to every line as `service`. */
  readonly service: string;
  /** pino level; default `info`. */
  readonly level?: LoggerOptions['level'];
}

/**
 * A JSON logger (pino) for one service. Fields go first:
 * `log.info({ trackId, path }, 'metadata parsed')`; use `log.child({...})`
 * per request or job.
 */
export function createLogger({ service, level = 'info' }: LoggerConfig): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Secrets must never reach the log, whatever a caller passes.
    redact: {
      paths: ['authorization', 'password', '*.authorization', '*.password', 'headers.authorization'],
      censor: '[redacted]',
    },
  });
}
