import {
  type ApolloServerPlugin,
  type BaseContext,
  type GraphQLRequestContext,
  HeaderMap,
} from '@apollo/server';
import responseCachePlugin from '@apollo/server-plugin-response-cache';
import { InMemoryLRUCache } from '@apollo/utils.keyvaluecache';
import { type FormattedExecutionResult, OperationTypeNode } from 'graphql';
import type { Redis } from 'ioredis';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '@tonegraph/logger';
import { catalogChangedChannel, type CatalogChangedEvent } from '@tonegraph/topics';

export interface ResponseCacheOptions {
  /** Listens for change notices; put in subscriber mode, so give it a connection of its own. */
  readonly subscriber: Redis;
  /** Publishes the gateway's own notices (after a mutation). */
  readonly publisher: Redis;
  /** REDIS_PREFIX shared with ingest and the catalog. */
  readonly prefix: string;
  /** Longest a response is kept even without a change notice; seconds. */
  readonly ttlSeconds: number;
  /** Memory the cached responses may take, in bytes. */
  readonly maxBytes: number;
  readonly log: Logger;
  readonly registry: Registry;
}

export interface ResponseCache {
  /** The Apollo Server plugins: cache policy and the response cache itself. */
  readonly plugins: ApolloServerPlugin<BaseContext>[];
  /** True while change notices are heard (only then is the cache used). */
  live(): boolean;
  /** Bumped by every change notice; responses stored under an older generation are never read. */
  generation(): number;
  /** Entries held now (tests, metrics). */
  size(): number;
  close(): Promise<void>;
}

/**
 * A whole-response cache for queries, kept correct by change notices: ingest
 * (after every commit) and every gateway (after every mutation) publish on
 * `<prefix>catalog-changed`, and each gateway then drops what it cached.
 *
 * - A response is stored under the generation current when its request
 *   started, so one that read data older than a notice arriving meanwhile is
 *   never served.
 * - While the notice channel is not connected (Redis down or reconnecting),
 *   nothing is read from or written to the cache: a notice may be missed.
 *   Reconnecting starts a new generation.
 * - Only complete answers are cached (no errors, e.g. a subgraph down), for
 *   at most `ttlSeconds`, within `maxBytes` (least recently used go first).
 * - No `Cache-Control` header is sent: browsers and proxies cannot hear the
 *   notices, so they must not keep the answers.
 */
export function createResponseCache(options: ResponseCacheOptions): ResponseCache {
  const { subscriber, log } = options;
  const channel = catalogChangedChannel(options.prefix);
  const store = new InMemoryLRUCache<string>({
    maxSize: options.maxBytes,
    sizeCalculation: (value: string) => value.length * 2 + 200,
  });
  let generation = 0;
  let live = false;
  const invalidate = () => {
    generation++;
    store.clear();
  };

  const outcomes = new Counter({
    name: 'tonegraph_gateway_response_cache_total',
    help:
      'Queries by response-cache outcome: hit, miss (stored if complete), shared (answered by an identical ' +
      'query in flight), bypass (notices not heard)',
    labelNames: ['result'],
    registers: [options.registry],
  });
  const notices = new Counter({
    name: 'tonegraph_gateway_response_cache_invalidations_total',
    help: 'Change notices that emptied the response cache',
    registers: [options.registry],
  });

  subscriber.on('message', (ch: string) => {
    if (ch !== channel) return;
    notices.inc();
    invalidate();
  });
  // Live only once the SUBSCRIBE is confirmed; after a reconnect, notices sent meanwhile are lost, so
  // the cache starts over (a new generation) once subscribed again.
  let closed = false;
  let wasLive = false;
  const subscribe = () =>
    subscriber.subscribe(channel).then(
      () => {
        invalidate();
        live = !closed;
        if (wasLive && live) log.info('change notices back: the response cache is on again');
        wasLive ||= live;
      },
      (err: unknown) => log.warn({ err }, 'change notices unavailable: the response cache is off'),
    );
  subscriber.on('close', () => {
    if (live) log.warn('change notices interrupted: the response cache is off until Redis is back');
    live = false;
    invalidate();
  });
  subscriber.on('ready', () => {
    if (wasLive) void subscribe();
  });
  const subscribed = subscribe();

  /** Requests answered by another's execution (single flight): counted as such, not as cache misses. */
  const shared = new WeakSet<object>();

  const policy: ApolloServerPlugin<BaseContext> = {
    requestDidStart: () =>
      Promise.resolve({
        // Gateway execution runs no field resolvers, so no cache hints arrive: queries get the TTL here.
        didResolveOperation: ({ operation, overallCachePolicy }) => {
          if (operation?.operation === OperationTypeNode.QUERY)
            overallCachePolicy.replace({ maxAge: options.ttlSeconds, scope: 'PUBLIC' });
          return Promise.resolve();
        },
        willSendResponse: ({ operation, response, metrics, request }) => {
          if (operation?.operation === OperationTypeNode.MUTATION) {
            // Whatever the mutation did, every gateway forgets what it cached (this one at once).
            invalidate();
            const event: CatalogChangedEvent = { source: 'gateway', at: new Date().toISOString() };
            options.publisher.publish(channel, JSON.stringify(event)).catch((err: unknown) => {
              log.warn({ err }, 'change notice not published');
            });
          } else if (
            operation?.operation === OperationTypeNode.QUERY &&
            response.body.kind === 'single' &&
            !shared.has(request)
          ) {
            outcomes.inc({ result: !live ? 'bypass' : metrics.responseCacheHit ? 'hit' : 'miss' });
          }
          return Promise.resolve();
        },
      }),
  };

  /** The generation each request started in: it is part of its cache key. */
  const startedIn = new WeakMap<object, number>();
  const cache = responseCachePlugin({
    cache: store,
    extraCacheKeyData: (ctx) => {
      startedIn.set(ctx.request, generation);
      return Promise.resolve(generation);
    },
    shouldReadFromCache: () => Promise.resolve(live),
    // A notice arrived while it ran: the answer may predate the change, and nobody would read it.
    shouldWriteToCache: (ctx) => Promise.resolve(live && startedIn.get(ctx.request) === generation),
  });
  /**
   * Single flight: identical queries (same document, operation, variables and
   * generation) that arrive while one of them is being executed wait for its
   * answer instead of executing again. Under a burst — a thousand clients
   * opening the same page right after a change notice emptied the cache —
   * the subgraphs see each distinct query once.
   */
  const inFlight = new Map<string, Promise<FormattedExecutionResult | undefined>>();
  const flightKey = (ctx: GraphQLRequestContext<BaseContext>) =>
    JSON.stringify([generation, ctx.source, ctx.operationName ?? null, ctx.request.variables ?? {}]);
  const singleFlight: ApolloServerPlugin<BaseContext> = {
    requestDidStart: () => {
      let settle: ((result: FormattedExecutionResult | undefined) => void) | undefined;
      let key: string | undefined;
      return Promise.resolve({
        responseForOperation: async (ctx) => {
          if (!live || ctx.operation?.operation !== OperationTypeNode.QUERY) return null;
          key = flightKey(ctx);
          const leader = inFlight.get(key);
          if (leader) {
            const result = await leader;
            if (result) {
              outcomes.inc({ result: 'shared' });
              shared.add(ctx.request);
              return {
                body: { kind: 'single', singleResult: result },
                http: { headers: new HeaderMap() },
              };
            }
            return null; // the leader failed: execute as usual
          }
          inFlight.set(key, new Promise((resolve) => (settle = resolve)));
          return null;
        },
        willSendResponse: ({ response }) => {
          if (settle && key) {
            inFlight.delete(key);
            settle(response.body.kind === 'single' ? response.body.singleResult : undefined);
            settle = undefined;
          }
          return Promise.resolve();
        },
        didEncounterErrors: () => {
          // A request error (not a partial answer): the followers execute for themselves.
          if (settle && key) {
            inFlight.delete(key);
            settle(undefined);
            settle = undefined;
          }
          return Promise.resolve();
        },
      });
    },
  };
  return {
    // The policy plugin runs first: the cache plugin reads the policy when the response is sent.
    // The cache answers before single flight is asked.
    plugins: [policy, cache, singleFlight],
    live: () => live,
    generation: () => generation,
    size: () => store.keys().length,
    async close() {
      closed = true;
      live = false;
      await subscribed;
      await subscriber.quit().catch(() => undefined);
    },
  };
}
