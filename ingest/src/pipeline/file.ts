import { stat } from 'node:fs/promises';
import type { Db } from '@tonegraph/catalog/db';
import type { Logger } from '@tonegraph/logger';
import { finishIfDone, recordError, settleFile } from '../catalog/jobs.ts';
import { deleteTracks, upsertTrack } from '../catalog/write.ts';
import { PermanentFileError } from '../errors.ts';
import { readMetadata } from '../metadata/extract.ts';
import type { ProgressPublisher } from '../progress.ts';
import type { FileJob } from '../queue/topology.ts';
import { hashFile } from '../scanner/hash.ts';

export interface FileDeps {
  readonly db: Db;
  readonly progress: ProgressPublisher;
  readonly log: Logger;
  /** Sequential mode: each step waits for the one before it. */
  readonly sequential: boolean;
}

/**
 * Handles one file job: reads the file and commits its track, or deletes
 * it, settling the file in the job's ledger in the same transaction. A bad
 * file is recorded as an ImportError; anything else is thrown for a retry.
 */
export async function handleFile(deps: FileDeps, job: FileJob): Promise<void> {
  const { db } = deps;
  try {
    if (job.action === 'delete') {
      await db.transaction(async (tx) => {
        await deleteTracks(tx, job.libraryId, [job.path]);
        await settleFile(tx, job.jobId, job.path, 'done');
      });
    } else {
      await importFile(deps, job);
    }
  } catch (error) {
    if (!(error instanceof PermanentFileError)) throw error;
    deps.log.info(
      { jobId: job.jobId, path: job.path, stage: error.stage, reason: error.message },
      'file not importable',
    );
    await db.transaction(async (tx) => {
      await recordError(tx, job.jobId, job.path, error.stage, error.message);
      await settleFile(tx, job.jobId, job.path, 'failed');
    });
  }
  const counters = await finishIfDone(db, job.jobId);
  if (counters) deps.progress.publish(counters);
}

async function importFile(deps: FileDeps, job: FileJob): Promise<void> {
  let info;
  try {
    info = await stat(job.path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    // Deleted since the scan: the catalog follows the disk.
    await deps.db.transaction(async (tx) => {
      await deleteTracks(tx, job.libraryId, [job.path]);
      await settleFile(tx, job.jobId, job.path, 'skipped');
    });
    return;
  }
  const [contentHash, meta] = deps.sequential
    ? [await hashFile(job.path), await readMetadata(job.path)]
    : await Promise.all([hashFile(job.path), readMetadata(job.path)]);
  await deps.db.transaction(async (tx) => {
    await upsertTrack(tx, {
      libraryId: job.libraryId,
      path: job.path,
      size: info.size,
      mtimeMs: info.mtimeMs,
      contentHash,
      meta,
    });
    await settleFile(tx, job.jobId, job.path, 'done');
  });
}
