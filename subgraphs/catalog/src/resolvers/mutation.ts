import { eq, inArray, or, type SQL } from 'drizzle-orm';
import type { Context } from '../context.ts';
import { libraries, tracks } from '../db/schema.ts';
import { badInput, userError } from '../errors.ts';
import { overlapping, resolveLibraryPath } from '../library-path.ts';
import { requestScan, ScanNotQueuedError } from '../store/scan-requests.ts';
import { requireId } from './ids.ts';

const notFound = (id: string) => userError('NOT_FOUND', `No library with id ${id}`);

export const Mutation = {
  async addLibrary(_: unknown, { path, name }: { path: string; name: string }, ctx: Context) {
    const trimmed = name.trim();
    if (trimmed.length < 1 || trimmed.length > 200) throw badInput('"name" must be 1 to 200 characters');
    const real = await resolveLibraryPath(path, ctx.allowedRoots);
    const existing = await ctx.db.select({ path: libraries.path }).from(libraries);
    if (existing.some((l) => l.path === real)) {
      throw userError('LIBRARY_ALREADY_EXISTS', `A library already exists at ${real}`);
    }
    const other = overlapping(
      real,
      existing.map((l) => l.path),
    );
    if (other) throw userError('LIBRARY_OVERLAPS', `${real} overlaps the existing library at ${other}`);
    // The unique index on path settles a race between two identical requests.
    const [row] = await ctx.db
      .insert(libraries)
      .values({ name: trimmed, path: real })
      .onConflictDoNothing()
      .returning();
    if (!row) throw userError('LIBRARY_ALREADY_EXISTS', `A library already exists at ${real}`);
    ctx.log.info({ libraryId: row.id, path: real }, 'library added');
    return row;
  },

  async removeLibrary(_: unknown, { id }: { id: string }, ctx: Context) {
    requireId('id', id);
    // Tracks, jobs and errors go with it (ON DELETE CASCADE), in one statement.
    const [row] = await ctx.db.delete(libraries).where(eq(libraries.id, id)).returning({ id: libraries.id });
    if (!row) throw notFound(id);
    ctx.log.info({ libraryId: id }, 'library removed');
    return row.id;
  },

  async scanLibrary(_: unknown, { id, mode }: { id: string; mode: 'FULL' | 'INCREMENTAL' }, ctx: Context) {
    requireId('id', id);
    const library = await ctx.loaders.libraryById.load(id);
    if (!library) throw notFound(id);
    let job;
    try {
      job = await requestScan(ctx.db, ctx.publisher, id, mode);
    } catch (error) {
      if (!(error instanceof ScanNotQueuedError)) throw error;
      ctx.log.error({ err: error.cause, jobId: error.jobId }, 'scan request not queued');
      throw userError('QUEUE_UNAVAILABLE', 'The scan could not be queued; try again when the queue is back', {
        jobId: error.jobId,
      });
    }
    ctx.log.info({ jobId: job.id, libraryId: id, mode }, 'scan queued');
    return job;
  },

  /** Re-queues enrichment for tracks, an album and/or a library (the union); returns how many were queued. */
  async enrichTracks(
    _: unknown,
    args: { trackIds?: readonly string[] | null; albumId?: string | null; libraryId?: string | null },
    ctx: Context,
  ) {
    const trackIds = args.trackIds ?? [];
    if (trackIds.length === 0 && !args.albumId && !args.libraryId)
      throw badInput('give "trackIds", "albumId" or "libraryId"');
    if (trackIds.length > 1000) throw badInput('"trackIds" takes at most 1000 ids');
    for (const id of trackIds) requireId('trackIds', id);
    requireId('albumId', args.albumId);
    requireId('libraryId', args.libraryId);
    if (!ctx.enrichment) throw userError('QUEUE_UNAVAILABLE', 'Enrichment is not configured on this server');
    const where: SQL[] = [];
    if (trackIds.length > 0) where.push(inArray(tracks.id, [...trackIds]));
    if (args.albumId) where.push(eq(tracks.albumId, args.albumId));
    if (args.libraryId) where.push(eq(tracks.libraryId, args.libraryId));
    const rows = await ctx.db
      .update(tracks)
      .set({ enrichmentStatus: 'pending' })
      .where(or(...where))
      .returning({ trackId: tracks.id, path: tracks.filePath });
    if (rows.length === 0) return 0;
    try {
      await ctx.enrichment.publish(rows);
    } catch (error) {
      ctx.log.error({ err: error, tracks: rows.length }, 'enrichment not queued');
      throw userError(
        'QUEUE_UNAVAILABLE',
        'The tracks could not be queued; try again when the queue is back',
      );
    }
    ctx.log.info({ tracks: rows.length }, 'enrichment re-queued');
    return rows.length;
  },
};
