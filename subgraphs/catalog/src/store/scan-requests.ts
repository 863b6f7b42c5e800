import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { importJobs, type ImportJobRow } from '../db/schema.ts';
import type { ScanPublisher } from '@tonegraph/queues';

/** The broker refused a scan request: the job it was for is FAILED. */
export class ScanNotQueuedError extends Error {
  override name = 'ScanNotQueuedError';
  /** The import job created for the request, now FAILED. */
  readonly jobId: string;
  constructor(jobId: string, cause: unknown) {
    super(
      `scan request of job ${jobId} not queued: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
    this.jobId = jobId;
  }
}

/**
 * Requests a scan of a library: creates its import job (QUEUED) and
 * publishes `{ jobId, libraryId, mode, requestedAt }` through `publisher`,
 * resolving once the broker has confirmed it. A request the broker refuses
 * leaves no job queued forever: the job is marked FAILED and
 * {@link ScanNotQueuedError} (with the job id and the broker's error as
 * cause) is thrown. The one way a scan is requested — by the `scanLibrary`
 * mutation, ingest's watcher and the `tonegraph` CLI. The library's
 * existence is the caller's to check (a job of an unknown library fails its
 * foreign key).
 */
export async function requestScan(
  db: Db,
  publisher: Pick<ScanPublisher, 'publish'>,
  libraryId: string,
  mode: 'FULL' | 'INCREMENTAL' = 'INCREMENTAL',
): Promise<ImportJobRow> {
  const [job] = await db.insert(importJobs).values({ libraryId, mode }).returning();
  if (!job) throw new Error('insert returned no import job');
  try {
    await publisher.publish({ jobId: job.id, libraryId, mode, requestedAt: job.createdAt });
  } catch (error) {
    await db
      .update(importJobs)
      .set({ status: 'FAILED', finishedAt: sql`now()` })
      .where(eq(importJobs.id, job.id));
    throw new ScanNotQueuedError(job.id, error);
  }
  return job;
}

/** Whether the library has an import job queued or running (the watcher requests no second one). */
export async function hasActiveScan(db: Db, libraryId: string): Promise<boolean> {
  const [active] = await db
    .select({ id: importJobs.id })
    .from(importJobs)
    .where(and(eq(importJobs.libraryId, libraryId), inArray(importJobs.status, ['QUEUED', 'RUNNING'])))
    .limit(1);
  return active !== undefined;
}
