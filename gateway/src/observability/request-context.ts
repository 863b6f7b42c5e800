import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes, randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '@tonegraph/logger';

/** What every subgraph fetch of one client request needs to know about it. */
export interface RequestScope {
  readonly requestId: string;
  /** W3C trace id (32 hex) shared by the request and its subgraph fetches. */
  readonly traceId: string;
  /** Aborted when the request's deadline passes or the client goes away. */
  readonly signal: AbortSignal;
  /** When the deadline passes (a `performance.now()` time); undefined without one. */
  readonly deadline: number | undefined;
  /** True once the deadline (not the client) aborted the signal. */
  timedOut(): boolean;
  readonly log: Logger;
}

const storage = new AsyncLocalStorage<RequestScope>();

/** The scope of the HTTP request being served, if any (subscription events have none). */
export const currentRequest = (): RequestScope | undefined => storage.getStore();

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/** A `traceparent` for a call made on behalf of the request: its trace id, a fresh span id, sampled. */
export const childTraceparent = (traceId: string): string =>
  `00-${traceId}-${randomBytes(8).toString('hex')}-01`;

/**
 * Gives every HTTP request an id (the client's `x-request-id` when it is a
 * sane token, else a UUID), a trace id (from a valid incoming `traceparent`,
 * else new), a child logger, and a deadline whose signal aborts the
 * request's subgraph fetches. Echoes `x-request-id` on the response.
 */
export function requestScope(deps: { log: Logger; timeoutMs: number }): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const parent = TRACEPARENT.exec(req.get('traceparent') ?? '');
    const traceId = parent?.[1] && !/^0+$/.test(parent[1]) ? parent[1] : randomBytes(16).toString('hex');
    const controller = new AbortController();
    let timedOut = false;
    // 0 turns the deadline off.
    const timer =
      deps.timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            controller.abort(new Error(`request deadline of ${deps.timeoutMs} ms passed`));
          }, deps.timeoutMs).unref()
        : undefined;
    // `close` fires after the response finished too; aborting then is harmless (no fetch is left).
    res.once('close', () => {
      clearTimeout(timer);
      if (!res.writableFinished) controller.abort(new Error('client went away'));
    });
    res.setHeader('x-request-id', requestId);
    const log = deps.log.child({ reqId: requestId });
    const started = performance.now();
    res.once('finish', () => {
      const ms = Math.round(performance.now() - started);
      log.debug({ method: req.method, path: req.path, status: res.statusCode, ms }, 'request');
    });
    const deadline = deps.timeoutMs > 0 ? performance.now() + deps.timeoutMs : undefined;
    storage.run(
      { requestId, traceId, signal: controller.signal, deadline, timedOut: () => timedOut, log },
      () => next(),
    );
  };
}
