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
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { createErrorFormatter } from '@tonegraph/graphql-errors';
import type { Logger } from '@tonegraph/logger';
import { abandonedRequests } from '@tonegraph/request-scope';
import { createSubgraphAuth } from '@tonegraph/subgraph-auth';
import type { Context } from './context.ts';
import { createLoaders } from './loaders.ts';
import { resolvers } from './resolvers/index.ts';
import { queryTimeoutError } from './errors.ts';
import type { AnalysisStore } from './store.ts';

const sdlFile = new URL('../../../schema/analysis.graphql', import.meta.url);

/** What the analysis subgraph is built from; `index.ts` supplies it from config. */
export interface AnalysisDeps {
  readonly store: AnalysisStore;
  readonly log: Logger;
  /** The gateway's signature (SUBGRAPH_SECRET); unset: unsigned requests are accepted (development). */
  readonly subgraphSecret?: string | undefined;
  /** Redis pub/sub carrying ingest's analysis events. */
  readonly pubsub: Context['pubsub'];
  /** Prefix of the Redis channels (shared with ingest). */
  readonly redisPrefix: string;
}

export interface AnalysisServer {
  /** Not listening until the caller says so. */
  readonly httpServer: Server;
  /** Stops accepting requests and drains in-flight ones; idempotent. */
  stop(): Promise<void>;
}

/** Builds the analysis subgraph: /graphql (queries and graphql-ws subscriptions), /health and /ready. */
export async function createServer(deps: AnalysisDeps): Promise<AnalysisServer> {
  const { store, log } = deps;
  const schema = buildSubgraphSchema({
    typeDefs: parse(await readFile(sdlFile, 'utf8')),
    // Resolvers are typed by their own parameters; the subgraph API takes an untyped map.
    resolvers: resolvers as unknown as GraphQLResolverMap<unknown>,
  });
  const app = express();
  app.disable('x-powered-by');
  const httpServer = createHttpServer(app);
  // Only the gateway may call: every route but /health and /ready needs its signature.
  const auth = createSubgraphAuth({ secret: deps.subgraphSecret, log, service: 'analysis' });
  app.use(auth.middleware);
  const context = (): Context => ({
    store,
    loaders: createLoaders(store),
    log,
    pubsub: deps.pubsub,
    redisPrefix: deps.redisPrefix,
  });
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql' });
  const ws = useServer({ schema, context, onConnect: auth.onConnect }, wsServer);
  const formatInternal = createErrorFormatter(log);
  const apollo = new ApolloServer<Context>({
    schema,
    formatError: (formatted, error) =>
      queryTimeoutError(formatted, error) ?? formatInternal(formatted, error),
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
      await store.tracks.db.command({ ping: 1 });
      res.json({ status: 'ready' });
    } catch {
      res.status(503).json({ status: 'unavailable', reason: 'database unreachable' });
    }
  });
  app.use(
    '/graphql',
    express.json({ limit: '1mb' }),
    // A query the gateway abandoned starts no more store reads (loaders.ts).
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
