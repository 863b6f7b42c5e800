import { createServer as createHttpServer, type Server } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginInlineTrace } from '@apollo/server/plugin/inlineTrace';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import type { Driver } from 'neo4j-driver';
import { createErrorFormatter } from '@tonegraph/graphql-errors';
import type { Logger } from '@tonegraph/logger';
import { abandonedRequests } from '@tonegraph/request-scope';
import { createSubgraphAuth } from '@tonegraph/subgraph-auth';
import { batchEntityResolution } from './entities.ts';
import { buildGraphSchema } from './schema.ts';

/** The entity types this subgraph resolves through `_entities`. */
export const entityTypes = ['Track', 'Artist', 'Album', 'Library'] as const;

/** What the library-graph subgraph is built from; `index.ts` supplies it from config. */
export interface LibraryGraphDeps {
  /** Used by every generated query (one session per query). */
  readonly driver: Driver;
  /** Neo4j database; default: the server's default database. */
  readonly database?: string | undefined;
  readonly log: Logger;
  /** The gateway's signature (SUBGRAPH_SECRET); unset: unsigned requests are accepted (development). */
  readonly subgraphSecret?: string | undefined;
  /**
   * Neo4j transaction timeout of every query a request runs, in ms (the
   * server terminates a transaction past it); 0 or absent: the server's default.
   */
  readonly queryTimeoutMs?: number;
}

export interface LibraryGraphServer {
  /** Not listening until the caller says so. */
  readonly httpServer: Server;
  /** Stops accepting requests and drains in-flight ones; idempotent. */
  stop(): Promise<void>;
}

/** The per-request context @neo4j/graphql reads (`sessionConfig`, `executionContext`). */
interface Context {
  readonly executionContext: Driver;
  readonly sessionConfig?: { readonly database: string };
  readonly transaction?: { readonly timeout: number };
}

/** Builds the library-graph subgraph: /graphql, /health and /ready on one HTTP server. */
export async function createServer(deps: LibraryGraphDeps): Promise<LibraryGraphServer> {
  const { driver, log } = deps;
  const schema = await buildGraphSchema(driver);
  batchEntityResolution(schema, entityTypes);
  const app = express();
  app.disable('x-powered-by');
  const httpServer = createHttpServer(app);
  // Only the gateway may call: every route but /health and /ready needs its signature.
  const auth = createSubgraphAuth({ secret: deps.subgraphSecret, log, service: 'library-graph' });
  app.use(auth.middleware);
  const apollo = new ApolloServer<Context>({
    schema,
    formatError: createErrorFormatter(log),
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
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
      await driver.getServerInfo(deps.database ? { database: deps.database } : {});
      res.json({ status: 'ready' });
    } catch {
      res.status(503).json({ status: 'unavailable', reason: 'neo4j unreachable' });
    }
  });
  // A fresh object per request: @neo4j/graphql and the entity loaders key on it.
  const context = (): Promise<Context> =>
    Promise.resolve({
      executionContext: driver,
      ...(deps.database ? { sessionConfig: { database: deps.database } } : {}),
      ...(deps.queryTimeoutMs ? { transaction: { timeout: deps.queryTimeoutMs } } : {}),
    });
  app.use(
    '/graphql',
    express.json({ limit: '1mb' }),
    abandonedRequests,
    expressMiddleware(apollo, { context }),
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
