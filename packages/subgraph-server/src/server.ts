import { createServer as createHttpServer, type Server } from 'node:http';
import { ApolloServer, type ApolloServerPlugin, type BaseContext } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginInlineTrace } from '@apollo/server/plugin/inlineTrace';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Express } from 'express';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { createErrorFormatter } from '@tonegraph/graphql-errors';
import type { Logger } from '@tonegraph/logger';
import { abandonedRequests } from '@tonegraph/request-scope';
import { createSubgraphAuth } from '@tonegraph/subgraph-auth';

/** Path of GraphQL over HTTP and of graphql-ws subscriptions (the gateway's subgraph URLs end with it). */
export const GRAPHQL_PATH = '/graphql';

/** What `/ready` checks: the subgraph's own store. */
export interface Readiness {
  /** Resolves when the store answers (e.g. `select 1`); a rejection makes `/ready` answer 503. */
  readonly check: () => Promise<unknown>;
  /** The 503 body's `reason`, e.g. `database unreachable`. */
  readonly reason: string;
}

/** Options for {@link createSubgraphServer}. */
export interface SubgraphServerOptions<TContext extends BaseContext> {
  /** Subgraph name, as the supergraph knows it; named in the unsigned-mode warning. */
  readonly service: string;
  /** The executable subgraph schema (`buildSubgraphSchema`, {@link subgraphSchemaFrom}, @neo4j/graphql…). */
  readonly schema: GraphQLSchema;
  /** A fresh context for each HTTP operation and each subscription. */
  readonly context: () => TContext | Promise<TContext>;
  /** The `/ready` probe. `/health` needs nothing: it answers while the process runs. */
  readonly ready: Readiness;
  /** Serve graphql-ws on {@link GRAPHQL_PATH} (same checks as HTTP); default false. */
  readonly subscriptions?: boolean;
  readonly log: Logger;
  /** The gateway's signature (SUBGRAPH_SECRET); unset: unsigned requests are accepted (development). */
  readonly subgraphSecret?: string | undefined;
  /**
   * Errors this subgraph words itself, tried before the shared masking
   * formatter (`@tonegraph/graphql-errors`); `null` or `undefined` falls through to it.
   */
  readonly formatError?: (
    formatted: GraphQLFormattedError,
    error: unknown,
  ) => GraphQLFormattedError | null | undefined;
  /** Mounts the subgraph's own routes (behind the signature check, before /graphql). */
  readonly routes?: (app: Express) => void;
}

/** A subgraph's HTTP server, built and not listening. */
export interface SubgraphServer {
  /** Not listening until the caller says so (`listen` in `index.ts`, port 0 in tests). */
  readonly httpServer: Server;
  /** Stops accepting requests, closes subscriptions (1001 Going away) and drains in-flight ones; idempotent. */
  stop(): Promise<void>;
}

/**
 * Builds one subgraph's HTTP server: the gateway's signature checked on every
 * route but `/health` and `/ready`, Apollo Server on `/graphql` (errors masked,
 * no landing page, inline traces when the gateway asks for them, queries
 * abandoned by the gateway cancelled), and graphql-ws on the same path when
 * `subscriptions` is set. Never listens: the caller does.
 */
export async function createSubgraphServer<TContext extends BaseContext>(
  options: SubgraphServerOptions<TContext>,
): Promise<SubgraphServer> {
  const { schema, log, ready } = options;
  const app = express();
  app.disable('x-powered-by');
  const httpServer = createHttpServer(app);
  // Only the gateway may call: every route but /health and /ready needs its signature.
  const auth = createSubgraphAuth({ secret: options.subgraphSecret, log, service: options.service });
  app.use(auth.middleware);
  const context = () => Promise.resolve(options.context());

  const plugins: ApolloServerPlugin<TContext>[] = [ApolloServerPluginDrainHttpServer({ httpServer })];
  if (options.subscriptions) {
    const wsServer = new WebSocketServer({ server: httpServer, path: GRAPHQL_PATH });
    const ws = useServer({ schema, context, onConnect: auth.onConnect }, wsServer);
    // Closes every subscription socket with 1001 Going away when the server stops.
    plugins.push({ serverWillStart: () => Promise.resolve({ drainServer: async () => ws.dispose() }) });
  }
  const masking = createErrorFormatter(log);
  const own = options.formatError;
  const apollo = new ApolloServer<TContext>({
    schema,
    formatError: own ? (formatted, error) => own(formatted, error) ?? masking(formatted, error) : masking,
    // The process's lifecycle owns SIGTERM/SIGINT and stops the server in order.
    stopOnTerminationSignals: false,
    plugins: [
      ...plugins,
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
      await ready.check();
      res.json({ status: 'ready' });
    } catch {
      res.status(503).json({ status: 'unavailable', reason: ready.reason });
    }
  });
  options.routes?.(app);
  app.use(
    GRAPHQL_PATH,
    express.json({ limit: '1mb' }),
    // A query the gateway abandoned starts no more work (loaders) and cancels what it can.
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
