import { Redis } from 'ioredis';
import { createDb } from '@tonegraph/catalog/db';
import { migrateCatalog } from '@tonegraph/catalog/store';
import { createScanPublisher, queueNames } from '@tonegraph/queues';
import { connectMongo } from '@tonegraph/analysis/db';
import { createAnalysisStore } from '@tonegraph/analysis/store';
import { ANALYZER_VERSION, createAnalysisPool, decoderBinary } from '@tonegraph/audio-analysis';
import { createDriver } from '@tonegraph/library-graph/driver';
import { createGraphSync, waitForGraphSchema } from '@tonegraph/library-graph/sync';
import { createLifecycle } from '@tonegraph/lifecycle';
import { createLogger } from '@tonegraph/logger';
import { createEnricher, enricherOptionsFromEnv } from '@tonegraph/enrichment';
import { loadIngestConfig } from './config.ts';
import { createMetrics, createMetricsServer } from './metrics.ts';
import { startIngest } from './service.ts';
import { startWatching } from './watcher/index.ts';

const config = loadIngestConfig();
const log = createLogger({ service: 'ingest', level: config.LOG_LEVEL });
const lifecycle = createLifecycle({ log, fuseMs: 30_000 });
lifecycle.handleSignals();

const database = createDb(config.DATABASE_URL, { poolSize: config.DB_POOL_SIZE });
lifecycle.defer('database', () => database.close());
// The catalog owns the schema; its migrations, run here too so that ingest can
// start first, take turns under a lock (logged when ingest has to wait).
await migrateCatalog(database, { log });

const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 2 });
lifecycle.defer('redis', () => redis.quit());

const analysis = await startAnalysis();
const graph = await startGraph();

const metrics = createMetrics();
const enrichment = startEnrichment();
const ingest = await startIngest({
  ...(analysis ? { analysis } : {}),
  ...(enrichment ? { enrichment } : {}),
  ...(graph ? { graph } : {}),
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
  changeNoticeIntervalMs: config.CHANGE_NOTICE_INTERVAL_MS,
  log,
});
lifecycle.defer('pipeline', () => ingest.stop(20_000));

/** The enrichment stage's enricher, when MUSICBRAINZ_CONTACT is set and enrichment is not off. */
function startEnrichment() {
  if (!config.MUSICBRAINZ_CONTACT || config.INGEST_ENRICHMENT === 'off') {
    log.info('enrichment off (set MUSICBRAINZ_CONTACT to link tracks to MusicBrainz)');
    return undefined;
  }
  const enricher = createEnricher(
    enricherOptionsFromEnv(config, { redis, keyPrefix: config.REDIS_PREFIX, registry: metrics.registry }),
  );
  // Deferred before the pipeline, so it closes after the jobs in flight have finished.
  lifecycle.defer('enricher', () => enricher.close());
  log.info({ musicbrainz: config.MUSICBRAINZ_URL, coverDir: config.COVER_DIR }, 'enrichment on');
  return { enricher, concurrency: config.ENRICHMENT_CONCURRENCY };
}

/** The graph stage's sync, when NEO4J_URL is set and the graph is not off. */
async function startGraph() {
  if (!config.NEO4J_URL || config.INGEST_GRAPH === 'off') {
    log.info('library graph off (set NEO4J_URL to keep it)');
    return undefined;
  }
  const driver = createDriver(config.NEO4J_URL, {
    ...(config.NEO4J_USER ? { user: config.NEO4J_USER } : {}),
    ...(config.NEO4J_PASSWORD ? { password: config.NEO4J_PASSWORD } : {}),
    poolSize: 20,
  });
  lifecycle.defer('neo4j', () => driver.close());
  const sync = createGraphSync(driver, { database: config.NEO4J_DATABASE });
  lifecycle.defer('graph sync', () => sync.close());
  // The library-graph subgraph owns the graph's constraints and indexes: wait for them, never create them.
  await waitForGraphSchema(driver, { database: config.NEO4J_DATABASE, log });
  return { sync, concurrency: config.GRAPH_CONCURRENCY };
}

/** The analysis stage's pool and store, when MONGO_URL is set and analysis is not off. */
async function startAnalysis() {
  if (!config.MONGO_URL || config.INGEST_ANALYSIS === 'off') {
    log.info('audio analysis off (set MONGO_URL to analyse tempo, key and loudness)');
    return undefined;
  }
  const mongo = await connectMongo(config.MONGO_URL, { poolSize: 20 });
  lifecycle.defer('mongodb', () => mongo.close());
  const store = createAnalysisStore(mongo.db(config.MONGO_DB), { analyzerVersion: ANALYZER_VERSION });
  await store.ensureSchema(log);
  const pool = createAnalysisPool({
    threads: config.ANALYSIS_THREADS,
    // Every job in flight may be waiting for a thread: the consumer's prefetch bounds them.
    maxQueue: config.ANALYSIS_CONCURRENCY,
    taskTimeoutMs: config.ANALYSIS_TIMEOUT_MS,
    maxFileBytes: config.ANALYSIS_MAX_FILE_MB * 1024 * 1024,
    maxDurationSeconds: config.ANALYSIS_MAX_DURATION_S,
    resourceLimits: { maxOldGenerationSizeMb: config.ANALYSIS_WORKER_MEMORY_MB },
  });
  lifecycle.defer('analysis pool', () => pool.close());
  const decoder = decoderBinary();
  if (decoder)
    log.info({ decoder }, 'audio decoding: tonegraph-decoder, one long-lived process per analysis thread');
  else {
    log.warn(
      'tonegraph-decoder is not built (npm run build:decoder) or TONEGRAPH_DECODER=off: compressed files are decoded by starting ffmpeg for each, about 80 ms of CPU per file more',
    );
  }
  return { store, pool, analyzerVersion: ANALYZER_VERSION, concurrency: config.ANALYSIS_CONCURRENCY };
}

if (config.INGEST_WATCH_MODE !== 'off') {
  const scans = createScanPublisher(config.AMQP_URL, config.SCAN_QUEUE);
  lifecycle.defer('scan publisher', () => scans.close());
  const watching = startWatching(redis, `${config.REDIS_PREFIX}ingest:watcher`, 30_000, {
    db: database.db,
    log: log.child({ component: 'watcher' }),
    mode: config.INGEST_WATCH_MODE,
    pollIntervalMs: config.INGEST_POLL_INTERVAL_MS,
    debounceMs: config.INGEST_WATCH_DEBOUNCE_MS,
    scans,
  });
  // Deferred after the pipeline, so it runs first on shutdown: no new scans while draining.
  lifecycle.defer('watcher', () => watching.close());
}

metrics.observeQueues(() => ingest.worker.queueDepths());

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
