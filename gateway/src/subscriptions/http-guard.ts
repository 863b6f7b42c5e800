import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, OperationTypeNode } from 'graphql';
import { ErrorCode } from './errors.ts';

/**
 * Subscriptions are served over graphql-ws and SSE, not as HTTP POST, where
 * @apollo/gateway would fail with a masked internal error. Say where to go.
 */
export function subscriptionsOverHttpRefused(paths: { ws: string; sse: string }): ApolloServerPlugin {
  return {
    requestDidStart: () =>
      Promise.resolve({
        didResolveOperation: ({ operation }) => {
          if (operation?.operation !== OperationTypeNode.SUBSCRIPTION) return Promise.resolve();
          throw new GraphQLError(
            `Subscriptions are served over WebSocket (graphql-transport-ws) at ${paths.ws}, or as server-sent events at ${paths.sse} with Accept: text/event-stream`,
            { extensions: { code: ErrorCode.OperationNotSupported, http: { status: 400 } } },
          );
        },
      }),
  };
}
