import type { Redis } from 'ioredis';
import { isPermanentAnalysisError, type AnalysisPool } from '@tonegraph/audio-analysis';
import type { AnalysisStore, TrackRef } from '@tonegraph/analysis/store';
import type { Db } from '@tonegraph/catalog/db';
import type { GraphSync } from '@tonegraph/library-graph/sync';
import type { Logger } from '@tonegraph/logger';
import { UnrecoverableJobError, type AnalysisJob } from '@tonegraph/queues';
import { analysisCompletedChannel, type AnalysisCompletedEvent } from '@tonegraph/topics';
import {
  finishIfDone,
  knownFiles,
  markAnalysisPending,
  recordError,
  settleAnalyses,
} from '@tonegraph/catalog/store';
import { createBatcher } from './batcher.ts';
import type { ProgressPublisher } from '../progress.ts';
import { graphFeatures } from './graph.ts';

export interface AnalysisDeps {
  readonly db: Db;
  readonly store: AnalysisStore;
  readonly pool: AnalysisPool;
  readonly progress: ProgressPublisher;
  readonly redis: Redis;
  readonly redisPrefix: string;
  readonly analyzerVersion: string;
  /** The library graph, whose similarity follows each new analysis. */
  readonly graph?: GraphSync;
  /** Most analysis settles committed in one transaction (default 64; 1 in sequential mode). */
  readonly settleBatchSize?: number;
  readonly log: Logger;
}

export interface AnalysisHandler {
  handle: (job: AnalysisJob) => Promise<void>;
  /** Records a job that kept failing transiently as an ImportError before it is dead-lettered. */
  gaveUp: (job: AnalysisJob, reason: string) => Promise<void>;
}

/**
 * The analysis stage: links the track to its content's analysis, analysing
 * the audio in the worker pool only when no analysis of that content (at
 * this analyser version) exists yet, then settles the file in the job's
 * ledger. Undecodable audio is given up at once (an
 * `UnrecoverableJobError`) and `gaveUp` records it as an ImportError (stage
 * `analysis`); anything else is thrown for a retry. Idempotent: a redelivery re-links and
 * settles nothing twice.
 */
export function createAnalysisHandler(deps: AnalysisDeps): AnalysisHandler {
  const { db, store, log } = deps;

  const announce = async (refs: readonly TrackRef[], status: 'done' | 'failed', error: string | null) => {
    const at = new Date().toISOString();
    for (const ref of refs) {
      const event: AnalysisCompletedEvent = {
        trackId: ref.trackId,
        libraryId: ref.libraryId,
        albumId: ref.albumId,
        status,
        error,
        analyzerVersion: deps.analyzerVersion,
        at,
      };
      await deps.redis
        .publish(analysisCompletedChannel(deps.redisPrefix, ref.libraryId), JSON.stringify(event))
        .catch((err: unknown) => log.warn({ err, trackId: ref.trackId }, 'analysis event not published'));
    }
  };

  // Settles that arrive together share a transaction and a progress check:
  // linking already-analysed content takes milliseconds, and one transaction
  // per file on the job's counters row would be what limits it.
  const settles = createBatcher<{ job: AnalysisJob; state: 'done' | 'failed'; reason?: string }>(
    async (items) => {
      await db.transaction(async (tx) => {
        for (const { job, reason } of items)
          if (reason) await recordError(tx, job.jobId, job.path, 'analysis', reason);
        await settleAnalyses(
          tx,
          items.map(({ job, state }) => ({ jobId: job.jobId, path: job.path, state })),
        );
      });
      const lastDone = new Map<string, string | undefined>();
      for (const { job, state } of items)
        lastDone.set(job.jobId, state === 'done' ? job.trackId : lastDone.get(job.jobId));
      for (const [jobId, trackId] of lastDone) {
        const counters = await finishIfDone(db, jobId);
        if (counters) deps.progress.publish(counters, trackId);
      }
    },
    { maxSize: deps.settleBatchSize ?? 64, maxWaitMs: 10 },
  );
  const settle = (job: AnalysisJob, state: 'done' | 'failed', reason?: string) =>
    settles.add(reason ? { job, state, reason } : { job, state });

  const fail = async (job: AnalysisJob, reason: string) => {
    if (await store.markFailed(job.trackId, reason))
      await announce(
        [{ trackId: job.trackId, libraryId: job.libraryId, albumId: job.albumId }],
        'failed',
        reason,
      );
    await settle(job, 'failed', reason);
  };

  return {
    async handle(job) {
      const linked = await store.linkTrack({
        trackId: job.trackId,
        contentHash: job.contentHash,
        libraryId: job.libraryId,
        albumId: job.albumId,
      });
      if (linked === 'pending') {
        await store.markAnalyzing(job.trackId);
        let analysis;
        try {
          analysis = await deps.pool.analyze(job.path);
        } catch (error) {
          // Undecodable audio fails alike every time: given up at once, and recorded by `gaveUp`.
          if (!isPermanentAnalysisError(error)) throw error;
          const reason = error instanceof Error ? error.message : String(error);
          throw new UnrecoverableJobError(reason, { cause: error });
        }
        const { completed } = await store.saveAnalysis(job.contentHash, analysis);
        if (deps.graph && completed.length > 0) {
          const features = graphFeatures({
            tempo: analysis.tempo,
            key: analysis.key,
            loudness: analysis.loudness,
          });
          // Tracks not in the graph yet get these features from the graph stage instead.
          await deps.graph.updateSimilarity(
            completed.map((c) => c.trackId),
            Object.fromEntries(completed.map((c) => [c.trackId, features])),
          );
        }
        await announce(completed, 'done', null);
      }
      await settle(job, 'done');
    },
    async gaveUp(job, reason) {
      await fail(job, reason);
    },
  };
}

/** Analysis jobs queued (and marked in the job's ledger) per transaction by a catch-up. */
const CATCH_UP_BATCH = 1000;

/**
 * What a scan does for the files it found unchanged: the tracks among them
 * that have no analysis of their content at this analyser version (a
 * version bump, analysis turned on after they were imported, an analysis
 * database that was reset) get an analysis job in the scan's import job,
 * counted in its analysis progress. One catalog and one analysis-database
 * query per scan. Returns how many were queued. Run twice for the same job,
 * it counts nothing twice (the ledger marks each file once; the analysis
 * stage is idempotent).
 */
export function createAnalysisCatchUp(deps: {
  readonly db: Db;
  readonly store: AnalysisStore;
  readonly enqueue: (jobs: readonly AnalysisJob[]) => Promise<void>;
}): (jobId: string, libraryId: string, paths: readonly string[]) => Promise<number> {
  const { db, store } = deps;
  return async (jobId, libraryId, paths) => {
    if (paths.length === 0) return 0;
    const unchanged = new Set(paths);
    const rows = (await knownFiles(db, libraryId)).filter(
      (r): r is typeof r & { hash: string } => r.hash !== null && unchanged.has(r.path),
    );
    const due = new Set(
      await store.tracksToAnalyse(
        libraryId,
        rows.map((r) => ({ trackId: r.id, contentHash: r.hash })),
      ),
    );
    const jobs: AnalysisJob[] = rows
      .filter((r) => due.has(r.id))
      .map((r) => ({
        jobId,
        libraryId,
        trackId: r.id,
        albumId: r.albumId,
        path: r.path,
        contentHash: r.hash,
      }));
    for (let i = 0; i < jobs.length; i += CATCH_UP_BATCH) {
      const batch = jobs.slice(i, i + CATCH_UP_BATCH);
      await db.transaction((tx) =>
        markAnalysisPending(
          tx,
          batch.map((j) => ({ jobId, path: j.path })),
        ),
      );
      await deps.enqueue(batch);
    }
    return jobs.length;
  };
}
