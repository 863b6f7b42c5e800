import { randomUUID } from 'node:crypto';
import type { GraphQLFormattedError } from 'graphql';
import type { Logger } from '@tonegraph/logger';

/**
 * Errors a client may see as they are: request errors and the codes the
 * subgraphs attach on purpose. Anything else (a crash, a refused connection
 * that names an internal host) is masked and logged with a correlation id.
 */
export function createErrorFormatter(log: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') return formatted;
    const correlationId = randomUUID();
    log.error({ err: error, correlationId, path: formatted.path }, 'unexpected error in a GraphQL request');
    return {
      message: `Internal server error (correlation id ${correlationId})`,
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: 'INTERNAL_SERVER_ERROR', correlationId },
    };
  };
}
