import type { Db } from '@tonegraph/catalog/db';
import type { Logger } from '@tonegraph/logger';
import {
  deleteTracks,
  finishIfDone,
  markAnalysisPending,
  markEnrichmentPending,
  recordError,
  settleFile,
  settleFiles,
  upsertTracks,
  type FileFacts,
} from '@tonegraph/catalog/store';
import { PermanentFileError } from '../errors.ts';
import { createReadBuffers, type ReadBuffers } from '../metadata/read-buffers.ts';
import { readAudioFile } from '../metadata/read-file.ts';
import type { ProgressPublisher } from '../progress.ts';
import type { AnalysisJob, EnrichmentJob, FileJob, GraphJob } from '@tonegraph/queues';
import { createBatcher } from './batcher.ts';

export interface FileDeps {
  readonly db: Db;
  readonly progress: ProgressPublisher;
  readonly log: Logger;
  /** Sequential mode: each step waits for the one before it, and nothing is batched. */
  readonly sequential: boolean;
  /** Most files committed in one transaction; default 64. */
  readonly batchSize?: number;
  /**
   * Memory for reading files whole, across all files in flight (buffers in
   * use and kept for reuse); default 64 MiB. Files above a quarter of it, or
   * that find it used up, are streamed instead.
   */
  readonly readBufferBytes?: number;
  /**
   * Queues the audio analysis of committed tracks, when ingest analyses
   * audio. Called after the commit and before the file jobs are acked, so a
   * crash in between redelivers the files and queues them again (the
   * analysis stage is idempotent).
   */
  readonly enqueueAnalysis?: (jobs: readonly AnalysisJob[]) => Promise<void>;
  /** Queues the library-graph sync of committed or deleted tracks, likewise. */
  readonly enqueueGraph?: (jobs: readonly GraphJob[]) => Promise<void>;
  /**
   * Queues the external enrichment of committed tracks, likewise (their
   * status is set to `pending` in the commit). The import job does not wait
   * for it.
   */
  readonly enqueueEnrichment?: (jobs: readonly EnrichmentJob[]) => Promise<void>;
}

/** The file handler, with the batcher its commits share. */
export function createFileHandler(deps: FileDeps): (job: FileJob) => Promise<void> {
  const { db } = deps;
  const buffers = createReadBuffers(deps.readBufferBytes ?? 64 * 1024 * 1024);
  /** Publishes each job's counters, with the track it committed last (if any). */
  const reportProgress = async (jobIds: Iterable<string>, lastTracks?: ReadonlyMap<string, string>) => {
    for (const jobId of new Set(jobIds)) {
      const counters = await finishIfDone(db, jobId);
      if (counters) deps.progress.publish(counters, lastTracks?.get(jobId));
    }
  };
  const commits = createBatcher<{ job: FileJob; facts: FileFacts }>(
    async (items) => {
      const saved = await db.transaction(async (tx) => {
        const tracks = await upsertTracks(
          tx,
          items.map((i) => i.facts),
        );
        await settleFiles(
          tx,
          items.map((i) => ({ jobId: i.job.jobId, path: i.job.path, state: 'done' as const })),
        );
        if (deps.enqueueAnalysis)
          await markAnalysisPending(
            tx,
            items.map((i) => ({ jobId: i.job.jobId, path: i.job.path })),
          );
        if (deps.enqueueEnrichment && tracks.size > 0)
          await markEnrichmentPending(
            tx,
            [...tracks.values()].map((t) => t.id),
          );
        return tracks;
      });
      if (deps.enqueueAnalysis) {
        const jobs: AnalysisJob[] = [];
        for (const { job, facts } of items) {
          const track = saved.get(job.path);
          if (!track) continue;
          jobs.push({
            jobId: job.jobId,
            libraryId: job.libraryId,
            trackId: track.id,
            albumId: track.albumId,
            path: job.path,
            contentHash: facts.contentHash,
          });
        }
        await deps.enqueueAnalysis(jobs);
      }
      if (deps.enqueueGraph && saved.size > 0) {
        const first = items[0]!.job;
        await deps.enqueueGraph([
          { jobId: first.jobId, path: first.path, upsert: [...saved.values()].map((t) => t.id), remove: [] },
        ]);
      }
      if (deps.enqueueEnrichment && saved.size > 0) {
        await deps.enqueueEnrichment(
          items.flatMap(({ job }) => {
            const track = saved.get(job.path);
            return track ? [{ jobId: job.jobId, trackId: track.id, path: job.path }] : [];
          }),
        );
      }
      const lastTracks = new Map<string, string>();
      for (const { job } of items) {
        const track = saved.get(job.path);
        if (track) lastTracks.set(job.jobId, track.id);
      }
      await reportProgress(
        items.map((i) => i.job.jobId),
        lastTracks,
      );
    },
    { maxSize: deps.sequential ? 1 : (deps.batchSize ?? 64), maxWaitMs: 20 },
  );

  /**
   * Reads the file and commits its track, or deletes it, settling the file
   * in the job's ledger in the same transaction. A bad file throws a
   * `PermanentFileError`, which the worker gives up at once (see
   * {@link recordFileGivenUp}); anything else is thrown for a retry.
   */
  return async function handleFile(job: FileJob): Promise<void> {
    if (job.action === 'delete') {
      const removed = await db.transaction(async (tx) => {
        const ids = await deleteTracks(tx, job.libraryId, [job.path]);
        await settleFile(tx, job.jobId, job.path, 'done');
        return ids;
      });
      await removeFromGraph(deps, job, removed);
      await reportProgress([job.jobId]);
      return;
    }
    const facts = await readFile(deps, buffers, job);
    if (facts) await commits.add({ job, facts });
    else await reportProgress([job.jobId]);
  };
}

/**
 * The file stage's `gaveUp`: records the file as an ImportError (of the step
 * that found a bad file, else of `ingest`) and settles it as failed.
 */
export async function recordFileGivenUp(
  deps: Pick<FileDeps, 'db' | 'progress'>,
  job: FileJob,
  reason: string,
  error: unknown,
): Promise<void> {
  const where = error instanceof PermanentFileError ? error.stage : 'ingest';
  await deps.db.transaction(async (tx) => {
    await recordError(tx, job.jobId, job.path, where, reason);
    await settleFile(tx, job.jobId, job.path, 'failed');
  });
  const counters = await finishIfDone(deps.db, job.jobId);
  if (counters) deps.progress.publish(counters);
}

/**
 * Queues the graph removal of deleted tracks. A redelivered delete finds no
 * track left in the catalog; the graph sync of the first delivery, or the
 * next scan, covers it.
 */
async function removeFromGraph(deps: FileDeps, job: FileJob, trackIds: readonly string[]): Promise<void> {
  if (!deps.enqueueGraph || trackIds.length === 0) return;
  await deps.enqueueGraph([{ jobId: job.jobId, path: job.path, upsert: [], remove: [...trackIds] }]);
}

/** Stats, hashes and parses a file; undefined when it was deleted since the scan (handled here). */
async function readFile(deps: FileDeps, buffers: ReadBuffers, job: FileJob): Promise<FileFacts | undefined> {
  let file;
  try {
    file = await readAudioFile(job.path, { buffers, oneStepAtATime: deps.sequential });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    // Deleted since the scan: the catalog follows the disk.
    const removed = await deps.db.transaction(async (tx) => {
      const ids = await deleteTracks(tx, job.libraryId, [job.path]);
      await settleFile(tx, job.jobId, job.path, 'skipped');
      return ids;
    });
    await removeFromGraph(deps, job, removed);
    return undefined;
  }
  return {
    libraryId: job.libraryId,
    path: job.path,
    size: file.size,
    mtimeMs: file.mtimeMs,
    contentHash: file.contentHash,
    meta: file.meta,
  };
}
