import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { tracks } from '../db/schema.ts';
import type { CatalogTx } from './executor.ts';

/** A library's track as a scan compares it with the file on disk. */
export interface KnownFile {
  readonly id: string;
  readonly path: string;
  readonly size: number;
  /** ISO timestamp of the file's mtime when it was read; null if never recorded. */
  readonly mtime: string | null;
  /** SHA-256 of the content, lowercase hex; null if never recorded. */
  readonly hash: string | null;
  readonly albumId: string | null;
}

/** Every track of a library with its file's path, size, mtime and content hash: what a scan compares the disk with. */
export async function knownFiles(db: Db, libraryId: string): Promise<KnownFile[]> {
  return db
    .select({
      id: tracks.id,
      path: tracks.filePath,
      size: tracks.fileSize,
      mtime: tracks.fileMtime,
      hash: tracks.contentHash,
      albumId: tracks.albumId,
    })
    .from(tracks)
    .where(eq(tracks.libraryId, libraryId));
}

/** Removes the tracks of deleted files (their artists and albums stay); returns their ids. */
export async function deleteTracks(
  tx: CatalogTx,
  libraryId: string,
  paths: readonly string[],
): Promise<string[]> {
  if (paths.length === 0) return [];
  const rows = await tx
    .delete(tracks)
    .where(and(eq(tracks.libraryId, libraryId), inArray(tracks.filePath, [...paths])))
    .returning({ id: tracks.id });
  return rows.map((r) => r.id);
}

/** Points a track at the file's new path: a moved file keeps its id. */
export async function moveTrack(
  tx: CatalogTx,
  trackId: string,
  to: { path: string; size: number; mtimeMs: number },
): Promise<void> {
  await tx
    .update(tracks)
    .set({
      filePath: to.path,
      fileSize: to.size,
      fileMtime: new Date(Math.floor(to.mtimeMs)).toISOString(),
      updatedAt: sql`now()`,
    })
    .where(eq(tracks.id, trackId));
}

/** Marks tracks as queued for enrichment (in the commit that queues them). */
export async function markEnrichmentPending(tx: CatalogTx, trackIds: readonly string[]): Promise<void> {
  if (trackIds.length === 0) return;
  await tx
    .update(tracks)
    .set({ enrichmentStatus: 'pending' })
    .where(inArray(tracks.id, [...trackIds]));
}
