import { setTimeout as sleep } from 'node:timers/promises';

/** Options of {@link createRateLimiter}. */
export interface RateLimitOptions {
  /** Requests allowed per second, on average. */
  readonly perSecond: number;
  /** Requests allowed back to back after an idle period. Default 1: strict spacing. */
  readonly burst?: number;
}

/** Hands out request slots no faster than the configured rate. */
export interface RateLimiter {
  /** Resolves when the caller may send one request. Rejects if `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<void>;
  /** Holds every slot back until `untilMs` (epoch ms), e.g. after a 429 with `Retry-After`. */
  pauseUntil(untilMs: number): void;
  /** Milliseconds until a slot would be free now, counting the callers already waiting. */
  delayMs(): number;
}

/**
 * A token bucket whose waiters are served one at a time, in order. Tokens
 * are counted when a waiter wakes, not when it queued, so a stalled event
 * loop cannot release a catch-up burst: whatever happens, two requests are
 * never closer than `1/perSecond` once the `burst` is spent.
 */
export function createRateLimiter({ perSecond, burst = 1 }: RateLimitOptions): RateLimiter {
  const interval = 1000 / perSecond;
  let tokens = burst;
  let refilledAt = Date.now();
  let pausedUntil = 0;
  let waiting = 0;
  let tail: Promise<void> = Promise.resolve();

  const refill = (now: number) => {
    tokens = Math.min(burst, tokens + (now - refilledAt) / interval);
    refilledAt = now;
  };

  async function take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const now = Date.now();
      refill(now);
      const wait = Math.max(pausedUntil - now, tokens >= 1 ? 0 : (1 - tokens) * interval);
      if (wait <= 0) {
        tokens -= 1;
        return;
      }
      await sleep(Math.ceil(wait), undefined, { signal });
    }
  }

  return {
    acquire(signal) {
      waiting++;
      const mine = tail.then(() => take(signal));
      // The next waiter starts after this one, whether it got its slot or was aborted.
      tail = mine.catch(() => {}).finally(() => waiting--);
      return mine;
    },
    pauseUntil(untilMs) {
      pausedUntil = Math.max(pausedUntil, untilMs);
    },
    delayMs() {
      const now = Date.now();
      refill(now);
      const own = tokens >= 1 ? 0 : (1 - tokens) * interval;
      return Math.max(pausedUntil - now, own + waiting * interval);
    },
  };
}
