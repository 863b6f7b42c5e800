import { and, eq, sql } from 'drizzle-orm';
import type { ImportProgressEvent } from '@tonegraph/topics';
import type { Db } from '../db/client.ts';
import { importJobFiles, importJobs, libraries } from '../db/schema.ts';
import type { Executor } from './executor.ts';
import { recordError } from './ledger.ts';

/** What a scan plans for a file: read it (upsert), delete its track, or move its track to it. */
export type FileAction = 'upsert' | 'delete' | 'move';
/** Where a planned file is in its job's ledger; it leaves `pending` once. */
export type FileState = 'pending' | 'done' | 'skipped' | 'failed';

/** One file of a scan's plan, as the job ledger records it. */
export interface PlannedFile {
  readonly path: string;
  readonly action: FileAction;
  readonly state: FileState;
}

/** A job's counters: an import progress event without its timestamp. */
export type JobCounters = Omit<ImportProgressEvent, 'at'>;

const counterColumns = {
  jobId: importJobs.id,
  libraryId: importJobs.libraryId,
  status: importJobs.status,
  total: importJobs.total,
  processed: importJobs.processed,
  failed: importJobs.failed,
  skipped: importJobs.skipped,
  analysisTotal: importJobs.analysisTotal,
  analysisDone: importJobs.analysisDone,
  analysisFailed: importJobs.analysisFailed,
};

type CounterRow = {
  jobId: string;
  libraryId: string;
  status: string;
  total: number;
  processed: number;
  failed: number;
  skipped: number;
  analysisTotal: number;
  analysisDone: number;
  analysisFailed: number;
};

/** The event form of a job's counter row. */
function toCounters(row: CounterRow): JobCounters {
  const { analysisTotal, analysisDone, analysisFailed, ...rest } = row;
  return {
    ...rest,
    analysis: { total: analysisTotal, processed: analysisDone + analysisFailed, failed: analysisFailed },
  };
}

/**
 * Records a scan's plan and starts the job: the ledger rows (idempotent, so a
 * redelivered scan request plans nothing twice) and counters recomputed from
 * the ledger. Returns the paths still pending, to be queued.
 */
export async function startJob(
  db: Db,
  jobId: string,
  plan: readonly PlannedFile[],
): Promise<{ path: string; action: FileAction }[]> {
  return db.transaction(async (tx) => {
    for (let i = 0; i < plan.length; i += 5000) {
      await tx
        .insert(importJobFiles)
        .values(
          plan.slice(i, i + 5000).map((p) => ({ jobId, path: p.path, action: p.action, state: p.state })),
        )
        .onConflictDoNothing();
    }
    await tx.execute(sql`
      update ${importJobs} j set
        status = case when j.status = 'QUEUED' then 'RUNNING' else j.status end,
        started_at = coalesce(j.started_at, now()),
        total = c.total, processed = c.processed, failed = c.failed, skipped = c.skipped
      from (select count(*)::int as total,
                   count(*) filter (where state <> 'pending')::int as processed,
                   count(*) filter (where state = 'failed')::int as failed,
                   count(*) filter (where state = 'skipped')::int as skipped
            from ${importJobFiles} where job_id = ${jobId}) c
      where j.id = ${jobId}`);
    const pending = await tx
      .select({ path: importJobFiles.path, action: importJobFiles.action })
      .from(importJobFiles)
      .where(and(eq(importJobFiles.jobId, jobId), eq(importJobFiles.state, 'pending')));
    return pending.map((p) => ({ path: p.path, action: p.action as FileAction }));
  });
}

/**
 * Completes the job once every planned file is settled and every analysis it
 * waits for has ended; returns the counters either way.
 */
export async function finishIfDone(db: Executor, jobId: string): Promise<JobCounters | undefined> {
  // One transaction: nobody sees the job completed while its library still says SCANNING.
  return db.transaction(async (tx) => {
    const [done] = await tx
      .update(importJobs)
      .set({ status: 'COMPLETED', finishedAt: sql`now()` })
      .where(
        and(
          eq(importJobs.id, jobId),
          eq(importJobs.status, 'RUNNING'),
          sql`${importJobs.processed} >= ${importJobs.total}`,
          sql`${importJobs.analysisDone} + ${importJobs.analysisFailed} >= ${importJobs.analysisTotal}`,
        ),
      )
      .returning(counterColumns);
    if (done) {
      await tx
        .update(libraries)
        .set({ status: 'ONLINE', lastScannedAt: sql`now()` })
        .where(eq(libraries.id, done.libraryId));
      return toCounters(done);
    }
    const [row] = await tx.select(counterColumns).from(importJobs).where(eq(importJobs.id, jobId));
    return row && toCounters(row);
  });
}

/** Ends a job that cannot run at all (e.g. its root is gone), with the reason as an ImportError. */
export async function failJob(db: Db, jobId: string, path: string, reason: string): Promise<void> {
  await db.transaction(async (tx) => {
    await recordError(tx, jobId, path, 'scan', reason);
    await tx
      .update(importJobs)
      .set({ status: 'FAILED', finishedAt: sql`now()` })
      .where(eq(importJobs.id, jobId));
  });
}
