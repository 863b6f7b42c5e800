import { createLifecycle } from '@tonegraph/lifecycle';
import { createLogger } from '@tonegraph/logger';
import { listen } from '@tonegraph/subgraph-server';
import { loadLibraryGraphConfig } from './config.ts';
import { createDriver } from './driver.ts';
import { ensureGraphSchema } from './graph-schema.ts';
import { createServer } from './server.ts';

const config = loadLibraryGraphConfig();
const log = createLogger({ service: 'library-graph', level: config.LOG_LEVEL });
const lifecycle = createLifecycle({ log });
lifecycle.handleSignals();

const driver = createDriver(config.NEO4J_URL, {
  user: config.NEO4J_USER,
  password: config.NEO4J_PASSWORD,
  poolSize: config.NEO4J_POOL_SIZE,
});
lifecycle.defer('neo4j', () => driver.close());

// This subgraph owns the graph's constraints and indexes: it creates them
// (idempotent, safe beside a replica doing the same); ingest waits for them.
await ensureGraphSchema(driver, { database: config.NEO4J_DATABASE, log });

const server = await createServer({
  driver,
  database: config.NEO4J_DATABASE,
  log,
  subgraphSecret: config.SUBGRAPH_SECRET,
  queryTimeoutMs: config.GRAPH_QUERY_TIMEOUT_MS,
});
lifecycle.defer('http', () => server.stop());

await listen(server.httpServer, { port: config.PORT, host: config.HOST, reusePort: config.REUSE_PORT });
log.info({ url: `http://${config.HOST}:${config.PORT}/graphql` }, 'library-graph listening');
