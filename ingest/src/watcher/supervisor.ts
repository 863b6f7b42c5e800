import { access } from 'node:fs/promises';
import type { Db } from '@tonegraph/catalog/db';
import type { ScanPublisher } from '@tonegraph/queues';
import {
  hasActiveScan,
  listLibraryRoots,
  requestScan,
  setWatchMode,
  type WatchMode,
} from '@tonegraph/catalog/store';
import type { Logger } from '@tonegraph/logger';
import { eventlessReason } from './filesystem.ts';
import { createLibraryWatcher, type LibraryWatcher, type LibraryWatcherOptions } from './library-watcher.ts';

export type { WatchMode };

/** Options of {@link createWatchSupervisor}. */
export interface WatchSupervisorOptions {
  readonly db: Db;
  readonly log: Logger;
  /** Where the catalog's `requestScan` publishes the incremental scans the watcher requests. */
  readonly scans: Pick<ScanPublisher, 'publish'>;
  /** `auto`: events where the file system sends them, polling elsewhere; `polling`: always poll. */
  readonly mode: 'auto' | 'polling';
  /** Interval of the periodic rescan of polled libraries. */
  readonly pollIntervalMs: number;
  /** How often the list of libraries is re-read and deferred scans retried; default 5000 ms. */
  readonly refreshMs?: number;
  /** Queue an incremental scan of each library present when watching starts; default true. */
  readonly scanOnStart?: boolean;
  readonly debounceMs?: number;
  readonly writeFinishMs?: number;
  readonly createWatcher?: LibraryWatcherOptions['createWatcher'];
}

interface Entry {
  readonly id: string;
  readonly root: string;
  mode: WatchMode;
  watcher?: LibraryWatcher | undefined;
  /** Changes seen that no scan has covered yet. */
  dirty: boolean;
  lastScanAt: number;
}

export interface WatchSupervisor {
  /** The mode each watched library is in, for tests and logs. */
  modes(): ReadonlyMap<string, WatchMode>;
  /** Re-reads the libraries and requests the scans that are due; runs on a timer too. */
  refresh(): Promise<void>;
  /** Stops every watcher and marks the libraries OFF. Idempotent. */
  close(): Promise<void>;
}

/**
 * Keeps every library current between scans: one chokidar watcher per root,
 * whose batched changes become incremental scans, or periodic rescans where
 * events are not available. At most one scan per library is queued at a
 * time; changes seen meanwhile re-arm it for after the running one.
 */
export function createWatchSupervisor(options: WatchSupervisorOptions): WatchSupervisor {
  const { db, log } = options;
  const entries = new Map<string, Entry>();
  let closed = false;
  let refreshing: Promise<void> | undefined;

  const setMode = async (entry: Entry, mode: WatchMode, reason: string | null) => {
    entry.mode = mode;
    await setWatchMode(db, [entry.id], mode, reason);
  };

  const scanIfIdle = async (entry: Entry) => {
    if (await hasActiveScan(db, entry.id)) return; // re-armed: the next refresh tries again once that job is over
    entry.dirty = false;
    entry.lastScanAt = Date.now();
    const { id: jobId } = await requestScan(db, options.scans, entry.id);
    log.info({ libraryId: entry.id, jobId, mode: entry.mode }, 'library changed; incremental scan queued');
  };

  const fallBack = async (entry: Entry, reason: string, eventsMissed = false) => {
    log.warn({ libraryId: entry.id, path: entry.root, reason }, 'watching by polling instead of events');
    entry.watcher = undefined;
    if (eventsMissed) entry.dirty = true;
    await setMode(entry, 'POLLING', reason);
  };

  /** Libraries added later were scanned by whoever added them: only the first refresh catches up. */
  let firstRefresh = true;

  const startEntry = async (id: string, root: string) => {
    const entry: Entry = {
      id,
      root,
      mode: 'OFF',
      dirty: firstRefresh && (options.scanOnStart ?? true),
      lastScanAt: Date.now(),
    };
    entries.set(id, entry);
    const unreachable = await access(root).then(
      () => undefined,
      (error: NodeJS.ErrnoException) =>
        `library root is unreachable (${error.code ?? error.message}); polling until it is back`,
    );
    const reason =
      unreachable ??
      (options.mode === 'polling'
        ? 'polling configured (INGEST_WATCH_MODE=polling)'
        : await eventlessReason(root));
    if (reason) {
      await fallBack(entry, reason);
      return;
    }
    const watcher = createLibraryWatcher(root, {
      ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}),
      ...(options.writeFinishMs !== undefined ? { writeFinishMs: options.writeFinishMs } : {}),
      ...(options.createWatcher ? { createWatcher: options.createWatcher } : {}),
      onChanges: (paths) => {
        log.debug({ libraryId: id, changed: paths.length }, 'library changes');
        entry.dirty = true;
        void scanIfIdle(entry).catch((error: unknown) =>
          log.error({ err: error, libraryId: id }, 'scan request failed; retried on the next refresh'),
        );
      },
      onFailure: (why) => {
        void fallBack(entry, why, true).catch((error: unknown) =>
          log.error({ err: error }, 'watch mode not saved'),
        );
      },
    });
    entry.watcher = watcher;
    await watcher.ready;
    if (entry.watcher === watcher) await setMode(entry, 'EVENTS', null);
    log.info({ libraryId: id, path: root, mode: entry.mode }, 'library watched');
  };

  const stopEntry = async (entry: Entry) => {
    entries.delete(entry.id);
    await entry.watcher?.close();
  };

  const refreshOnce = async () => {
    const rows = await listLibraryRoots(db);
    const seen = new Set(rows.map((r) => r.id));
    for (const entry of [...entries.values()]) if (!seen.has(entry.id)) await stopEntry(entry);
    for (const row of rows) {
      if (closed) return;
      let entry = entries.get(row.id);
      // A polled root that is reachable again gets its watcher back.
      if (entry && entry.mode === 'POLLING' && options.mode === 'auto' && entry.watcher === undefined) {
        const back = await access(entry.root).then(
          () => true,
          () => false,
        );
        const eventless = back ? await eventlessReason(entry.root) : 'unreachable';
        if (back && !eventless && entry.lastScanAt + options.pollIntervalMs <= Date.now()) {
          await stopEntry(entry);
          entry = undefined;
        }
      }
      if (!entry) {
        await startEntry(row.id, row.path);
        entry = entries.get(row.id);
      }
      if (!entry) continue;
      const pollDue = entry.mode === 'POLLING' && entry.lastScanAt + options.pollIntervalMs <= Date.now();
      if (entry.dirty || pollDue) await scanIfIdle(entry);
    }
    firstRefresh = false;
  };

  const refresh = () => {
    refreshing ??= refreshOnce().finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  };

  const timer = setInterval(() => {
    refresh().catch((error: unknown) => log.error({ err: error }, 'watch refresh failed; retried'));
  }, options.refreshMs ?? 5000);
  timer.unref();

  let closing: Promise<void> | undefined;
  return {
    modes: () => new Map([...entries].map(([id, e]) => [id, e.mode])),
    refresh,
    close() {
      closing ??= (async () => {
        closed = true;
        clearInterval(timer);
        await refreshing?.catch(() => undefined);
        const all = [...entries.values()];
        await Promise.allSettled(all.map((e) => stopEntry(e)));
        await setWatchMode(
          db,
          all.map((e) => e.id),
          'OFF',
          'the ingest watcher stopped',
        ).catch((error: unknown) => log.warn({ err: error }, 'watch modes not reset'));
      })();
      return closing;
    },
  };
}
