import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/** `extensions.code` values the subscription transport sets itself. */
export const ErrorCode = {
  ParseFailed: 'GRAPHQL_PARSE_FAILED',
  ValidationFailed: 'GRAPHQL_VALIDATION_FAILED',
  BadUserInput: 'BAD_USER_INPUT',
  /** A query or mutation sent to a subscription transport, or a subscription sent as HTTP POST. */
  OperationNotSupported: 'OPERATION_NOT_SUPPORTED',
  /** The gateway is starting and has no schema yet. */
  NotReady: 'GATEWAY_NOT_READY',
  /** The owning subgraph's connection was lost and could not be re-established. */
  UpstreamUnavailable: 'SUBSCRIPTION_UPSTREAM_UNAVAILABLE',
  /** The gateway is shutting down. */
  ShuttingDown: 'SHUTTING_DOWN',
} as const;

/**
 * Ends a client's subscription with errors. Thrown from the event iterator:
 * graphql-ws turns it into an `error` message (see ws-server.ts), SSE into a
 * last `next` event carrying the errors (see sse.ts).
 */
export class SubscriptionError extends Error {
  readonly errors: readonly GraphQLError[];

  constructor(errors: readonly GraphQLError[]) {
    super(errors[0]?.message ?? 'subscription failed');
    this.name = 'SubscriptionError';
    this.errors = errors;
  }

  /** The owning subgraph refused or ended the subscription with GraphQL errors (e.g. BAD_USER_INPUT). */
  static fromSubgraph(serviceName: string, errors: readonly GraphQLFormattedError[]): SubscriptionError {
    return new SubscriptionError(
      errors.map(
        (e) =>
          new GraphQLError(e.message, {
            extensions: { ...e.extensions, serviceName },
            // The subgraph's path is relative to its own response, which has the same root field.
            ...(e.path ? { path: e.path } : {}),
          }),
      ),
    );
  }

  /** Transport failure: names the subgraph, never its host (that goes to the log). */
  static unavailable(serviceName: string): SubscriptionError {
    return new SubscriptionError([
      new GraphQLError(
        `The ${serviceName} subgraph's subscription connection was lost and could not be re-established`,
        { extensions: { code: ErrorCode.UpstreamUnavailable, serviceName } },
      ),
    ]);
  }

  static shuttingDown(): SubscriptionError {
    return new SubscriptionError([
      new GraphQLError('The gateway is shutting down; subscribe again', {
        extensions: { code: ErrorCode.ShuttingDown },
      }),
    ]);
  }
}

/** True for the array of GraphQL errors a graphql-ws `error` message carries. */
export function isFormattedErrors(value: unknown): value is GraphQLFormattedError[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((e) => typeof e === 'object' && e !== null && 'message' in e)
  );
}

/** The gateway's error formatter (masking, correlation ids), as Apollo Server uses it. */
export type FormatError = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

/** The errors to send for an error that ended a subscription: its own list for a SubscriptionError. */
export function errorsOf(error: unknown): readonly GraphQLError[] {
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  if (original instanceof SubscriptionError) return original.errors;
  if (error instanceof GraphQLError) return [error];
  return [
    new GraphQLError(error instanceof Error ? error.message : String(error), {
      originalError: error as Error,
    }),
  ];
}

export function formatErrors(errors: readonly GraphQLError[], format: FormatError): GraphQLFormattedError[] {
  return errors.map((e) => format(e.toJSON(), e));
}
