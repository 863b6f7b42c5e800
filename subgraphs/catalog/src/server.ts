import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginInlineTrace } from '@apollo/server/plugin/inlineTrace';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { parse } from 'graphql';
import { createErrorFormatter } from '@tonegraph/graphql-errors';
import type { Logger } from '@tonegraph/logger';
import { createSubgraphAuth } from '@tonegraph/subgraph-auth';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Context } from './context.ts';
import { drizzle } from 'drizzle-orm/postgres-js';
import type { Database } from './db/client.ts';
import { abandonedRequests } from '@tonegraph/request-scope';
import { cancelWithRequest } from './db/cancel.ts';
import * as dbSchema from './db/schema.ts';
import { mountExport } from './export.ts';
import { createLoaders } from './loaders.ts';
import type { EnrichmentPublisher, ScanPublisher } from '@tonegraph/queues';
import { resolvers } from './resolvers/index.ts';

const sdlFile = new URL('../../../schema/catalog.graphql', import.meta.url);

/** What the catalog subgraph is built from; `index.ts` supplies it from config. */
export interface CatalogDeps {
  readonly database: Database;
  readonly publisher: ScanPublisher;
  /** Real paths under which libraries may be added. */
  readonly allowedRoots: readonly string[];
  readonly log: Logger;
  /** The gateway's signature (SUBGRAPH_SECRET); unset: unsigned requests are accepted (development). */
  readonly subgraphSecret?: string | undefined;
  /** Redis pub/sub carrying ingest's progress events. */
  readonly pubsub: Context['pubsub'];
  /** Prefix of the Redis channels (shared with ingest). */
  readonly redisPrefix: string;
  /** Queues `enrichTracks` re-runs for ingest; unset: that mutation fails with QUEUE_UNAVAILABLE. */
  readonly enrichment?: EnrichmentPublisher;
  /** Base of cover URLs (the gateway's `/covers` route); default `/covers`. */
  readonly coverBaseUrl?: string;
}

export interface CatalogServer {
  /** Not listening until the caller says so. */
  readonly httpServer: Server;
  /** Stops accepting requests and drains in-flight ones; idempotent. */
  stop(): Promise<void>;
}

/** Builds the catalog subgraph: /graphql, /health and /ready on one HTTP server. */
export async function createServer(deps: CatalogDeps): Promise<CatalogServer> {
  const { database, log } = deps;
  const schema = buildSubgraphSchema({
    typeDefs: parse(await readFile(sdlFile, 'utf8')),
    // Resolvers are typed by their own parameters; the subgraph API takes an untyped map.
    resolvers: resolvers as unknown as GraphQLResolverMap<unknown>,
  });
  const app = express();
  app.disable('x-powered-by');
  const httpServer = createHttpServer(app);
  // Only the gateway may call: every route but /health and /ready needs its signature.
  const auth = createSubgraphAuth({ secret: deps.subgraphSecret, log, service: 'catalog' });
  app.use(auth.middleware);
  // The resolvers' statements are cancelled when the gateway abandons the request (db/cancel.ts).
  const db = drizzle({ client: cancelWithRequest(database.sql), schema: dbSchema });
  const context = (): Context => ({
    db,
    loaders: createLoaders(db),
    publisher: deps.publisher,
    allowedRoots: deps.allowedRoots,
    log,
    pubsub: deps.pubsub,
    redisPrefix: deps.redisPrefix,
    enrichment: deps.enrichment,
    coverBaseUrl: deps.coverBaseUrl ?? '/covers',
  });
  // Subscriptions: graphql-ws on the same path as queries.
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql' });
  const ws = useServer({ schema, context, onConnect: auth.onConnect }, wsServer);
  const apollo = new ApolloServer<Context>({
    schema,
    formatError: createErrorFormatter(log),
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // Closes every subscription socket with 1001 Going away when the server stops.
      { serverWillStart: () => Promise.resolve({ drainServer: async () => ws.dispose() }) },
      ApolloServerPluginLandingPageDisabled(),
      // Traces for Apollo Studio, sent to the gateway only when it asks for them.
      ApolloServerPluginInlineTrace(),
    ],
  });
  await apollo.start();

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/ready', async (_req, res) => {
    try {
      await database.sql`select 1`;
      res.json({ status: 'ready' });
    } catch {
      res.status(503).json({ status: 'unavailable', reason: 'database unreachable' });
    }
  });
  mountExport(app, { sql: database.sql, log });
  app.use(
    '/graphql',
    express.json({ limit: '1mb' }),
    abandonedRequests,
    expressMiddleware(apollo, { context: () => Promise.resolve(context()) }),
  );

  let stopping: Promise<void> | undefined;
  return {
    httpServer,
    stop() {
      stopping ??= apollo.stop();
      return stopping;
    },
  };
}
