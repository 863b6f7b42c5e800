import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '@tonegraph/catalog/db';
import type { ImportProgressEvent } from '@tonegraph/topics';
import { importErrors, importJobFiles, importJobs, libraries } from '@tonegraph/catalog/schema';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
type Executor = Db | Tx;

export type FileAction = 'upsert' | 'delete' | 'move';
export type FileState = 'pending' | 'done' | 'skipped' | 'failed';

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
 * Moves files of jobs from pending to their final state and bumps each job's
 * counters, in the caller's transaction. Files already settled (a
 * redelivery) change nothing. Returns how many files this call counted.
 */
export async function settleFiles(
  tx: Tx,
  files: readonly { jobId: string; path: string; state: Exclude<FileState, 'pending'> }[],
): Promise<number> {
  if (files.length === 0) return 0;
  const input = sql.join(
    files.map((f) => sql`(${f.jobId}::uuid, ${f.path}::text, ${f.state}::text)`),
    sql`, `,
  );
  const changed = await tx.execute<{ job_id: string; state: string }>(sql`
    update ${importJobFiles} f set state = i.state, updated_at = now()
    from (values ${input}) as i(job_id, path, state)
    where f.job_id = i.job_id and f.path = i.path and f.state = 'pending'
    returning f.job_id, f.state`);
  const perJob = new Map<string, { processed: number; failed: number; skipped: number }>();
  for (const row of changed) {
    const c = perJob.get(row.job_id) ?? { processed: 0, failed: 0, skipped: 0 };
    c.processed++;
    if (row.state === 'failed') c.failed++;
    if (row.state === 'skipped') c.skipped++;
    perJob.set(row.job_id, c);
  }
  for (const [jobId, c] of [...perJob].sort()) {
    await tx
      .update(importJobs)
      .set({
        processed: sql`${importJobs.processed} + ${c.processed}`,
        failed: sql`${importJobs.failed} + ${c.failed}`,
        skipped: sql`${importJobs.skipped} + ${c.skipped}`,
      })
      .where(eq(importJobs.id, jobId));
  }
  return changed.length;
}

/** {@link settleFiles} for one file; returns whether this call counted it. */
export async function settleFile(
  tx: Tx,
  jobId: string,
  path: string,
  state: Exclude<FileState, 'pending'>,
): Promise<boolean> {
  return (await settleFiles(tx, [{ jobId, path, state }])) === 1;
}

/** Records why a file could not be imported; a redelivered failure adds nothing. */
export async function recordError(
  tx: Tx,
  jobId: string,
  path: string,
  stage: string,
  reason: string,
): Promise<void> {
  await tx
    .insert(importErrors)
    .values({ jobId, path, stage, reason: reason.slice(0, 2000) })
    .onConflictDoNothing();
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

/**
 * Marks committed files as waiting for their audio analysis, in the
 * caller's transaction; files already marked (a redelivery) count once.
 */
export async function markAnalysisPending(
  tx: Tx,
  files: readonly { jobId: string; path: string }[],
): Promise<void> {
  if (files.length === 0) return;
  const input = sql.join(
    files.map((f) => sql`(${f.jobId}::uuid, ${f.path}::text)`),
    sql`, `,
  );
  const changed = await tx.execute<{ job_id: string }>(sql`
    update ${importJobFiles} f set analysis_state = 'pending'
    from (values ${input}) as i(job_id, path)
    where f.job_id = i.job_id and f.path = i.path and f.analysis_state is null
    returning f.job_id`);
  const perJob = new Map<string, number>();
  for (const row of changed) perJob.set(row.job_id, (perJob.get(row.job_id) ?? 0) + 1);
  for (const [jobId, n] of [...perJob].sort())
    await tx
      .update(importJobs)
      .set({ analysisTotal: sql`${importJobs.analysisTotal} + ${n}` })
      .where(eq(importJobs.id, jobId));
}

/**
 * Ends files' analyses in their jobs' ledgers, in one statement plus one
 * counter update per job (in job order, so concurrent settles cannot
 * deadlock); a file counts once however often it is settled. Returns how
 * many this call counted.
 */
export async function settleAnalyses(
  tx: Tx,
  files: readonly { jobId: string; path: string; state: 'done' | 'failed' }[],
): Promise<number> {
  if (files.length === 0) return 0;
  const input = sql.join(
    files.map((f) => sql`(${f.jobId}::uuid, ${f.path}::text, ${f.state}::text)`),
    sql`, `,
  );
  const changed = await tx.execute<{ job_id: string; state: string }>(sql`
    update ${importJobFiles} f set analysis_state = i.state
    from (values ${input}) as i(job_id, path, state)
    where f.job_id = i.job_id and f.path = i.path and f.analysis_state = 'pending'
    returning f.job_id, f.analysis_state as state`);
  const perJob = new Map<string, { done: number; failed: number }>();
  for (const row of changed) {
    const c = perJob.get(row.job_id) ?? { done: 0, failed: 0 };
    if (row.state === 'failed') c.failed++;
    else c.done++;
    perJob.set(row.job_id, c);
  }
  for (const [jobId, c] of [...perJob].sort())
    await tx
      .update(importJobs)
      .set({
        analysisDone: sql`${importJobs.analysisDone} + ${c.done}`,
        analysisFailed: sql`${importJobs.analysisFailed} + ${c.failed}`,
      })
      .where(eq(importJobs.id, jobId));
  return changed.length;
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
