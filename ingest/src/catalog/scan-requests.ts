import { eq, sql } from 'drizzle-orm';
import type { Db } from '@tonegraph/catalog/db';
import type { ScanPublisher } from '@tonegraph/queues';
import { importJobs } from '@tonegraph/catalog/schema';

/**
 * Creates an import job and queues its scan, exactly as the catalog's
 * `scanLibrary` mutation does; a job whose request the broker refused is
 * marked FAILED rather than left queued forever. Returns the job id.
 */
export async function requestScan(
  db: Db,
  publisher: ScanPublisher,
  libraryId: string,
  mode: 'FULL' | 'INCREMENTAL' = 'INCREMENTAL',
): Promise<string> {
  const [job] = await db.insert(importJobs).values({ libraryId, mode }).returning();
  if (!job) throw new Error('insert returned no import job');
  try {
    await publisher.publish({ jobId: job.id, libraryId, mode, requestedAt: job.createdAt });
  } catch (error) {
    await db
      .update(importJobs)
      .set({ status: 'FAILED', finishedAt: sql`now()` })
      .where(eq(importJobs.id, job.id));
    throw error;
  }
  return job.id;
}
