import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A cached HTTP answer: only final ones (200 and 404) are stored. */
export interface CachedResponse {
  readonly status: number;
  readonly body: string;
}

/** A Redis response cache with a TTL, keyed by host and request. */
export interface ResponseCache {
  get(host: string, request: string): Promise<CachedResponse | undefined>;
  set(host: string, request: string, value: CachedResponse, ttlSeconds: number): Promise<void>;
}

/**
 * Keys are `<prefix>http:<host>:<sha1 of the request>` so that long search
 * URLs and POST bodies make bounded keys. A Redis failure is a cache miss,
 * never an enrichment failure.
 */
export function createResponseCache(redis: Redis, prefix: string): ResponseCache {
  const key = (host: string, request: string) =>
    `${prefix}http:${host}:${createHash('sha1').update(request).digest('hex')}`;
  return {
    async get(host, request) {
      try {
        const raw = await redis.get(key(host, request));
        return raw === null ? undefined : (JSON.parse(raw) as CachedResponse);
      } catch {
        return undefined;
      }
    },
    async set(host, request, value, ttlSeconds) {
      if (ttlSeconds <= 0) return;
      try {
        await redis.set(key(host, request), JSON.stringify(value), 'EX', ttlSeconds);
      } catch {
        // a cache that cannot be written only costs a later network call
      }
    },
  };
}
