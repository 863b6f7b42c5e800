import { availableParallelism } from 'node:os';
import { createDb } from '@tonegraph/catalog/db';
import { DEVELOPMENT_PASSWORD_KEY, migrateCatalog, passwordCipher } from '@tonegraph/catalog/store';
import { createLifecycle } from '@tonegraph/lifecycle';
import { createLogger } from '@tonegraph/logger';
import { createScanPublisher } from '@tonegraph/queues';
import { createStreamer } from '@tonegraph/streaming';
import { loadSubsonicConfig } from './config.ts';
import { createServer } from './server.ts';

const config = loadSubsonicConfig();
const log = createLogger({ service: 'subsonic', level: config.LOG_LEVEL });
const lifecycle = createLifecycle({ log });
lifecycle.handleSignals();

if (!config.SUBSONIC_PASSWORD_KEY && config.TONEGRAPH_ENV === 'production') {
  log.warn('SUBSONIC_PASSWORD_KEY is not set: passwords are encrypted under the public development key');
}
const cipher = passwordCipher(config.SUBSONIC_PASSWORD_KEY ?? DEVELOPMENT_PASSWORD_KEY);

const database = createDb(config.DATABASE_URL, { poolSize: config.DB_POOL_SIZE });
lifecycle.defer('database', () => database.close());
// The catalog owns the schema; migrating here too lets this service start first (the lock serialises).
await migrateCatalog(database, { log });

const scanPublisher = createScanPublisher(config.AMQP_URL, config.SCAN_QUEUE);
lifecycle.defer('scan publisher', () => scanPublisher.close());

const streamer = createStreamer({
  log,
  maxTranscodes: config.STREAM_MAX_TRANSCODES || availableParallelism(),
});

const server = createServer({
  database,
  cipher,
  log,
  scanPublisher,
  libraryGraphUrl: config.LIBRARY_GRAPH_URL,
  subgraphSecret: config.SUBGRAPH_SECRET,
  coverDir: config.COVER_DIR,
  streamer,
});
lifecycle.defer('http', () => server.stop());

await new Promise<void>((resolve, reject) => {
  server.httpServer.once('error', reject);
  server.httpServer.listen(config.PORT, config.HOST, resolve);
});
log.info({ url: `http://${config.HOST}:${config.PORT}/rest/` }, 'subsonic listening');
