import { AsyncLocalStorage } from 'node:async_hooks';
import type { RequestHandler } from 'express';
import type postgres from 'postgres';

/** The signal of the HTTP request being served: aborted when its client leaves before the answer. */
const storage = new AsyncLocalStorage<AbortSignal>();

/** Statement refused because the request it was for has been abandoned. */
export class RequestAbandonedError extends Error {
  constructor() {
    super('the client left; statement not sent');
    this.name = 'RequestAbandonedError';
  }
}

/** A query document (`query …` or `{ … }`); mutations are left to run to their end. */
const isQuery = (body: unknown) => {
  const query = (body as { query?: unknown } | null)?.query;
  return typeof query === 'string' && /^\s*(?:query\b|\{)/.test(query);
};

/**
 * Runs the rest of a query's request in a scope whose signal aborts when
 * the client (the gateway, which closes its connection when its own client
 * leaves or its deadline passes) goes away before the response is written.
 * Mount it after the body parser: the parser's callback runs outside any
 * scope set before it.
 */
export const abandonedRequests: RequestHandler = (req, res, next) => {
  if (!isQuery(req.body)) {
    next();
    return;
  }
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort(new RequestAbandonedError());
  });
  storage.run(controller.signal, () => next());
};

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
        const signal = storage.getStore();
        if (signal?.aborted) throw new RequestAbandonedError();
        const pending = target.unsafe(...args);
        // Not awaited here: postgres.js sends a statement when it is awaited, after drizzle set its mode.
        signal?.addEventListener('abort', () => void pending.cancel(), { once: true });
        return pending;
      };
    },
  });
}
