import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, OperationTypeNode } from 'graphql';

/**
 * @apollo/gateway cannot execute subscription operations; without this a
 * client would get a masked internal error. Until the gateway serves them
 * over graphql-ws, say so plainly.
 */
export const subscriptionsUnsupported: ApolloServerPlugin = {
  requestDidStart: () =>
    Promise.resolve({
      didResolveOperation: ({ operation }) => {
        if (operation?.operation !== OperationTypeNode.SUBSCRIPTION) return Promise.resolve();
        throw new GraphQLError('Subscriptions are not served by the gateway over HTTP yet', {
          extensions: { code: 'OPERATION_NOT_SUPPORTED', http: { status: 400 } },
        });
      },
    }),
};
