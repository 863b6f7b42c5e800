import type { Redis } from 'ioredis';
import type { Logger } from '@tonegraph/logger';
import { createLease } from './lease.ts';
import { createWatchSupervisor, type WatchSupervisor, type WatchSupervisorOptions } from './supervisor.ts';

export { createLibraryWatcher } from './library-watcher.ts';
export { createWatchSupervisor } from './supervisor.ts';
export type { WatchMode, WatchSupervisor } from './supervisor.ts';

export interface Watching {
  /** The supervisor while this process holds the watcher lease. */
  current(): WatchSupervisor | undefined;
  close(): Promise<void>;
}

/**
 * Runs the library watcher in exactly one ingest process: whichever holds
 * the Redis lease `key`; the others check every third of `leaseMs` and take
 * over when it lapses.
 */
export function startWatching(
  redis: Redis,
  key: string,
  leaseMs: number,
  options: WatchSupervisorOptions & { readonly log: Logger },
): Watching {
  const lease = createLease(redis, key, leaseMs);
  let supervisor: WatchSupervisor | undefined;
  const tick = async () => {
    const held = await lease.hold().catch((error: unknown) => {
      options.log.warn({ err: error }, 'watcher lease not renewed');
      return false;
    });
    if (held && !supervisor) {
      options.log.info('this ingest process watches the libraries');
      supervisor = createWatchSupervisor(options);
      await supervisor.refresh();
    } else if (!held && supervisor) {
      options.log.warn('watcher lease lost; another ingest process watches the libraries');
      const old = supervisor;
      supervisor = undefined;
      await old.close();
    }
  };
  const run = () =>
    void tick().catch((error: unknown) => options.log.error({ err: error }, 'watcher tick failed'));
  run();
  const timer = setInterval(run, Math.max(100, Math.floor(leaseMs / 3)));
  timer.unref();
  let closing: Promise<void> | undefined;
  return {
    current: () => supervisor,
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        await supervisor?.close();
        supervisor = undefined;
        await lease.release().catch(() => undefined);
      })();
      return closing;
    },
  };
}
