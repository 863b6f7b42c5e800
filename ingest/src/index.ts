import { Redis } from 'ioredis';
import { createDb, migrateDb } from '@tonegraph/catalog/db';
import { createScanPublisher } from '@tonegraph/catalog/queue';
import { createLifecycle } from '@tonegraph/lifecycle';
import { createLogger } from '@tonegraph/logger';
import { loadIngestConfig } from './config.ts';
import { createMetrics, createMetricsServer } from './metrics.ts';
import { queueNames } from './queue/topology.ts';
import { requestScan } from './catalog/scan-requests.ts';
import { startIngest } from './service.ts';
import { startWatching } from './watcher/index.ts';

const config = loadIngestConfig();
const log = createLogger({ service: 'ingest', level: config.LOG_LEVEL });
const lifecycle = createLifecycle({ log, fuseMs: 30_000 });
lifecycle.handleSignals();

const database = createDb(config.DATABASE_URL, { poolSize: config.DB_POOL_SIZE });
lifecycle.defer('database', () => database.close());
// The catalog owns the schema; migrating here too lets ingest start first.
await migrateDb(database);

const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 2 });
lifecycle.defer('redis', () => redis.quit());

const metrics = createMetrics();
const ingest = await startIngest({
  metrics,
  db: database.db,
  redis,
  amqpUrl: config.AMQP_URL,
  names: queueNames(config.QUEUE_PREFIX, config.SCAN_QUEUE),
  concurrency: config.INGEST_CONCURRENCY,
  sequential: config.INGEST_SEQUENTIAL,
  maxRetries: config.INGEST_MAX_RETRIES,
  retryDelayMs: config.INGEST_RETRY_DELAY_MS,
  redisPrefix: config.REDIS_PREFIX,
  log,
});
lifecycle.defer('pipeline', () => ingest.stop(20_000));

if (config.INGEST_WATCH_MODE !== 'off') {
  const scans = createScanPublisher(config.AMQP_URL, config.SCAN_QUEUE);
  lifecycle.defer('scan publisher', () => scans.close());
  const watching = startWatching(redis, `${config.REDIS_PREFIX}ingest:watcher`, 30_000, {
    db: database.db,
    log: log.child({ component: 'watcher' }),
    mode: config.INGEST_WATCH_MODE,
    pollIntervalMs: config.INGEST_POLL_INTERVAL_MS,
    debounceMs: config.INGEST_WATCH_DEBOUNCE_MS,
    requestScan: (libraryId) => requestScan(database.db, scans, libraryId),
  });
  // Deferred after the pipeline, so it runs first on shutdown: no new scans while draining.
  lifecycle.defer('watcher', () => watching.close());
}

const http = createMetricsServer(metrics, () => ingest.worker.connected());
await new Promise<void>((resolve) => http.listen(config.METRICS_PORT, config.HOST, resolve));
lifecycle.defer('metrics', () => new Promise((resolve) => http.close(resolve)));
log.info(
  {
    sequential: config.INGEST_SEQUENTIAL,
    concurrency: config.INGEST_CONCURRENCY,
    metrics: `http://${config.HOST}:${config.METRICS_PORT}/metrics`,
  },
  'ingest started',
);
