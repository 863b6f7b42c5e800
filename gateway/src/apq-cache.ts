import type { Redis } from 'ioredis';

/**
 * Apollo Server's KeyValueCache on Redis, for automatic persisted queries:
 * every gateway instance behind a load balancer sees the hashes any of them
 * registered. Keys live under `prefix`; `ttl` is in seconds.
 */
export interface StringCache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, options?: { ttl?: number | null }): Promise<void>;
  delete(key: string): Promise<boolean | void>;
}

export function createRedisCache(redis: Redis, prefix: string): StringCache {
  return {
    async get(key) {
      return (await redis.get(prefix + key)) ?? undefined;
    },
    async set(key, value, options) {
      const ttl = options?.ttl;
      if (typeof ttl === 'number' && ttl > 0) await redis.set(prefix + key, value, 'EX', Math.ceil(ttl));
      else await redis.set(prefix + key, value);
    },
    async delete(key) {
      await redis.del(prefix + key);
    },
  };
}
