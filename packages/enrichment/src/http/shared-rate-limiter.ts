import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { RateLimiter, RateLimitOptions } from './rate-limiter.ts';

// The same GCRA as the in-process limiter, with the theoretical arrival time
// in Redis and Redis's clock, so every process reserves from one schedule:
// MusicBrainz counts requests per client IP, not per process.
// Returns how long the caller must wait before sending, in milliseconds, and
// the slot itself (Redis time, epoch ms).
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
local at = math.max(tat - tolerance, paused, now)
local next_tat = math.max(tat, at) + interval
redis.call('SET', KEYS[1], tostring(next_tat), 'PX', math.ceil(next_tat - now + 60000))
return {at - now, at}
`;

const PAUSE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ms = now + tonumber(ARGV[1])
local paused = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ms > paused then
  redis.call('SET', KEYS[1], tostring(until_ms), 'PX', tonumber(ARGV[1]) + 1000)
end
return 0
`;

/**
 * A rate limiter shared by every process using the same Redis `key`, with
 * `fallback` (an in-process limiter of the same rate) also applied locally.
 * When Redis cannot be reached only `fallback` applies, rather than
 * enrichment stopping.
 */
export function createSharedRateLimiter(
  redis: Redis,
  key: string,
  { perSecond, burst = 1 }: RateLimitOptions,
  fallback: RateLimiter,
  /** Told each slot reserved in the shared schedule (epoch ms), before its wait. */
  onReserve?: (slotAtMs: number) => void,
): RateLimiter {
  const interval = 1000 / perSecond;
  const tolerance = interval * (burst - 1);
  const pauseKey = `${key}:paused`;
  let lastWait = 0;
  return {
    async acquire(signal) {
      let wait: number;
      try {
        const [ms, slot] = (await redis.eval(RESERVE, 2, key, pauseKey, interval, tolerance)) as [
          number,
          number,
        ];
        wait = Number(ms);
        onReserve?.(Number(slot));
      } catch {
        return fallback.acquire(signal);
      }
      lastWait = wait;
      if (wait > 0) await sleep(wait, undefined, { signal });
      // Slots are reserved ahead; a late wake-up could land two of this
      // process's requests together. The local limiter keeps them apart.
      await fallback.acquire(signal);
    },
    pauseUntil(untilMs) {
      fallback.pauseUntil(untilMs);
      const ms = Math.max(0, Math.round(untilMs - Date.now()));
      redis.eval(PAUSE, 1, pauseKey, ms).catch(() => {});
    },
    delayMs: () => Math.max(lastWait, fallback.delayMs()),
  };
}
