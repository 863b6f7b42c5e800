import type { Redis } from 'ioredis';
import { catalogChangedChannel, type CatalogChangedEvent } from '@tonegraph/topics';

export interface ChangeNotifier {
  /** Something was committed: gateways are told (coalesced, soon). */
  changed(): void;
  /** Sends a notice still pending. */
  flush(): Promise<void>;
}

/**
 * Tells the gateways that what the API serves has changed, so they drop
 * cached responses. Commits close together share one notice: at most one
 * per `coalesceMs`, sent at the end of that window so it follows the commits
 * it covers. Best-effort like progress events: a gateway that cannot hear
 * notices (Redis down) stops answering from its cache.
 */
export function createChangeNotifier(redis: Redis, prefix: string, coalesceMs = 20): ChangeNotifier {
  let timer: NodeJS.Timeout | undefined;
  let sending: Promise<unknown> = Promise.resolve();
  const send = () => {
    timer = undefined;
    const event: CatalogChangedEvent = { source: 'ingest', at: new Date().toISOString() };
    sending = redis.publish(catalogChangedChannel(prefix), JSON.stringify(event)).catch(() => undefined);
  };
  return {
    changed() {
      timer ??= setTimeout(send, coalesceMs);
    },
    async flush() {
      if (timer) {
        clearTimeout(timer);
        send();
      }
      await sending;
    },
  };
}
