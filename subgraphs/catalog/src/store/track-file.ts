import { eq } from 'drizzle-orm';
import { isTrackId, realPathInside, type TrackFile } from '@tonegraph/streaming';
import type { Db } from '../db/client.ts';
import { libraries, tracks } from '../db/schema.ts';

/**
 * The file to stream for a track: its real path (symlinks resolved), size,
 * mtime, format, bitrate and duration. Null for an id no track can have (no
 * query is sent), an unknown track, or a file whose real path is not inside
 * its library's real root (a symlink pointing out of the library, a file gone).
 */
export async function trackFile(db: Db, trackId: string): Promise<TrackFile | null> {
  if (!isTrackId(trackId)) return null;
  const [row] = await db
    .select({
      path: tracks.filePath,
      size: tracks.fileSize,
      mtime: tracks.fileMtime,
      format: tracks.format,
      bitrate: tracks.bitrate,
      duration: tracks.duration,
      root: libraries.path,
    })
    .from(tracks)
    .innerJoin(libraries, eq(libraries.id, tracks.libraryId))
    .where(eq(tracks.id, trackId));
  if (!row) return null;
  const real = await realPathInside(row.path, row.root);
  if (real === null) return null;
  return {
    trackId: trackId.toLowerCase(),
    path: real,
    size: row.size,
    mtime: row.mtime === null ? null : new Date(row.mtime),
    format: row.format,
    bitrate: row.bitrate,
    duration: row.duration,
  };
}
