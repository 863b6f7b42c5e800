import { GraphQLError } from 'graphql';

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
