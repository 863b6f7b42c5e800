import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { isolation, testServices } from '@tonegraph/testing';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { createEnricher, type EnricherOptions } from '../src/index.ts';
import type { Fakes } from './fakes/index.ts';

/** A Redis client on the test server and a key prefix of this file's own, deleted after the tests. */
export function useRedis(): { redis: () => Redis; prefix: string } {
  const prefix = isolation().redisPrefix;
  let redis: Redis | undefined;
  before(() => {
    redis = new Redis(testServices().REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 2 });
  });
  after(async () => {
    if (!redis) return;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
    await redis.quit();
  });
  return { redis: () => redis!, prefix };
}

/** A temporary folder, removed after the tests. */
export function useTempDir(): () => string {
  let dir: string | undefined;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tonegraph-enrichment-'));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return () => dir!;
}

/** Fast policies for tests: 10 requests/s, short backoff, a breaker that opens after 3 failures for 600 ms. */
export const FAST_POLICY = {
  timeoutMs: 500,
  retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 400, maxRetryAfterMs: 3000 },
  breaker: { consecutiveFailures: 3, halfOpenAfterMs: 600 },
} as const;

/** An enricher against the fakes, with test rates; `overrides` replace whole sections. */
export function testEnricher(
  fakes: Fakes,
  env: { redis: Redis; prefix: string; coverDir: string },
  overrides: Partial<EnricherOptions> = {},
) {
  return createEnricher({
    musicbrainz: {
      ...FAST_POLICY,
      baseUrl: fakes.musicbrainz.url,
      contact: 'https://tonegraph.test/contact',
      ratePerSecond: 20,
    },
    coverArt: { ...FAST_POLICY, baseUrl: fakes.coverArt.url, ratePerSecond: 20 },
    acoustid: { ...FAST_POLICY, baseUrl: fakes.acoustid.url, apiKey: 'test-key', ratePerSecond: 20 },
    redis: env.redis,
    keyPrefix: env.prefix,
    coverDir: env.coverDir,
    registry: new Registry(),
    ...overrides,
  });
}
