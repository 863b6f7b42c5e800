import { createServer as createHttpServer, type Server } from 'node:http';
import { ApolloGateway, type GraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginCacheControl } from '@apollo/server/plugin/cacheControl';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { availableParallelism } from 'node:os';
import express from 'express';
import type { Redis } from 'ioredis';
import type { Logger } from '@tonegraph/logger';
import { createStreamer } from '@tonegraph/streaming';
import { createErrorFormatter } from '@tonegraph/graphql-errors';
import { createRedisCache } from './apq-cache.ts';
import { type AuthOptions, type Authenticator, createAuthenticator, scopePlugin } from './auth/index.ts';
import { requestErrorsAs200ForJson } from './http-conformance.ts';
import {
  type GatewayContext,
  GRAPHQL_PATH,
  SSE_PATH,
  isGraphqlRequest,
  mountGraphql,
  mountRoutes,
} from './http-routes.ts';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from './limits/http.ts';
import { DEFAULT_LIMITS, type OperationLimits, checkOperationLimits } from './limits/operation-limits.ts';
import { limitsPlugin } from './limits/plugin.ts';
import {
  DEFAULT_ENTRY_ADMISSION,
  entryAdmission,
  type EntryAdmissionOptions,
} from './limits/entry-admission.ts';
import { createMetrics, type GatewayMetrics } from './observability/metrics.ts';
import { currentRequest } from './observability/request-context.ts';
import { createResponseCache, type ResponseCache } from './response-cache.ts';
import { createSubgraphDataSource } from './subgraph-fetch.ts';
import { createTrackFileLookup } from './stream-track.ts';
import { DEFAULT_ADMISSION, admissionControl, type AdmissionOptions } from './subgraph-traffic/admission.ts';
import { deduplicateFetches } from './subgraph-traffic/dedupe.ts';
import type { FetchPlugin } from './subgraph-traffic/fetch.ts';
import { overloadPlugin } from './subgraph-traffic/overload-plugin.ts';
import {
  createSubscriptions,
  subscriptionsOverHttpRefused,
  type SubscriptionStats,
  type UpstreamOptions,
  type WsLimits,
} from './subscriptions/index.ts';

export type { GatewayContext } from './http-routes.ts';
export { DEFAULT_HTTP_LIMITS, type HttpLimits } from './limits/http.ts';

/** What the gateway is built from; `index.ts` reads config and supplies it. */
export interface GatewayDeps {
  /** The composed supergraph SDL. */
  readonly supergraphSdl: string;
  /** Subgraph name → URL, replacing the URL recorded in the supergraph. */
  readonly subgraphUrls?: Readonly<Record<string, string>>;
  /** Time allowed for one subgraph fetch, in ms. */
  readonly subgraphTimeoutMs: number;
  /** Keep-alive connections per subgraph, at most; default 64. */
  readonly subgraphConnections?: number;
  /** Identical subgraph queries in flight share one fetch (subgraph-traffic/dedupe.ts); default true. */
  readonly deduplicateFetches?: boolean;
  /**
   * Bounded concurrency and queue per subgraph, shedding with 503 OVERLOADED
   * (subgraph-traffic/admission.ts); defaults 64 in flight, 256 queued, 1000 ms wait; `false` turns it off.
   */
  readonly admission?: Partial<Pick<AdmissionOptions, 'maxConcurrent' | 'maxQueue' | 'maxWaitMs'>> | false;
  /**
   * Bounded GraphQL HTTP requests in execution and waiting, shedding with 503
   * OVERLOADED on arrival (limits/entry-admission.ts); defaults 128, 2048 and no wait bound but the
   * request's deadline; `false` turns it off.
   */
  readonly entryAdmission?:
    Partial<Pick<EntryAdmissionOptions, 'maxConcurrent' | 'maxQueue' | 'maxWaitMs'>> | false;
  /**
   * Whole-response cache for queries, dropped on change notices from ingest
   * and the gateways (needs `redis`); off when absent. See response-cache.ts.
   */
  readonly responseCache?: {
    readonly prefix: string;
    readonly ttlSeconds: number;
    readonly maxBytes: number;
  };
  /** Development defaults: Sandbox landing page and introspection on. */
  readonly development: boolean;
  /** API keys and/or JWT keys; `'off'` (development only) gives every request every scope. */
  readonly auth: AuthOptions;
  /** Sent to every subgraph (header and graphql-ws `connection_init`); see @tonegraph/subgraph-auth. */
  readonly subgraphSecret?: string | undefined;
  readonly log: Logger;
  /** How subscriptions reach the subgraphs (reconnection, idle close); defaults in upstream.ts. */
  readonly subscriptions?: UpstreamOptions;
  /** Per-operation limits; defaults in limits/operation-limits.ts. */
  readonly limits?: Partial<OperationLimits & HttpLimits>;
  /** WebSocket limits; defaults in subscriptions/ws-server.ts. */
  readonly wsLimits?: Partial<WsLimits>;
  /** Introspection; default: on in development. */
  readonly introspection?: boolean;
  /** The Sandbox landing page on GET /graphql; default: on in development. */
  readonly landingPage?: boolean;
  /** Compress HTTP responses over 1 KiB (never SSE); default true. */
  readonly compression?: boolean;
  /** Folder of the album covers ingest stores, served at /covers/; default `.covers` (relative to the working directory). */
  readonly coverDir?: string;
  /** The Subsonic service (SUBSONIC_URL), proxied at /rest/; unset: /rest/ is not served. */
  readonly subsonicUrl?: string | undefined;
  /**
   * /stream: STREAM_SECRET (verifies signed URLs; unset: they are refused), transcodes at once (default:
   * the number of cores), how long a track's lookup is reused (default 5000 ms; 0: never), the ffmpeg
   * executable (default `ffmpeg` on PATH).
   */
  readonly stream?: {
    readonly secret?: string | undefined;
    readonly maxTranscodes?: number | undefined;
    readonly lookupTtlMs?: number | undefined;
    readonly ffmpegPath?: string | undefined;
  };
  /** Redis for persisted queries (shared by every instance) and checked by /readyz; default in-memory APQ. */
  readonly redis?: Redis | undefined;
  /** Key prefix of persisted queries in Redis; default `tonegraph:apq:`. */
  readonly apqPrefix?: string;
  /** Seconds a persisted query is kept; default 86400. */
  readonly apqTtlSeconds?: number;
  /** After stop() is called, /readyz answers 503 this long before the listener closes; default 0. */
  readonly shutdownDelayMs?: number;
}

export interface Gateway {
  /** The HTTP server; not listening until the caller says so. */
  readonly httpServer: Server;
  /** Subgraph name → the URL the gateway sends its fetches to. */
  readonly subgraphs: ReadonlyMap<string, string>;
  readonly metrics: GatewayMetrics;
  /** Open subscriptions: client side (graphql-ws and SSE) and towards the subgraphs. */
  subscriptionStats(): SubscriptionStats;
  /** The response cache, when on. */
  readonly responseCache: ResponseCache | undefined;
  /** Loads the supergraph and mounts /graphql. Call before listening. */
  start(): Promise<void>;
  /** /readyz turns 503, then subscriptions close (WebSocket 1001) and in-flight requests drain; idempotent. */
  stop(): Promise<void>;
}

export function createServer(deps: GatewayDeps): Gateway {
  const { log } = deps;
  const limits = { ...DEFAULT_LIMITS, ...DEFAULT_HTTP_LIMITS, ...deps.limits };
  const subgraphs = new Map<string, string>();
  const dataSources = new Map<string, GraphQLDataSource>();
  const pools: (() => Promise<void>)[] = [];
  let started = false;
  let stopRequested = false;
  // Assigned once the subscriptions exist; the metrics read their stats.
  let stats: () => SubscriptionStats = () => ({ clients: 0, upstream: 0, connections: 0 });
  const metrics = createMetrics(() => stats());
  // Outermost first: callers sharing a fetch take one admission slot between them.
  const fetchPlugins: FetchPlugin[] = [
    ...((deps.deduplicateFetches ?? true) ? [deduplicateFetches({ registry: metrics.registry })] : []),
    ...(deps.admission === false
      ? []
      : [
          admissionControl({
            ...DEFAULT_ADMISSION,
            ...deps.admission,
            registry: metrics.registry,
            deadlineOf: () => currentRequest()?.deadline,
          }),
        ]),
  ];

  const gateway = new ApolloGateway({
    supergraphSdl: deps.supergraphSdl,
    buildService({ name, url }) {
      const target = deps.subgraphUrls?.[name] ?? url;
      if (!target) throw new Error(`subgraph ${name} has no URL`);
      subgraphs.set(name, target);
      const dataSource = createSubgraphDataSource({
        name,
        url: target,
        timeoutMs: deps.subgraphTimeoutMs,
        ...(deps.subgraphConnections ? { connections: deps.subgraphConnections } : {}),
        secret: deps.subgraphSecret,
        metrics,
        plugins: fetchPlugins,
      });
      pools.push(() => dataSource.close());
      dataSources.set(name, dataSource);
      return dataSource;
    },
  });

  // Key files are read asynchronously; every user of the authenticator waits for it.
  const authReady = createAuthenticator(deps.auth);
  authReady.catch(() => {}); // surfaced by start()
  const authenticator: Authenticator = {
    enabled: deps.auth !== 'off',
    authenticate: async (credentials) => (await authReady).authenticate(credentials),
  };

  // Masked errors are logged with the request's child logger (its reqId) when there is one.
  const formatters = new WeakMap<Logger, ReturnType<typeof createErrorFormatter>>();
  const formatError: ReturnType<typeof createErrorFormatter> = (formatted, error) => {
    const target = currentRequest()?.log ?? log;
    let format = formatters.get(target);
    if (!format) formatters.set(target, (format = createErrorFormatter(target)));
    return format(formatted, error);
  };
  const subscriptions = createSubscriptions({
    gateway,
    subgraphUrls: subgraphs,
    dataSources,
    formatError,
    log,
    subgraphSecret: deps.subgraphSecret,
    authenticator,
    guard: (prepared) =>
      checkOperationLimits(
        prepared.schemas.api,
        prepared.document,
        prepared.operationContext.operation,
        prepared.variables,
        limits,
      ),
    wsLimits: deps.wsLimits ?? {},
    onReject: (code) => metrics.reject(code),
    onConnection: (delta) => metrics.wsConnections.inc(delta),
    ...(deps.subscriptions ? { upstream: deps.subscriptions } : {}),
  });
  stats = () => subscriptions.stats();

  const streamer = createStreamer({
    log,
    maxTranscodes: deps.stream?.maxTranscodes ?? availableParallelism(),
    ffmpegPath: deps.stream?.ffmpegPath,
    registry: metrics.registry,
  });

  const app = express();
  app.disable('x-powered-by');
  const entry =
    deps.entryAdmission === false
      ? undefined
      : entryAdmission({
          ...DEFAULT_ENTRY_ADMISSION,
          ...deps.entryAdmission,
          registry: metrics.registry,
          deadlineOf: () => currentRequest()?.deadline,
        });
  // GraphQL requests that would be refused anyway are answered before express sees them.
  const httpServer = createHttpServer((req, res) => {
    if (entry && isGraphqlRequest(req.url) && entry.refuseEarly(req, res)) return;
    app(req, res);
  });
  subscriptions.listen(httpServer, GRAPHQL_PATH);
  const closeRoutes = mountRoutes(app, {
    log,
    limits,
    authenticator,
    metrics,
    health: {
      subgraphs,
      secret: deps.subgraphSecret,
      redis: deps.redis,
      started: () => started,
      stopping: () => stopRequested,
    },
    export: { ...deps, authenticator, metrics, subgraphs },
    stream: {
      ...deps,
      authenticator,
      metrics,
      subgraphs,
      streamer,
      streamSecret: deps.stream?.secret,
      lookup: createTrackFileLookup({ ttlMs: deps.stream?.lookupTtlMs ?? 5000 }),
    },
    sseHandler: subscriptions.sseHandler,
    compression: deps.compression ?? true,
    coverDir: deps.coverDir,
    subsonicUrl: deps.subsonicUrl,
  });
  pools.push(closeRoutes);

  const development = deps.development;
  let responseCache: ResponseCache | undefined;
  if (deps.responseCache && deps.redis) {
    responseCache = createResponseCache({
      ...deps.responseCache,
      // Named, so an operator (or a test) can tell it apart in CLIENT LIST.
      subscriber: deps.redis.duplicate({ connectionName: `gateway-notices:${deps.responseCache.prefix}` }),
      publisher: deps.redis,
      log,
      registry: metrics.registry,
    });
  }
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    introspection: deps.introspection ?? development,
    allowBatchedHttpRequests: true,
    persistedQueries: {
      ttl: deps.apqTtlSeconds ?? 86_400,
      // Default: Apollo Server's own bounded in-memory LRU cache.
      ...(deps.redis ? { cache: createRedisCache(deps.redis, deps.apqPrefix ?? 'tonegraph:apq:') } : {}),
    },
    csrfPrevention: true,
    // The lifecycle owns SIGTERM/SIGINT and stops Apollo in order with everything else.
    stopOnTerminationSignals: false,
    formatError,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // WebSocket clients get 1001 Going away and SSE streams end, instead of holding the drain.
      { serverWillStart: () => Promise.resolve({ drainServer: () => subscriptions.close() }) },
      subscriptionsOverHttpRefused({ ws: GRAPHQL_PATH, sse: SSE_PATH }),
      scopePlugin<GatewayContext>(),
      limitsPlugin(limits, (code) => metrics.reject(code)),
      // Before the metrics plugin, which counts the statuses they set.
      overloadPlugin(),
      requestErrorsAs200ForJson(),
      metrics.plugin(),
      // No Cache-Control on answers: only the gateway hears when they go stale.
      ApolloServerPluginCacheControl({ calculateHttpHeaders: false }),
      ...(responseCache?.plugins ?? []),
      (deps.landingPage ?? development)
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true })
        : ApolloServerPluginLandingPageDisabled(),
    ],
  });

  let stopping: Promise<void> | undefined;
  return {
    httpServer,
    subgraphs,
    metrics,
    subscriptionStats: () => subscriptions.stats(),
    responseCache,
    async start() {
      await authReady;
      await apollo.start();
      mountGraphql(app, { apollo, limits, authenticator, metrics, admission: entry?.middleware });
      started = true;
    },
    stop() {
      stopping ??= (async () => {
        stopRequested = true;
        const delay = deps.shutdownDelayMs ?? 0;
        if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
        // Transcodes end first (ffmpeg stopped, their responses cut) rather than hold the drain.
        await streamer.close();
        // apollo.stop() runs the drain plugins; closing subscriptions again covers a server never started.
        await apollo.stop().finally(() => subscriptions.close());
        await responseCache?.close();
        await Promise.all(pools.map((close) => close()));
      })();
      return stopping;
    },
  };
}
