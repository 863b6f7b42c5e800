import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import { OverloadedError } from '../subgraph-traffic/admission.ts';
import { counterOf, gaugeOf } from '../subgraph-traffic/fetch.ts';
import { createAdmissionQueue, Shed } from './admission-queue.ts';

export interface EntryAdmissionOptions {
  /** GraphQL HTTP requests being executed at once, at most; more wait. Default 128. */
  readonly maxConcurrent: number;
  /** Requests waiting, at most; one more is answered 503 at once. Default 2048. */
  readonly maxQueue: number;
  /**
   * Longest a request waits for its turn, in ms (shed at once if it would wait longer at the current
   * pace). Default 0: only its deadline bounds the wait.
   */
  readonly maxWaitMs: number;
  /** The request's deadline (a `performance.now()` time), if it has one. */
  readonly deadlineOf: () => number | undefined;
  readonly registry: Registry;
}

export const DEFAULT_ENTRY_ADMISSION = { maxConcurrent: 128, maxQueue: 2048, maxWaitMs: 0 } as const;

/**
 * Admission of GraphQL HTTP requests as they arrive, before their body is
 * parsed: with a thousand clients at once, every admitted request shared
 * the gateway's one thread with all the others, each took seconds, and
 * clients timed out although each subgraph's queue was bounded. Only
 * `maxConcurrent` requests run; the rest wait in a bounded queue and are
 * answered HTTP 503 `OVERLOADED` with `Retry-After` when they cannot start
 * in time (their deadline, or `maxWaitMs` when set) — a cheap answer that costs the running requests
 * nothing. A waiting request whose client leaves is dropped.
 */
export interface EntryAdmission {
  /** Mounted on the GraphQL path: waits for a turn, or answers 503. */
  readonly middleware: RequestHandler;
  /**
   * Before the request reaches express: answers 503 at once, with nothing
   * but Node's HTTP parsing spent on it, when it would be refused anyway
   * (queue full, or too long a wait at the current pace). True when it did.
   * Under a flood of clients that resend at once, refusals are most of the
   * work, and their cost decides how long every answer waits.
   */
  refuseEarly(req: IncomingMessage, res: ServerResponse): boolean;
}

/** The 503 body and headers of a refused request. */
function overloaded(refused: Shed) {
  const body = JSON.stringify({
    errors: [new OverloadedError(undefined, refused.reason, refused.retryAfter).toJSON()],
  });
  return {
    body,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      'retry-after': String(refused.retryAfter),
    },
  };
}

export function entryAdmission(options: EntryAdmissionOptions): EntryAdmission {
  const { registry } = options;
  const inFlight = gaugeOf(
    registry,
    'tonegraph_gateway_requests_in_flight',
    'GraphQL HTTP requests being executed',
    [],
  );
  const queued = gaugeOf(
    registry,
    'tonegraph_gateway_requests_queued',
    'GraphQL HTTP requests waiting for admission',
    [],
  );
  const shed = counterOf(
    registry,
    'tonegraph_gateway_requests_shed_total',
    'GraphQL HTTP requests answered 503 OVERLOADED on arrival, by reason (queue_full, expected_wait, waited, deadline)',
    ['reason'],
  );
  const cancelled = counterOf(
    registry,
    'tonegraph_gateway_requests_cancelled_total',
    'GraphQL HTTP requests whose client left while waiting for admission',
    [],
  );
  const queue = createAdmissionQueue({ ...options, onQueued: (delta) => queued.inc(delta) });

  const middleware: RequestHandler = (req, res, next) => {
    const left = new AbortController();
    let release: (() => void) | undefined;
    let closed = false;
    res.once('close', () => {
      closed = true;
      if (!release) return left.abort(new Error('client left'));
      inFlight.dec();
      release();
    });
    queue.enter({ deadline: options.deadlineOf(), signal: left.signal }).then(
      (admitted) => {
        if (closed) return admitted();
        release = admitted;
        inFlight.inc();
        next();
      },
      (error: unknown) => {
        if (!(error instanceof Shed)) return cancelled.inc();
        shed.inc({ reason: error.reason });
        const { body, headers } = overloaded(error);
        res.status(503).set(headers).send(body);
      },
    );
  };

  return {
    middleware,
    refuseEarly(req, res) {
      const refused = queue.refusal();
      if (!refused) return false;
      shed.inc({ reason: refused.reason });
      const { body, headers } = overloaded(refused);
      res.writeHead(503, headers).end(body);
      return true;
    },
  };
}
