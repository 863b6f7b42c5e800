import type { FetcherRequestInit, FetcherResponse } from '@apollo/utils.fetcher';
import { Counter, Gauge, type Registry } from 'prom-client';

/** One fetch the query plan sends to a subgraph. */
export interface SubgraphCall {
  readonly subgraph: string;
  readonly url: string;
  readonly init: FetcherRequestInit;
  /** Aborted when nobody wants the answer any more (the client left, the deadline passed). */
  readonly signal: AbortSignal | undefined;
}

export type SubgraphFetch = (call: SubgraphCall) => Promise<FetcherResponse>;

/** A cross-cutting concern of the subgraph fetch path (deduplication, admission): wraps the next step. */
export type FetchPlugin = (next: SubgraphFetch) => SubgraphFetch;

/** Query plans send mutations as `mutation …` documents and queries as `query …` or `{ … }`. */
export const isQueryBody = (body: FetcherRequestInit['body']): boolean =>
  typeof body === 'string' && /^\{"query":"\s*(?:query\b|\{)/.test(body);

/**
 * The registry's metric of that name, made on first use: one registry per
 * gateway serves every subgraph's data source, and each plugin owns its metrics.
 */
export function counterOf(registry: Registry, name: string, help: string, labelNames: string[]): Counter {
  return (
    (registry.getSingleMetric(name) as Counter | undefined) ??
    new Counter({ name, help, labelNames, registers: [registry] })
  );
}

export function gaugeOf(registry: Registry, name: string, help: string, labelNames: string[]): Gauge {
  return (
    (registry.getSingleMetric(name) as Gauge | undefined) ??
    new Gauge({ name, help, labelNames, registers: [registry] })
  );
}
