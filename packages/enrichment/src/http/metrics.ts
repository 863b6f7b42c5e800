import { Counter, Gauge, type Registry } from 'prom-client';

/** Per-host HTTP metrics, shared by every host client registered on one Registry. */
export interface HttpMetrics {
  readonly calls: Counter<'host' | 'outcome'>;
  readonly failures: Counter<'host' | 'reason'>;
  readonly retries: Counter<'host'>;
  readonly cache: Counter<'host' | 'result'>;
  /** 0 closed, 1 open, 2 half-open, 3 isolated. */
  readonly breakerState: Gauge<'host'>;
}

// prom-client refuses a second metric of the same name on a registry, and
// several host clients share one: create the set once per registry.
const byRegistry = new WeakMap<Registry, HttpMetrics>();

export function httpMetrics(registry: Registry): HttpMetrics {
  let metrics = byRegistry.get(registry);
  if (!metrics) {
    const registers = [registry];
    metrics = {
      calls: new Counter({
        name: 'tonegraph_enrichment_http_calls_total',
        help: 'Logical calls to an external host, by outcome (ok, cached, not_found, failed, deferred)',
        labelNames: ['host', 'outcome'] as const,
        registers,
      }),
      failures: new Counter({
        name: 'tonegraph_enrichment_http_failures_total',
        help: 'Failed attempts against an external host, by reason (status code, timeout, network, malformed)',
        labelNames: ['host', 'reason'] as const,
        registers,
      }),
      retries: new Counter({
        name: 'tonegraph_enrichment_http_retries_total',
        help: 'Attempts repeated after a transient failure',
        labelNames: ['host'] as const,
        registers,
      }),
      cache: new Counter({
        name: 'tonegraph_enrichment_http_cache_total',
        help: 'Response cache lookups, by result (hit, miss)',
        labelNames: ['host', 'result'] as const,
        registers,
      }),
      breakerState: new Gauge({
        name: 'tonegraph_enrichment_breaker_state',
        help: 'Circuit breaker state per host: 0 closed, 1 open, 2 half-open, 3 isolated',
        labelNames: ['host'] as const,
        registers,
      }),
    };
    byRegistry.set(registry, metrics);
  }
  return metrics;
}
