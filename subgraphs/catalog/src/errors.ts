import { GraphQLError } from 'graphql';

/** A GraphQL error meant for the client, with its `extensions.code`. */
export function userError(code: string, message: string, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extra } });
}

export const badInput = (message: string) => userError('BAD_USER_INPUT', message);
