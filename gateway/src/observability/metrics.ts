import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestHandler } from 'express';

export interface GatewayMetrics {
  readonly registry: Registry;
  /** One finished HTTP GraphQL operation. */
  observeRequest(operation: string, type: string, outcome: 'ok' | 'error', seconds: number): void;
  /** One subgraph fetch; `error` is a short reason (`timeout`, `aborted`, `http_502`, `network`). */
  observeFetch(subgraph: string, seconds: number, error?: string): void;
  /** A request refused by a limit, auth or the WebSocket policy, by its code. */
  reject(code: string): void;
  readonly wsConnections: Gauge;
  /** Apollo Server plugin timing each operation. */
  plugin(): ApolloServerPlugin;
  /** GET /metrics. */
  handler(): RequestHandler;
}

/** Operation names are client-chosen: keep the label set bounded and printable. */
const NAME = /^[_A-Za-z][_0-9A-Za-z]{0,63}$/;
const label = (name: string | null | undefined) =>
  name && NAME.test(name) ? name : name ? 'invalid' : 'anonymous';

export function createMetrics(
  stats: () => { clients: number; upstream: number; connections: number },
): GatewayMetrics {
  // A registry per gateway: tests run several in one process.
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tonegraph_gateway_' });
  const requests = new Counter({
    name: 'tonegraph_gateway_requests_total',
    help: 'GraphQL operations served over HTTP, by operation name, type and outcome',
    labelNames: ['operation', 'type', 'outcome'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'tonegraph_gateway_request_duration_seconds',
    help: 'Time to answer a GraphQL operation over HTTP, by operation name and type',
    labelNames: ['operation', 'type'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const fetches = new Histogram({
    name: 'tonegraph_gateway_subgraph_fetch_duration_seconds',
    help: 'Subgraph HTTP fetches, by subgraph',
    labelNames: ['subgraph'],
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const fetchErrors = new Counter({
    name: 'tonegraph_gateway_subgraph_fetch_errors_total',
    help: 'Subgraph HTTP fetches that failed, by subgraph and reason',
    labelNames: ['subgraph', 'reason'],
    registers: [registry],
  });
  const rejections = new Counter({
    name: 'tonegraph_gateway_rejections_total',
    help: 'Requests refused by authentication, scopes or limits, by error code',
    labelNames: ['code'],
    registers: [registry],
  });
  const wsConnections = new Gauge({
    name: 'tonegraph_gateway_websocket_connections',
    help: 'Client WebSocket connections open',
    registers: [registry],
  });
  new Gauge({
    name: 'tonegraph_gateway_active_subscriptions',
    help: 'Client subscriptions running (graphql-ws and SSE)',
    registers: [registry],
    collect() {
      this.set(stats().clients);
    },
  });
  new Gauge({
    name: 'tonegraph_gateway_upstream_subscriptions',
    help: 'Subscriptions open towards subgraphs',
    registers: [registry],
    collect() {
      this.set(stats().upstream);
    },
  });
  new Gauge({
    name: 'tonegraph_gateway_upstream_connections',
    help: 'WebSocket connections open to subgraphs',
    registers: [registry],
    collect() {
      this.set(stats().connections);
    },
  });

  const metrics: GatewayMetrics = {
    registry,
    wsConnections,
    observeRequest(operation, type, outcome, seconds) {
      requests.inc({ operation: label(operation), type, outcome });
      duration.observe({ operation: label(operation), type }, seconds);
    },
    observeFetch(subgraph, seconds, error) {
      fetches.observe({ subgraph }, seconds);
      if (error) fetchErrors.inc({ subgraph, reason: error });
    },
    reject: (code) => rejections.inc({ code }),
    plugin: () => ({
      requestDidStart: () => {
        const start = performance.now();
        return Promise.resolve({
          willSendResponse: ({ operation, operationName, errors, response }) => {
            const failed = (errors?.length ?? 0) > 0 || (response.http.status ?? 200) >= 400;
            metrics.observeRequest(
              operationName ?? '',
              operation?.operation ?? 'unknown',
              failed ? 'error' : 'ok',
              (performance.now() - start) / 1000,
            );
            return Promise.resolve();
          },
        });
      },
    }),
    handler: () => async (_req, res) => {
      res.setHeader('content-type', registry.contentType);
      res.end(await registry.metrics());
    },
  };
  return metrics;
}
