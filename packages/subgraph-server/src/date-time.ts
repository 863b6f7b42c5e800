import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

/** Serializes a Date (or anything `new Date` reads) as ISO-8601 in UTC, with milliseconds. */
const toIso = (value: unknown): string => {
  const date = value instanceof Date ? value : new Date(String(value));
  if (Number.isNaN(date.getTime())) throw new GraphQLError(`not a date-time: ${String(value)}`);
  return date.toISOString();
};

const parseIso = (value: unknown): string => {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value)) {
    throw new GraphQLError(`DateTime must be an ISO-8601 string, got ${JSON.stringify(value)}`, {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  return toIso(value);
};

/**
 * `scalar DateTime` of the subgraph SDLs: ISO-8601 strings in UTC on the wire
 * (`2026-11-28T18:00:00.000Z`), accepted with any offset on input.
 */
export const DateTime = new GraphQLScalarType({
  name: 'DateTime',
  serialize: toIso,
  parseValue: parseIso,
  parseLiteral: (ast) => parseIso(ast.kind === Kind.STRING ? ast.value : undefined),
});
