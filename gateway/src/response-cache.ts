import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import responseCachePlugin from '@apollo/server-plugin-response-cache';
import { InMemoryLRUCache } from '@apollo/utils.keyvaluecache';
import { OperationTypeNode } from 'graphql';
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
    help: 'Queries by response-cache outcome: hit, miss (stored if complete), bypass (notices not heard)',
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

  const policy: ApolloServerPlugin<BaseContext> = {
    requestDidStart: () =>
      Promise.resolve({
        // Gateway execution runs no field resolvers, so no cache hints arrive: queries get the TTL here.
        didResolveOperation: ({ operation, overallCachePolicy }) => {
          if (operation?.operation === OperationTypeNode.QUERY)
            overallCachePolicy.replace({ maxAge: options.ttlSeconds, scope: 'PUBLIC' });
          return Promise.resolve();
        },
        willSendResponse: ({ operation, response, metrics }) => {
          if (operation?.operation === OperationTypeNode.MUTATION) {
            // Whatever the mutation did, every gateway forgets what it cached (this one at once).
            invalidate();
            const event: CatalogChangedEvent = { source: 'gateway', at: new Date().toISOString() };
            options.publisher.publish(channel, JSON.stringify(event)).catch((err: unknown) => {
              log.warn({ err }, 'change notice not published');
            });
          } else if (operation?.operation === OperationTypeNode.QUERY && response.body.kind === 'single') {
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
  return {
    // The policy plugin runs first: the cache plugin reads the policy when the response is sent.
    plugins: [policy, cache],
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
