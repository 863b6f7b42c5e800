import type { ApolloServerPlugin } from '@apollo/server';
import type { OperationTypeNode } from 'graphql';
import type { Scope } from './api-keys.ts';
import type { Principal } from './authenticator.ts';
import { AuthError } from './errors.ts';

/** `read` for queries and subscriptions, `admin` for mutations. */
export const requiredScope = (operation: OperationTypeNode | 'query' | 'mutation' | 'subscription'): Scope =>
  operation === 'mutation' ? 'admin' : 'read';

/** An AuthError(403) naming the missing scope, or undefined when the principal may run the operation. */
export function checkScope(principal: Principal, operation: OperationTypeNode): AuthError | undefined {
  const scope = requiredScope(operation);
  if (principal.scopes.has(scope)) return undefined;
  return new AuthError(403, `This ${operation} needs the "${scope}" scope`, { requiredScope: scope });
}

/** Apollo Server plugin: refuses an operation whose type needs a scope the request's principal lacks. */
export function scopePlugin<C extends { principal: Principal }>(): ApolloServerPlugin<C> {
  return {
    requestDidStart: () =>
      Promise.resolve({
        didResolveOperation: ({ operation, contextValue }) => {
          const error = operation && checkScope(contextValue.principal, operation.operation);
          if (error) throw error;
          return Promise.resolve();
        },
      }),
  };
}
