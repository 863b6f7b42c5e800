import type { FetcherResponse } from '@apollo/utils.fetcher';
import { GraphQLError } from 'graphql';
import type { Registry } from 'prom-client';
import { counterOf, gaugeOf, type FetchPlugin, type SubgraphCall } from './fetch.ts';

export const OVERLOADED = 'OVERLOADED';

export interface AdmissionOptions {
  /** Fetches in flight to one subgraph at once, at most; more wait in its queue. Default 64. */
  readonly maxConcurrent: number;
  /** Fetches waiting for one subgraph, at most; one more is shed at once. Default 256. */
  readonly maxQueue: number;
  /** Longest a fetch waits in the queue before it is shed, in ms; 0: only the request's deadline bounds it. Default 1000. */
  readonly maxWaitMs: number;
  /** The deadline of the request a fetch is made for (a `performance.now()` time), if it has one. */
  readonly deadlineOf: () => number | undefined;
  readonly registry: Registry;
}

export const DEFAULT_ADMISSION = { maxConcurrent: 64, maxQueue: 256, maxWaitMs: 1000 } as const;

/** A fetch refused because its subgraph is overloaded; the client should try again after `retryAfter` s. */
export class OverloadedError extends GraphQLError {
  constructor(subgraph: string, reason: string, retryAfter: number) {
    super(`The gateway is overloaded (${reason}); try again in ${retryAfter} s`, {
      extensions: { code: OVERLOADED, serviceName: subgraph, retryAfter },
    });
  }
}

interface Waiter {
  readonly deadline: number | undefined;
  readonly admit: () => void;
  readonly shed: (reason: string) => void;
}

interface Lane {
  active: number;
  readonly queue: Set<Waiter>;
  /** Moving average of a fetch's time in flight, in ms: what a queued fetch still needs once admitted. */
  serviceMs: number;
}

/**
 * Admission control per subgraph: at most `maxConcurrent` fetches in flight,
 * at most `maxQueue` waiting; a fetch that cannot be answered in time is
 * shed at once with `OVERLOADED` instead of joining the backlog everyone
 * times out in. Shed when the queue is full (`queue_full`), when it has
 * waited `maxWaitMs` (`waited`), or when the request's deadline leaves less
 * time than the queue ahead of it and a fetch's usual time (`deadline`).
 * A queued fetch whose caller leaves is dropped from the queue (`cancelled`).
 * The gateway turns OVERLOADED into HTTP 503 with `Retry-After` (overload-plugin.ts).
 */
export function admissionControl(options: AdmissionOptions): FetchPlugin {
  const { registry } = options;
  const queued = gaugeOf(
    registry,
    'tonegraph_gateway_subgraph_fetches_queued',
    'Subgraph fetches waiting for admission, by subgraph',
    ['subgraph'],
  );
  const shed = counterOf(
    registry,
    'tonegraph_gateway_subgraph_fetches_shed_total',
    'Subgraph fetches refused with OVERLOADED, by subgraph and reason (queue_full, waited, deadline)',
    ['subgraph', 'reason'],
  );
  const cancelled = counterOf(
    registry,
    'tonegraph_gateway_subgraph_fetches_cancelled_total',
    'Subgraph fetches whose caller left (client gone or deadline passed), by subgraph and stage (queued, in_flight)',
    ['subgraph', 'stage'],
  );
  const lanes = new Map<string, Lane>();
  const laneOf = (subgraph: string) => {
    let lane = lanes.get(subgraph);
    if (!lane) lanes.set(subgraph, (lane = { active: 0, queue: new Set(), serviceMs: 50 }));
    return lane;
  };
  /** Seconds until the queue ahead has drained at the current pace, at least 1. */
  const retryAfter = (lane: Lane) =>
    Math.max(1, Math.ceil((((lane.queue.size + 1) / options.maxConcurrent) * lane.serviceMs) / 1000));
  const expectedMs = (lane: Lane, ahead: number) =>
    Math.floor(ahead / options.maxConcurrent) * lane.serviceMs + lane.serviceMs;

  const next = (subgraph: string, lane: Lane) => {
    for (const waiter of lane.queue) {
      if (lane.active >= options.maxConcurrent) return;
      lane.queue.delete(waiter);
      queued.dec({ subgraph });
      if (waiter.deadline !== undefined && waiter.deadline - performance.now() < lane.serviceMs) {
        waiter.shed('deadline');
        continue;
      }
      // Counted here, not when the waiter resumes: the loop must see the slot taken.
      lane.active++;
      waiter.admit();
    }
  };

  return (fetch) => async (call: SubgraphCall) => {
    const { subgraph, signal } = call;
    const lane = laneOf(subgraph);
    const overloaded = (reason: string) => {
      shed.inc({ subgraph, reason });
      return new OverloadedError(subgraph, reason, retryAfter(lane));
    };
    const refuse = (reason: string): never => {
      throw overloaded(reason);
    };
    if (lane.active < options.maxConcurrent && lane.queue.size === 0) {
      lane.active++;
    } else {
      if (lane.queue.size >= options.maxQueue) refuse('queue_full');
      const deadline = options.deadlineOf();
      if (deadline !== undefined && deadline - performance.now() < expectedMs(lane, lane.queue.size)) {
        refuse('deadline');
      }
      await new Promise<void>((resolve, reject) => {
        const timer =
          options.maxWaitMs > 0
            ? setTimeout(() => {
                if (lane.queue.delete(waiter)) {
                  queued.dec({ subgraph });
                  waiter.shed('waited');
                }
              }, options.maxWaitMs)
            : undefined;
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        };
        const onAbort = () => {
          if (!lane.queue.delete(waiter)) return;
          queued.dec({ subgraph });
          cancelled.inc({ subgraph, stage: 'queued' });
          done();
          reject(signal!.reason instanceof Error ? signal!.reason : new Error('fetch cancelled'));
        };
        const waiter: Waiter = {
          deadline,
          admit: () => {
            done();
            resolve();
          },
          shed: (reason) => {
            done();
            reject(overloaded(reason));
          },
        };
        lane.queue.add(waiter);
        queued.inc({ subgraph });
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
    const start = performance.now();
    let response: FetcherResponse;
    try {
      response = await fetch(call);
    } catch (error) {
      if (signal?.aborted) cancelled.inc({ subgraph, stage: 'in_flight' });
      throw error;
    } finally {
      lane.active--;
      next(subgraph, lane);
    }
    lane.serviceMs = lane.serviceMs * 0.8 + (performance.now() - start) * 0.2;
    return response;
  };
}
