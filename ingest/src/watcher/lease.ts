import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Extends the lease only if this holder still has it (compare-and-expire). */
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export interface Lease {
  /** Takes the lease if it is free, or keeps it if this holder has it; true while held. */
  hold(): Promise<boolean>;
  /** Gives the lease up if held. */
  release(): Promise<void>;
}

/**
 * A Redis lease that makes one ingest process of many the watcher: only one
 * watches the libraries (several would queue each change several times); if
 * it dies, the lease expires after `ttlMs` and another one takes over.
 */
export function createLease(redis: Redis, key: string, ttlMs: number): Lease {
  const holder = randomUUID();
  let held = false;
  return {
    async hold() {
      if (held) held = (await redis.eval(RENEW, 1, key, holder, String(ttlMs))) === 1;
      if (!held) held = (await redis.set(key, holder, 'PX', ttlMs, 'NX')) === 'OK';
      return held;
    },
    async release() {
      if (!held) return;
      held = false;
      await redis.eval(RELEASE, 1, key, holder);
    },
  };
}
