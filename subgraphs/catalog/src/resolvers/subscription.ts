import {
  importProgressChannel,
  libraryEventsChannel,
  type ImportProgressEvent,
  type LibraryEvent,
} from '@tonegraph/topics';
import type { Context } from '../context.ts';
import { requireId } from './ids.ts';

const FINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

/**
 * The job's current state first (so a late subscriber is never left
 * waiting), then its live events, ending after a final state. The Redis
 * subscription is in place before the current state is read, so no event
 * falls in between. Events are snapshots: a slow client gets the newest.
 */
async function* jobProgress(ctx: Context, jobId: string): AsyncGenerator<ImportProgressEvent> {
  let latest: ImportProgressEvent | undefined;
  let wake: (() => void) | undefined;
  const id = await ctx.pubsub.subscribe(
    importProgressChannel(ctx.redisPrefix, jobId),
    (event: ImportProgressEvent) => {
      latest = event;
      wake?.();
    },
    {},
  );
  try {
    const job = await ctx.loaders.jobById.load(jobId);
    if (!job) return;
    yield {
      ...job,
      jobId: job.id,
      analysis: {
        total: job.analysisTotal,
        processed: job.analysisDone + job.analysisFailed,
        failed: job.analysisFailed,
      },
      at: new Date().toISOString(),
    };
    if (FINAL.has(job.status)) return;
    for (;;) {
      if (!latest) await new Promise<void>((resolve) => (wake = resolve));
      const event = latest!;
      latest = undefined;
      yield event;
      if (FINAL.has(event.status)) return;
    }
  } finally {
    ctx.pubsub.unsubscribe(id);
  }
}

export const Subscription = {
  importProgress: {
    subscribe: (_: unknown, { jobId }: { jobId: string }, ctx: Context) => {
      requireId('jobId', jobId);
      return jobProgress(ctx, jobId);
    },
    resolve: (event: ImportProgressEvent) => event,
  },
  libraryEvents: {
    subscribe: (_: unknown, { libraryId }: { libraryId: string }, ctx: Context) => {
      requireId('libraryId', libraryId);
      return ctx.pubsub.asyncIterableIterator(
        libraryEventsChannel(ctx.redisPrefix, libraryId),
      ) as AsyncIterableIterator<LibraryEvent>;
    },
    resolve: (event: LibraryEvent) => event,
  },
};

export const ImportProgress = {
  // Always fresh: a subscription's loaders live as long as the subscription.
  job: (e: ImportProgressEvent, _: unknown, ctx: Context) => ctx.loaders.jobById.clear(e.jobId).load(e.jobId),
  analysis: (e: ImportProgressEvent) => e.analysis ?? { total: 0, processed: 0, failed: 0 },
  // A track removed since the event resolves to null, like any missing track.
  lastTrack: (e: ImportProgressEvent, _: unknown, ctx: Context) =>
    e.lastTrackId ? ctx.loaders.trackById.clear(e.lastTrackId).load(e.lastTrackId) : null,
};

export const LibraryEventResolvers = {
  library: (e: LibraryEvent, _: unknown, ctx: Context) => ctx.loaders.libraryById.load(e.libraryId),
  progress: (e: LibraryEvent) => (e.type === 'IMPORT_PROGRESS' ? e : null),
};
