import { createLifecycle } from '@tonegraph/lifecycle';
import { createPubSub } from '@tonegraph/topics/pubsub';
import { createLogger } from '@tonegraph/logger';
import { listen } from '@tonegraph/subgraph-server';
import { loadCatalogConfig } from './config.ts';
import { createDb } from './db/client.ts';
import { createEnrichmentPublisher, createScanPublisher, queueNames } from '@tonegraph/queues';
import { createServer } from './server.ts';
import { migrateCatalog } from './store/migrate.ts';
import { DEVELOPMENT_PASSWORD_KEY, passwordCipher } from './store/listening-crypto.ts';

const config = loadCatalogConfig();
const log = createLogger({ service: 'catalog', level: config.LOG_LEVEL });
const lifecycle = createLifecycle({ log });
lifecycle.handleSignals();

const database = createDb(config.DATABASE_URL, { poolSize: config.DB_POOL_SIZE });
lifecycle.defer('database', () => database.close());
// This subgraph owns the schema; ingest migrates at its start too, under the same lock.
await migrateCatalog(database, { log });

const queues = queueNames(config.QUEUE_PREFIX, config.SCAN_QUEUE);
const publisher = createScanPublisher(config.AMQP_URL, queues.scans);
lifecycle.defer('scan publisher', () => publisher.close());
const enrichment = createEnrichmentPublisher(config.AMQP_URL, queues);
lifecycle.defer('enrichment publisher', () => enrichment.close());

// Opens two connections to REDIS_URL: one in subscriber mode cannot publish.
const pubsub = createPubSub(config.REDIS_URL);
lifecycle.defer('redis', () => pubsub.close());

const server = await createServer({
  database,
  publisher,
  allowedRoots: config.LIBRARY_ALLOWED_ROOTS,
  log,
  pubsub,
  redisPrefix: config.REDIS_PREFIX,
  enrichment,
  coverBaseUrl: config.COVER_BASE_URL,
  subgraphSecret: config.SUBGRAPH_SECRET,
  cipher: passwordCipher(config.SUBSONIC_PASSWORD_KEY ?? DEVELOPMENT_PASSWORD_KEY),
  streamUrls: config.STREAM_SECRET
    ? { secret: config.STREAM_SECRET, ttlSeconds: config.STREAM_URL_TTL_S }
    : undefined,
});
lifecycle.defer('http', () => server.stop());

await listen(server.httpServer, { port: config.PORT, host: config.HOST, reusePort: config.REUSE_PORT });
log.info(
  { url: `http://${config.HOST}:${config.PORT}/graphql`, roots: config.LIBRARY_ALLOWED_ROOTS },
  'catalog listening',
);
if (!config.STREAM_SECRET)
  log.warn('STREAM_SECRET is unset: Track.streamUrl fails with STREAM_URLS_DISABLED');
if (!config.SUBSONIC_PASSWORD_KEY && config.TONEGRAPH_ENV === 'production')
  log.warn(
    "SUBSONIC_PASSWORD_KEY is unset: listeners' passwords are encrypted under the public development key",
  );
