import type { Server } from 'node:http';
import type { ApolloGateway, GraphQLDataSource } from '@apollo/gateway';
import type { RequestHandler } from 'express';
import type { GraphQLError } from 'graphql';
import type { Authenticator } from '../auth/index.ts';
import type { Logger } from '@tonegraph/logger';
import type { FormatError } from './errors.ts';
import { createSubscriptionExecutor } from './executor.ts';
import { type PreparedSubscription, SubscriptionPlanner } from './plan.ts';
import { createSseHandler } from './sse.ts';
import { createUpstream, type UpstreamOptions } from './upstream.ts';
import { type WsLimits, createWsServer } from './ws-server.ts';

export { subscriptionsOverHttpRefused } from './http-guard.ts';
export type { UpstreamOptions } from './upstream.ts';
export { DEFAULT_WS_LIMITS, WsCode, type WsLimits } from './ws-server.ts';
export type { PreparedSubscription } from './plan.ts';

export interface SubscriptionsDeps {
  readonly gateway: ApolloGateway;
  /** Subgraph name → HTTP URL; the WebSocket URL is the same with ws(s)://. Filled as the gateway loads. */
  readonly subgraphUrls: ReadonlyMap<string, string>;
  /** Subgraph name → the data source queries use; entity fetches for events go through the same. */
  readonly dataSources: ReadonlyMap<string, GraphQLDataSource>;
  readonly formatError: FormatError;
  readonly log: Logger;
  readonly upstream?: UpstreamOptions;
  /** Sent in `connection_init` to the subgraphs (`@tonegraph/subgraph-auth`), when set. */
  readonly subgraphSecret?: string | undefined;
  /** Checks `connection_init` credentials; absent or disabled: every client is accepted. */
  readonly authenticator?: Authenticator | undefined;
  /** Operation limits for subscriptions, as for HTTP operations. */
  readonly guard?: ((prepared: PreparedSubscription) => GraphQLError | undefined) | undefined;
  readonly wsLimits?: Partial<WsLimits> | undefined;
  readonly onReject?: ((code: string) => void) | undefined;
  readonly onConnection?: ((delta: 1 | -1) => void) | undefined;
}

export interface SubscriptionStats {
  /** Client subscriptions running, graphql-ws and SSE together. */
  readonly clients: number;
  /** Subscriptions open towards subgraphs (one per client subscription). */
  readonly upstream: number;
  /** WebSocket connections open to subgraphs (at most one per subgraph). */
  readonly connections: number;
}

export interface Subscriptions {
  /** graphql-sse handler for `Accept: text/event-stream` requests. */
  readonly sseHandler: RequestHandler;
  /** Starts graphql-ws on the server's `path`. */
  listen(httpServer: Server, path: string): void;
  /** Open subscriptions: client side (both transports) and towards subgraphs. */
  stats(): SubscriptionStats;
  /** Closes WebSocket clients (1001), ends SSE streams, then subgraph connections; idempotent. */
  close(): Promise<void>;
}

/** Federated subscriptions for an ApolloGateway: planning, upstream connections and both transports. */
export function createSubscriptions(deps: SubscriptionsDeps): Subscriptions {
  const log = deps.log.child({ component: 'subscriptions' });
  const planner = new SubscriptionPlanner();
  deps.gateway.onSchemaLoadOrUpdate(({ apiSchema, coreSupergraphSdl }) =>
    planner.update(coreSupergraphSdl, apiSchema),
  );
  const upstream = createUpstream(deps.subgraphUrls, log, deps.upstream, deps.subgraphSecret);
  const executor = createSubscriptionExecutor({ upstream, dataSources: deps.dataSources, log });
  const transport = {
    planner,
    executor,
    formatError: deps.formatError,
    guard: deps.guard,
    onReject: deps.onReject,
  };
  let ws: { dispose(): Promise<void> } | undefined;
  let closing: Promise<void> | undefined;

  return {
    sseHandler: createSseHandler(transport),
    listen(httpServer, path) {
      ws = createWsServer({
        ...transport,
        httpServer,
        path,
        authenticator: deps.authenticator,
        limits: deps.wsLimits,
        onConnection: deps.onConnection,
      });
    },
    stats: () => ({
      clients: executor.active,
      upstream: upstream.openSubscriptions,
      connections: upstream.openConnections,
    }),
    close() {
      closing ??= (async () => {
        const results = await Promise.allSettled([ws?.dispose(), Promise.resolve(executor.close())]);
        await upstream.dispose();
        for (const r of results)
          if (r.status === 'rejected') log.warn({ err: r.reason }, 'closing subscriptions');
      })();
      return closing;
    },
  };
}
