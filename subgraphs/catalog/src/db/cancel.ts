import type postgres from 'postgres';
import { RequestAbandonedError, requestSignal } from '@tonegraph/request-scope';

/**
 * The postgres.js client as drizzle sees it, with each statement tied to
 * the request it runs for: a statement of an abandoned request is not sent
 * (a DataLoader batch that starts after the client left fails at once), and
 * one in flight is cancelled in PostgreSQL (postgres.js `cancel()`: a cancel
 * request to the backend running it, or removal from the queue when not yet
 * sent). `cancel()` on a statement already answered does nothing. Outside a
 * request (subscriptions' events, start-up) statements run as usual.
 * Transactions (`begin`) are not wrapped: a mutation runs to its commit.
 */
export function cancelWithRequest(sql: postgres.Sql): postgres.Sql {
  return new Proxy(sql, {
    get(target, property, receiver) {
      if (property !== 'unsafe') return Reflect.get(target, property, receiver) as unknown;
      return (...args: Parameters<postgres.Sql['unsafe']>) => {
        const signal = requestSignal();
        if (signal?.aborted) throw new RequestAbandonedError();
        const pending = target.unsafe(...args);
        // Not awaited here: postgres.js sends a statement when it is awaited, after drizzle set its mode.
        signal?.addEventListener('abort', () => void pending.cancel(), { once: true });
        return pending;
      };
    },
  });
}
