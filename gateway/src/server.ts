import { createServer as createHttpServer, type Server } from 'node:http';
import { ApolloGateway, type GraphQLDataSource, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginLandingPageLocalDefault,
  ApolloServerPluginLandingPageProductionDefault,
} from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import type { Logger } from '@tonegraph/logger';
import { createErrorFormatter } from '@tonegraph/graphql-errors';
import {
  createSubscriptions,
  subscriptionsOverHttpRefused,
  type SubscriptionStats,
  type UpstreamOptions,
} from './subscriptions/index.ts';

/** graphql-ws shares the queries' path; SSE has its own (an HTTP POST there streams events). */
const GRAPHQL_PATH = '/graphql';
const SSE_PATH = '/graphql/stream';

/** What the gateway is built from; `index.ts` reads config and supplies it. */
export interface GatewayDeps {
  /** The composed supergraph SDL. */
  readonly supergraphSdl: string;
  /** Subgraph name → URL, replacing the URL recorded in the supergraph. */
  readonly subgraphUrls?: Readonly<Record<string, string>>;
  /** Time allowed for one subgraph fetch, in ms. */
  readonly subgraphTimeoutMs: number;
  /** Serve the Sandbox landing page (development) or the production one. */
  readonly development: boolean;
  readonly log: Logger;
  /** How subscriptions reach the subgraphs (reconnection, idle close); defaults in upstream.ts. */
  readonly subscriptions?: UpstreamOptions;
}

export interface Gateway {
  /** The HTTP server; not listening until the caller says so. */
  readonly httpServer: Server;
  /** Subgraph name → the URL the gateway sends its fetches to. */
  readonly subgraphs: ReadonlyMap<string, string>;
  /** Open subscriptions: client side (graphql-ws and SSE) and towards the subgraphs. */
  subscriptionStats(): SubscriptionStats;
  /** Loads the supergraph and mounts /graphql. Call before listening. */
  start(): Promise<void>;
  /** Closes subscriptions (WebSocket clients get 1001), drains in-flight requests; idempotent. */
  stop(): Promise<void>;
}

export function createServer(deps: GatewayDeps): Gateway {
  const { log } = deps;
  const subgraphs = new Map<string, string>();
  const dataSources = new Map<string, GraphQLDataSource>();
  const gateway = new ApolloGateway({
    supergraphSdl: deps.supergraphSdl,
    buildService({ name, url }) {
      const target = deps.subgraphUrls?.[name] ?? url;
      if (!target) throw new Error(`subgraph ${name} has no URL`);
      subgraphs.set(name, target);
      const dataSource = new RemoteGraphQLDataSource({
        url: target,
        // Node's fetch (undici) keeps connections alive per origin; the signal bounds each call.
        fetcher: (input: string, init?: RequestInit) =>
          fetch(input, { ...init, signal: AbortSignal.timeout(deps.subgraphTimeoutMs) }),
      });
      dataSources.set(name, dataSource);
      return dataSource;
    },
  });
  const formatError = createErrorFormatter(log);
  const subscriptions = createSubscriptions({
    gateway,
    subgraphUrls: subgraphs,
    dataSources,
    formatError,
    log,
    ...(deps.subscriptions ? { upstream: deps.subscriptions } : {}),
  });

  const app = express();
  app.disable('x-powered-by');
  const httpServer = createHttpServer(app);
  subscriptions.listen(httpServer, GRAPHQL_PATH);
  // Before /graphql is mounted in start(): express would otherwise hand /graphql/stream to Apollo.
  app.use(SSE_PATH, express.json({ limit: '1mb' }), subscriptions.sseHandler);
  const apollo = new ApolloServer({
    gateway,
    introspection: true,
    // The lifecycle owns SIGTERM/SIGINT and stops Apollo in order with everything else.
    stopOnTerminationSignals: false,
    formatError,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // WebSocket clients get 1001 Going away and SSE streams end, instead of holding the drain.
      { serverWillStart: () => Promise.resolve({ drainServer: () => subscriptions.close() }) },
      subscriptionsOverHttpRefused({ ws: GRAPHQL_PATH, sse: SSE_PATH }),
      deps.development
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true })
        : ApolloServerPluginLandingPageProductionDefault({ footer: false }),
    ],
  });

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/ready', async (_req, res) => {
    const checks = await Promise.all(
      [...subgraphs].map(async ([name, url]) => {
        try {
          const r = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ query: '{ __typename }' }),
            signal: AbortSignal.timeout(2000),
          });
          return [name, r.ok ? 'ok' : `http ${r.status}`] as const;
        } catch (error) {
          return [name, error instanceof Error ? error.message : 'unreachable'] as const;
        }
      }),
    );
    const ready = checks.every(([, s]) => s === 'ok');
    res
      .status(ready ? 200 : 503)
      .json({ status: ready ? 'ready' : 'unavailable', subgraphs: Object.fromEntries(checks) });
  });

  let stopping: Promise<void> | undefined;
  return {
    httpServer,
    subgraphs,
    subscriptionStats: () => subscriptions.stats(),
    async start() {
      await apollo.start();
      app.use(GRAPHQL_PATH, express.json({ limit: '1mb' }), expressMiddleware(apollo));
    },
    stop() {
      // apollo.stop() runs the drain plugins; closing subscriptions again covers a server never started.
      stopping ??= apollo.stop().finally(() => subscriptions.close());
      return stopping;
    },
  };
}
