import { createLifecycle } from '@tonegraph/lifecycle';
import { createPubSub } from '@tonegraph/topics/pubsub';
import { createLogger } from '@tonegraph/logger';
import { listen } from '@tonegraph/subgraph-server';
import { loadAnalysisConfig } from './config.ts';
import { connectMongo } from './db.ts';
import { createServer } from './server.ts';
import { createAnalysisStore } from './store.ts';

const config = loadAnalysisConfig();
const log = createLogger({ service: 'analysis', level: config.LOG_LEVEL });
const lifecycle = createLifecycle({ log });
lifecycle.handleSignals();

const mongo = await connectMongo(config.MONGO_URL, { poolSize: config.MONGO_POOL_SIZE });
lifecycle.defer('mongodb', () => mongo.close());
const store = createAnalysisStore(mongo.db(config.MONGO_DB), {
  analyzerVersion: config.ANALYZER_VERSION,
  queryTimeMs: config.ANALYSIS_QUERY_TIMEOUT_MS,
});
await store.ensureSchema(log);

// Opens two connections to REDIS_URL: one in subscriber mode cannot publish.
const pubsub = createPubSub(config.REDIS_URL);
lifecycle.defer('redis', () => pubsub.close());

const server = await createServer({
  store,
  log,
  pubsub,
  redisPrefix: config.REDIS_PREFIX,
  subgraphSecret: config.SUBGRAPH_SECRET,
});
lifecycle.defer('http', () => server.stop());

await listen(server.httpServer, { port: config.PORT, host: config.HOST, reusePort: config.REUSE_PORT });
log.info(
  {
    url: `http://${config.HOST}:${config.PORT}/graphql`,
    db: config.MONGO_DB,
    analyzerVersion: config.ANALYZER_VERSION,
  },
  'analysis listening',
);
