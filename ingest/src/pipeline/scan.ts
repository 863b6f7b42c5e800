import type { Db } from '@tonegraph/catalog/db';
import {
  failJob,
  findLibrary,
  finishIfDone,
  moveTrack,
  recordError,
  setLibraryStatus,
  startJob,
  type PlannedFile,
} from '@tonegraph/catalog/store';
import type { Logger } from '@tonegraph/logger';
import type { ProgressPublisher } from '../progress.ts';
import type { FileJob, ScanRequest } from '@tonegraph/queues';
import { LibraryOfflineError, reconcile } from '../scanner/reconcile.ts';
import { MAX_PATH_BYTES, REPORTABLE, type SkipReason } from '../scanner/walk.ts';

const SKIP_REASONS: Record<SkipReason, string> = {
  'symlink-loop': 'symbolic link loop: the folder is already part of the library',
  unreadable: 'cannot be read (permissions or I/O error)',
  'broken-link': 'symbolic link to a file that does not exist',
  'invalid-name': 'file name is not valid UTF-8; rename the file to import it',
  'path-too-long': `path is longer than ${MAX_PATH_BYTES} bytes, the most the catalog can store; shorten its folder or file names to import it`,
  hidden: 'hidden',
  'not-audio': 'not an audio file',
  special: 'not a regular file',
};

/** A path the catalog can store: one that is too long keeps its start and its end. */
function storablePath(p: string): string {
  if (Buffer.byteLength(p) <= MAX_PATH_BYTES) return p;
  const bytes = Buffer.from(p);
  const keep = Math.floor(MAX_PATH_BYTES / 2) - 16;
  return `${bytes.subarray(0, keep).toString()}…${bytes.subarray(-keep).toString()}`;
}

export interface ScanDeps {
  readonly db: Db;
  readonly progress: ProgressPublisher;
  readonly log: Logger;
  /** Queues file jobs; resolves once the broker has them all. */
  readonly enqueue: (jobs: readonly FileJob[]) => Promise<void>;
  /** With analysis on: queues the analyses that unchanged files lack (`createAnalysisCatchUp`). */
  readonly catchUpAnalysis?:
    ((jobId: string, libraryId: string, paths: readonly string[]) => Promise<number>) | undefined;
}

/**
 * Handles one scan request: reconciles the library with the disk, records
 * the plan, applies moves, and queues a job per file to read or delete. Safe
 * to run twice for the same request.
 */
export async function handleScan(deps: ScanDeps, request: ScanRequest): Promise<void> {
  const { db } = deps;
  const log = deps.log.child({ jobId: request.jobId, libraryId: request.libraryId });
  const library = await findLibrary(db, request.libraryId);
  if (!library) {
    log.warn('scan request for a library that no longer exists; dropped');
    return;
  }
  let plan;
  try {
    plan = await reconcile(db, library.id, library.path, request.mode);
  } catch (error) {
    if (!(error instanceof LibraryOfflineError)) throw error;
    log.warn({ path: library.path, reason: error.message }, 'library offline; its tracks are kept');
    await setLibraryStatus(db, library.id, 'OFFLINE');
    await failJob(db, request.jobId, library.path, error.message);
    const counters = await finishIfDone(db, request.jobId);
    if (counters) deps.progress.publish(counters);
    return;
  }
  for (const s of plan.skipped) log.debug({ path: s.path, reason: s.reason }, 'entry skipped');
  const reportable = plan.skipped.filter((s) => REPORTABLE.has(s.reason));
  if (reportable.length > 0) {
    await db.transaction(async (tx) => {
      for (const s of reportable)
        await recordError(tx, request.jobId, storablePath(s.path), 'scan', SKIP_REASONS[s.reason]);
    });
  }
  if (plan.moves.length > 0) {
    await db.transaction(async (tx) => {
      for (const m of plan.moves) await moveTrack(tx, m.trackId, m.to);
    });
  }
  const planned: PlannedFile[] = [
    ...plan.moves.map((m) => ({ path: m.to.path, action: 'move' as const, state: 'done' as const })),
    ...plan.unchanged.map((path) => ({ path, action: 'upsert' as const, state: 'skipped' as const })),
    ...plan.upserts.map((f) => ({ path: f.path, action: 'upsert' as const, state: 'pending' as const })),
    ...plan.deletes.map((path) => ({ path, action: 'delete' as const, state: 'pending' as const })),
  ];
  await setLibraryStatus(db, library.id, 'SCANNING');
  const pending = await startJob(db, request.jobId, planned);
  // Before the job can finish: an unchanged file may still lack its analysis.
  const analysesDue = deps.catchUpAnalysis
    ? await deps.catchUpAnalysis(request.jobId, library.id, plan.unchanged)
    : 0;
  log.info(
    {
      analysesDue,
      upserts: plan.upserts.length,
      deletes: plan.deletes.length,
      moves: plan.moves.length,
      unchanged: plan.unchanged.length,
      skippedEntries: plan.skipped.length,
    },
    'scan planned',
  );
  await deps.enqueue(
    pending.map((p) => ({
      jobId: request.jobId,
      libraryId: library.id,
      path: p.path,
      action: p.action === 'delete' ? 'delete' : 'upsert',
    })),
  );
  const counters = await finishIfDone(db, request.jobId);
  if (counters) deps.progress.publish(counters);
}
