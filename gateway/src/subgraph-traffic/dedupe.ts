import type { FetcherResponse } from '@apollo/utils.fetcher';
import type { Registry } from 'prom-client';
import { counterOf, isQueryBody, type FetchPlugin, type SubgraphCall } from './fetch.ts';

export interface DedupeOptions {
  /** Where `tonegraph_gateway_subgraph_fetches_deduplicated_total` is registered. */
  readonly registry: Registry;
}

interface Flight {
  /** Callers still waiting for the answer; the fetch is aborted when the last one leaves. */
  waiters: number;
  readonly controller: AbortController;
  readonly result: Promise<FetcherResponse>;
}

/**
 * The headers that reach the subgraph from the data source, sorted, then the
 * body (the document and its variables). Per-call trace headers
 * (`x-request-id`, `traceparent`) are added below this plugin and are not part
 * of the key; the subgraph secret is the same for every call.
 */
const keyOf = (call: SubgraphCall) => {
  const headers = Object.entries(call.init.headers ?? {})
    .map(([k, v]) => [k.toLowerCase(), v])
    .sort(([a], [b]) => (a! < b! ? -1 : a! > b! ? 1 : 0));
  return `${call.subgraph}\n${JSON.stringify(headers)}\n${String(call.init.body)}`;
};

/**
 * Identical subgraph queries in flight at the same time share one fetch:
 * the first caller sends it, later ones with the same key wait for its
 * answer (the response is read whole, so each gets the same text). Only
 * queries — a mutation, or any body not recognised as a query, always goes
 * alone. A caller that leaves (its client disconnected or its deadline
 * passed) stops waiting at once; the shared fetch is aborted only when no
 * caller is left. A failed fetch fails every caller with the same error.
 * Nothing is kept after the answer: this is not a cache.
 */
export function deduplicateFetches(options: DedupeOptions): FetchPlugin {
  const deduplicated = counterOf(
    options.registry,
    'tonegraph_gateway_subgraph_fetches_deduplicated_total',
    'Subgraph fetches not sent because an identical query to the subgraph was in flight, by subgraph',
    ['subgraph'],
  );
  const flights = new Map<string, Flight>();

  return (next) => (call) => {
    if (!isQueryBody(call.init.body)) return next(call);
    const key = keyOf(call);
    let flight = flights.get(key);
    if (flight) {
      deduplicated.inc({ subgraph: call.subgraph });
    } else {
      const controller = new AbortController();
      const result = next({ ...call, signal: controller.signal });
      const started: Flight = { waiters: 0, controller, result };
      flight = started;
      flights.set(key, started);
      const forget = () => {
        if (flights.get(key) === started) flights.delete(key);
      };
      result.then(forget, forget);
    }
    return wait(flight, call.signal, () => {
      if (flights.get(key) === flight) flights.delete(key);
    });
  };
}

/** The flight's answer for one caller, who may leave before it comes. */
function wait(
  flight: Flight,
  signal: AbortSignal | undefined,
  abandoned: () => void,
): Promise<FetcherResponse> {
  flight.waiters++;
  if (!signal) return flight.result;
  if (signal.aborted) return leave(flight, signal, abandoned);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      leave(flight, signal, abandoned).catch(reject);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    flight.result.then(
      (response) => {
        signal.removeEventListener('abort', onAbort);
        resolve(response);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

function leave(flight: Flight, signal: AbortSignal, abandoned: () => void): Promise<never> {
  if (--flight.waiters === 0) {
    // Nobody wants this answer: later callers start a fetch of their own.
    abandoned();
    flight.result.catch(() => {});
    flight.controller.abort(signal.reason);
  }
  return Promise.reject(signal.reason instanceof Error ? signal.reason : new Error('fetch abandoned'));
}
