import { randomUUID } from 'node:crypto';
import type { GraphQLFormattedError } from 'graphql';
import type { Logger } from '@tonegraph/logger';

/** The HTTP status Apollo Server attached to an error (`extensions.http.status`), if any. */
const httpStatusOf = (error: unknown): unknown =>
  (error as { extensions?: { http?: { status?: unknown } } } | null)?.extensions?.http?.status;

/**
 * Errors a client may see as they are: request errors and the codes the
 * subgraphs attach on purpose. Anything else (a crash, a refused connection
 * that names an internal host) is masked and logged with a correlation id.
 */
export function createErrorFormatter(log: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    // Apollo Server adds a stack trace unless NODE_ENV=production; it names the server's files
    // and is of no use to a client (the log has it).
    const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
    const code = extensions.code;
    if (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') return { ...formatted, extensions };
    // A request error Apollo Server raises without a code (e.g. an APQ hash that does not match
    // the query) carries its 4xx status: the client's mistake, told as it is.
    const status = httpStatusOf(error);
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return { message: formatted.message, extensions: { code: 'BAD_REQUEST' } };
    }
    const correlationId = randomUUID();
    log.error({ err: error, correlationId, path: formatted.path }, 'unexpected error in a GraphQL request');
    return {
      message: `Internal server error (correlation id ${correlationId})`,
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: 'INTERNAL_SERVER_ERROR', correlationId },
    };
  };
}
