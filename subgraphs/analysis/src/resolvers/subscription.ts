import { analysisCompletedChannel, type AnalysisCompletedEvent } from '@tonegraph/topics';
import type { Context } from '../context.ts';
import { requireId } from '../errors.ts';

export const Subscription = {
  analysisCompleted: {
    subscribe: (_: unknown, { libraryId }: { libraryId: string }, ctx: Context) => {
      requireId('libraryId', libraryId);
      return ctx.pubsub.asyncIterableIterator<AnalysisCompletedEvent>(
        analysisCompletedChannel(ctx.redisPrefix, libraryId),
      );
    },
    resolve: (event: AnalysisCompletedEvent, _: unknown, ctx: Context) => {
      // A subscription's loaders live as long as it does: read the track afresh.
      ctx.loaders.trackById.clear(event.trackId);
      return event;
    },
  },
};

export const AnalysisCompleted = {
  track: (e: AnalysisCompletedEvent) => ({ id: e.trackId }),
  status: (e: AnalysisCompletedEvent) => e.status.toUpperCase(),
  error: (e: AnalysisCompletedEvent) => e.error ?? null,
};
