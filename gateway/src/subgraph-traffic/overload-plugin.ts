import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { OVERLOADED } from './admission.ts';

/**
 * A request with a fetch shed for overload is answered as a whole with HTTP
 * 503, its OVERLOADED errors only (no partial data a client might take for
 * an answer) and `Retry-After`: the longest any of its subgraphs asked for.
 */
export function overloadPlugin(): ApolloServerPlugin<BaseContext> {
  return {
    requestDidStart: () =>
      Promise.resolve({
        willSendResponse: ({ response }) => {
          if (response.body.kind !== 'single') return Promise.resolve();
          const shed = (response.body.singleResult.errors ?? []).filter(
            (e) => e.extensions?.code === OVERLOADED,
          );
          if (shed.length === 0) return Promise.resolve();
          const retryAfter = Math.max(1, ...shed.map((e) => Number(e.extensions?.retryAfter) || 1));
          response.http.status = 503;
          response.http.headers.set('retry-after', String(retryAfter));
          response.body.singleResult = { errors: shed };
          return Promise.resolve();
        },
      }),
  };
}
