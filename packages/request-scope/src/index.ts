// The gateway closes its connection to a subgraph when nobody waits for the
// answer any more (its client left, or its deadline passed). A subgraph
// serves each query in a scope whose signal aborts then, so that work not
// started yet is not started (a DataLoader batch) and work in flight is
// cancelled where the database driver allows it.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { RequestHandler } from 'express';

const storage = new AsyncLocalStorage<AbortSignal>();

/** Work refused because the request it was for has been abandoned. */
export class RequestAbandonedError extends Error {
  constructor() {
    super('the client left; work for it not started');
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
 * the client goes away before the response is written. Mount it after the
 * body parser: the parser's callback runs outside any scope set before it.
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

/** The signal of the query being served; undefined outside one (subscriptions, start-up, mutations). */
export const requestSignal = (): AbortSignal | undefined => storage.getStore();

/** Call before starting work for the request being served: throws when it has been abandoned. */
export function throwIfAbandoned(): void {
  if (storage.getStore()?.aborted) throw new RequestAbandonedError();
}
