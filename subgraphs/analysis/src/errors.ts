import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { MongoServerError } from 'mongodb';

/** A GraphQL error meant for the client, with its `extensions.code`. */
export function userError(code: string, message: string, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extra } });
}

export const badInput = (message: string) => userError('BAD_USER_INPUT', message);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Rejects an id argument that no Tonegraph entity can have. */
export function requireId(name: string, value: string | null | undefined): void {
  if (value != null && !UUID.test(value))
    throw badInput(`"${name}" is not a valid id: ${value.slice(0, 64)}`);
}

/** MongoDB's code for a command stopped at its `maxTimeMS`. */
const MAX_TIME_MS_EXPIRED = 50;

/**
 * A read the server stopped at the store's query time bound, told as such
 * (`QUERY_TIMEOUT`) instead of masked as an internal error; null for any
 * other error.
 */
export function queryTimeoutError(
  formatted: GraphQLFormattedError,
  error: unknown,
): GraphQLFormattedError | null {
  const cause = unwrapResolverError(error);
  if (!(cause instanceof MongoServerError) || cause.code !== MAX_TIME_MS_EXPIRED) return null;
  return {
    message:
      'The analysis store did not answer within its time limit (ANALYSIS_QUERY_TIMEOUT_MS); try again later',
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: 'QUERY_TIMEOUT' },
  };
}
