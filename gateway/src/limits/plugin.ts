import type { ApolloServerPlugin } from '@apollo/server';
import { type OperationLimits, checkOperationLimits } from './operation-limits.ts';

/** Apollo Server plugin: refuses an operation over the limits, after validation, with its variables. */
export function limitsPlugin(limits: OperationLimits, onReject?: (code: string) => void): ApolloServerPlugin {
  return {
    requestDidStart: () =>
      Promise.resolve({
        didResolveOperation: ({ schema, document, operation, request }) => {
          if (!operation) return Promise.resolve();
          const error = checkOperationLimits(schema, document, operation, request.variables ?? {}, limits);
          if (error) {
            onReject?.(String(error.extensions.code));
            throw error;
          }
          return Promise.resolve();
        },
      }),
  };
}
