import type { Redis } from 'ioredis';
import {
  importProgressChannel,
  libraryEventsChannel,
  type ImportProgressEvent,
  type LibraryEvent,
} from '@tonegraph/topics';
import type { JobCounters } from '@tonegraph/catalog/store';

export { importProgressChannel as progressChannel } from '@tonegraph/topics';

export interface ProgressPublisher {
  /**
   * Queues an event; at most one per job per interval reaches Redis, the
   * latest one. `lastTrackId` is the track just imported or analysed; an
   * event without one carries the job's previous one.
   */
  publish(counters: JobCounters, lastTrackId?: string): void;
  /** Sends what is still pending. */
  flush(): Promise<void>;
}

/**
 * Throttled progress events (default 10 per second per job). A job's final
 * state is sent at once: subscribers always see the end.
 */
export function createProgressPublisher(redis: Redis, prefix: string, intervalMs = 100): ProgressPublisher {
  const latest = new Map<string, JobCounters>();
  const lastTrack = new Map<string, string>();
  const timers = new Map<string, NodeJS.Timeout>();
  const sends = new Set<Promise<unknown>>();

  const send = (jobId: string) => {
    const counters = latest.get(jobId);
    latest.delete(jobId);
    if (!counters) return;
    const lastTrackId = lastTrack.get(jobId);
    const event: ImportProgressEvent = {
      ...counters,
      ...(lastTrackId ? { lastTrackId } : {}),
      at: new Date().toISOString(),
    };
    if (counters.status !== 'RUNNING' && counters.status !== 'QUEUED') lastTrack.delete(jobId);
    const libraryEvent: LibraryEvent = { type: 'IMPORT_PROGRESS', ...event };
    const p = Promise.all([
      redis.publish(importProgressChannel(prefix, jobId), JSON.stringify(event)),
      redis.publish(libraryEventsChannel(prefix, counters.libraryId), JSON.stringify(libraryEvent)),
    ]).catch(() => undefined); // progress is best-effort: the catalog holds the truth
    sends.add(p);
    void p.finally(() => sends.delete(p));
  };

  return {
    publish(counters, lastTrackId) {
      latest.set(counters.jobId, counters);
      if (lastTrackId) lastTrack.set(counters.jobId, lastTrackId);
      if (counters.status !== 'RUNNING' && counters.status !== 'QUEUED') {
        clearTimeout(timers.get(counters.jobId));
        timers.delete(counters.jobId);
        send(counters.jobId);
        return;
      }
      if (timers.has(counters.jobId)) return;
      timers.set(
        counters.jobId,
        setTimeout(() => {
          timers.delete(counters.jobId);
          send(counters.jobId);
        }, intervalMs),
      );
    },
    async flush() {
      for (const [jobId, timer] of timers) {
        clearTimeout(timer);
        send(jobId);
      }
      timers.clear();
      await Promise.all(sends);
    },
  };
}
