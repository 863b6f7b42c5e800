import { eq, sql } from 'drizzle-orm';
import { importErrors, importJobFiles, importJobs } from '../db/schema.ts';
import type { CatalogTx } from './executor.ts';
import type { FileState } from './jobs.ts';

// The job ledger (`import_job_files`): each planned file moves from `pending`
// once, and its job's counters move with it in the same transaction, so they
// stay exact under concurrency and redelivery. Counter rows are updated in
// job order, so concurrent settles cannot deadlock.

/** The `(job_id, path, state)` rows of a `values` list. */
const settlesOf = (files: readonly { jobId: string; path: string; state: string }[]) =>
  sql.join(
    files.map((f) => sql`(${f.jobId}::uuid, ${f.path}::text, ${f.state}::text)`),
    sql`, `,
  );

/**
 * Moves files of jobs from pending to their final state and bumps each job's
 * counters, in the caller's transaction. Files already settled (a
 * redelivery) change nothing. Returns how many files this call counted.
 */
export async function settleFiles(
  tx: CatalogTx,
  files: readonly { jobId: string; path: string; state: Exclude<FileState, 'pending'> }[],
): Promise<number> {
  if (files.length === 0) return 0;
  const input = settlesOf(files);
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
  tx: CatalogTx,
  jobId: string,
  path: string,
  state: Exclude<FileState, 'pending'>,
): Promise<boolean> {
  return (await settleFiles(tx, [{ jobId, path, state }])) === 1;
}

/** Records why a file could not be imported; a redelivered failure adds nothing. */
export async function recordError(
  tx: CatalogTx,
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
 * Marks committed files as waiting for their audio analysis, in the
 * caller's transaction; files already marked (a redelivery) count once.
 */
export async function markAnalysisPending(
  tx: CatalogTx,
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
  tx: CatalogTx,
  files: readonly { jobId: string; path: string; state: 'done' | 'failed' }[],
): Promise<number> {
  if (files.length === 0) return 0;
  const input = settlesOf(files);
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
