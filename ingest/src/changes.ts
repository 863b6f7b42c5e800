import type { Redis } from 'ioredis';
import { catalogChangedChannel, type CatalogChangedEvent } from '@tonegraph/topics';

export interface ChangeNotifier {
  /** Something was committed: gateways are told (throttled). */
  changed(): void;
  /** Sends a notice still pending. */
  flush(): Promise<void>;
}

/**
 * Tells the gateways that what the API serves has changed, so they drop
 * cached responses. Throttled: the first change after a quiet spell is
 * announced at once, later ones at most once per `intervalMs`, at the end
 * of the interval — so a cached answer lags a commit by at most that much,
 * and during an import (commits many times a second) gateways can still
 * answer from their cache between notices. Best-effort like progress
 * events: a gateway that cannot hear notices (Redis down) stops answering
 * from its cache.
 */
export function createChangeNotifier(redis: Redis, prefix: string, intervalMs = 500): ChangeNotifier {
  let timer: NodeJS.Timeout | undefined;
  let pending = false;
  let sending: Promise<unknown> = Promise.resolve();
  const send = () => {
    pending = false;
    const event: CatalogChangedEvent = { source: 'ingest', at: new Date().toISOString() };
    sending = redis.publish(catalogChangedChannel(prefix), JSON.stringify(event)).catch(() => undefined);
    // The interval starts now: changes within it wait for its end.
    timer = setTimeout(() => {
      timer = undefined;
      if (pending) send();
    }, intervalMs);
    timer.unref();
  };
  return {
    changed() {
      pending = true;
      if (!timer) send();
    },
    async flush() {
      if (pending) {
        clearTimeout(timer);
        timer = undefined;
        send();
      }
      clearTimeout(timer);
      timer = undefined;
      await sending;
    },
  };
}
