import type { FetcherResponse } from '@apollo/utils.fetcher';
import { GraphQLError } from 'graphql';
import type { Registry } from 'prom-client';
import { createAdmissionQueue, Shed, type AdmissionQueue } from '../limits/admission-queue.ts';
import { counterOf, gaugeOf, type FetchPlugin, type SubgraphCall } from './fetch.ts';

export const OVERLOADED = 'OVERLOADED';

export interface AdmissionOptions {
  /** Fetches in flight to one subgraph at once, at most; more wait in its queue. Default 64. */
  readonly maxConcurrent: number;
  /** Fetches waiting for one subgraph, at most; one more is shed at once. Default 256. */
  readonly maxQueue: number;
  /**
   * Longest a fetch waits in the queue, in ms: one that would wait longer at
   * the subgraph's current pace is shed at once, one that did is shed then;
   * 0: only the request's deadline bounds it. Default 1000.
   */
  readonly maxWaitMs: number;
  /** The deadline of the request a fetch is made for (a `performance.now()` time), if it has one. */
  readonly deadlineOf: () => number | undefined;
  readonly registry: Registry;
}

export const DEFAULT_ADMISSION = { maxConcurrent: 64, maxQueue: 256, maxWaitMs: 1000 } as const;

/** A request refused because the gateway or a subgraph is overloaded; the client should try again after `retryAfter` s. */
export class OverloadedError extends GraphQLError {
  constructor(subgraph: string | undefined, reason: string, retryAfter: number) {
    super(`The gateway is overloaded (${reason}); try again in ${retryAfter} s`, {
      extensions: { code: OVERLOADED, ...(subgraph ? { serviceName: subgraph } : {}), retryAfter },
    });
  }
}

/**
 * Admission control per subgraph (limits/admission-queue.ts, one queue per
 * subgraph): at most `maxConcurrent` fetches in flight, at most `maxQueue`
 * waiting; a fetch that cannot be answered in time is shed at once with
 * `OVERLOADED` instead of joining the backlog everyone times out in. A
 * queued fetch whose caller leaves is dropped from the queue (`cancelled`).
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
    'Subgraph fetches refused with OVERLOADED, by subgraph and reason (queue_full, expected_wait, waited, deadline)',
    ['subgraph', 'reason'],
  );
  const cancelled = counterOf(
    registry,
    'tonegraph_gateway_subgraph_fetches_cancelled_total',
    'Subgraph fetches whose caller left (client gone or deadline passed), by subgraph and stage (queued, in_flight)',
    ['subgraph', 'stage'],
  );
  const lanes = new Map<string, AdmissionQueue>();
  const laneOf = (subgraph: string) => {
    let lane = lanes.get(subgraph);
    if (!lane) {
      lane = createAdmissionQueue({ ...options, onQueued: (delta) => queued.inc({ subgraph }, delta) });
      lanes.set(subgraph, lane);
    }
    return lane;
  };

  return (fetch) => async (call: SubgraphCall) => {
    const { subgraph, signal } = call;
    let release: () => void;
    try {
      release = await laneOf(subgraph).enter({ deadline: options.deadlineOf(), signal });
    } catch (error) {
      if (error instanceof Shed) {
        shed.inc({ subgraph, reason: error.reason });
        throw new OverloadedError(subgraph, error.reason, error.retryAfter);
      }
      cancelled.inc({ subgraph, stage: 'queued' });
      throw error;
    }
    let response: FetcherResponse;
    try {
      response = await fetch(call);
    } catch (error) {
      if (signal?.aborted) cancelled.inc({ subgraph, stage: 'in_flight' });
      throw error;
    } finally {
      release();
    }
    return response;
  };
}
