import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The ingest process's Prometheus metrics. */
export function createMetrics() {
  const registry = new Registry();
  let depths: () => Promise<Record<string, number>> = () => Promise.resolve({});
  new Gauge({
    name: 'tonegraph_ingest_queue_depth',
    help: 'Messages waiting in each pipeline queue (files, analysis, graph, their retry and dead-letter queues)',
    labelNames: ['queue'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const [queue, count] of Object.entries(await depths())) this.set({ queue }, count);
    },
  });
  collectDefaultMetrics({ register: registry, prefix: 'tonegraph_ingest_' });
  let current = 0;
  let peak = 0;
  const inFlight = new Gauge({
    name: 'tonegraph_ingest_files_in_flight',
    help: 'File jobs being handled now',
    registers: [registry],
  });
  const inFlightPeak = new Gauge({
    name: 'tonegraph_ingest_files_in_flight_peak',
    help: 'Most file jobs handled at once since start',
    registers: [registry],
  });
  return {
    registry,
    files: new Counter({
      name: 'tonegraph_ingest_files_total',
      help: 'File jobs handled, by result (done, failed = recorded as an ImportError, retried, dead)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'tonegraph_ingest_file_duration_seconds',
      help: 'Time to handle one file job, from delivery to commit',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    scans: new Counter({
      name: 'tonegraph_ingest_scans_total',
      help: 'Scan requests handled',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    analyses: new Counter({
      name: 'tonegraph_ingest_analyses_total',
      help: 'Audio analysis jobs handled, by result (done, failed = recorded as an ImportError, retried, dead)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    analysisDuration: new Histogram({
      name: 'tonegraph_ingest_analysis_duration_seconds',
      help: 'Time to analyse one file, from delivery to stored result',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [registry],
    }),
    graphSyncs: new Counter({
      name: 'tonegraph_ingest_graph_syncs_total',
      help: 'Library-graph sync jobs handled, by result (done, failed, retried, dead)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    enrichments: new Counter({
      name: 'tonegraph_ingest_enrichments_total',
      help: 'Enrichment jobs handled, by result (done, failed, retried, dead); deferrals count as done',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    enrichmentResults: new Counter({
      name: 'tonegraph_ingest_enrichment_results_total',
      help: 'Enrichment outcomes by status (matched, candidates, not_found, deferred)',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
    /** The most file jobs that were in flight at once. */
    peak: () => peak,
    /** Where the queue depths come from (the worker, once it runs). */
    observeQueues(source: () => Promise<Record<string, number>>) {
      depths = source;
    },
    started() {
      inFlight.set(++current);
      if (current > peak) inFlightPeak.set((peak = current));
    },
    finished() {
      inFlight.set(--current);
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** `/metrics` for Prometheus and `/healthz` (`ready()` decides 200 or 503). Not listening yet. */
export function createMetricsServer(metrics: Metrics, ready: () => boolean): Server {
  return createServer((req, res) => {
    if (req.url === '/metrics') {
      metrics.registry.metrics().then(
        (body) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(body);
        },
        () => {
          res.writeHead(500);
          res.end();
        },
      );
    } else if (req.url === '/healthz') {
      const ok = ready();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: ok ? 'ok' : 'unavailable' }));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
}
