import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '@tonegraph/catalog/db';
import { albums, artists, trackArtists, tracks } from '@tonegraph/catalog/schema';
import type { TrackMetadata } from '../metadata/extract.ts';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** A file as found on disk, with what was read from it. */
export interface FileFacts {
  readonly libraryId: string;
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly contentHash: string;
  readonly meta: TrackMetadata;
}

/**
 * Upserts artists by name and returns their ids. Names are sorted so that
 * concurrent transactions lock rows in the same order and cannot deadlock.
 */
async function upsertArtists(tx: Tx, names: readonly string[]): Promise<Map<string, string>> {
  const unique = [...new Set(names)].sort();
  if (unique.length === 0) return new Map();
  const rows = await tx
    .insert(artists)
    .values(unique.map((name) => ({ name, sortName: name })))
    .onConflictDoUpdate({ target: artists.name, set: { name: sql`excluded.name` } })
    .returning({ id: artists.id, name: artists.name });
  return new Map(rows.map((r) => [r.name, r.id]));
}

async function upsertAlbum(
  tx: Tx,
  meta: TrackMetadata,
  albumArtistId: string | null,
): Promise<string | null> {
  if (!meta.album) return null;
  const [row] = await tx
    .insert(albums)
    .values({
      title: meta.album,
      albumArtistId,
      year: meta.year,
      compilation: meta.compilation,
      genres: [...meta.genres],
      musicbrainzReleaseId: meta.musicbrainz.releaseId,
    })
    .onConflictDoUpdate({
      target: [albums.title, albums.albumArtistId],
      set: {
        year: sql`coalesce(${albums.year}, excluded.year)`,
        compilation: sql`${albums.compilation} or excluded.compilation`,
        musicbrainzReleaseId: sql`coalesce(${albums.musicbrainzReleaseId}, excluded.musicbrainz_release_id)`,
        genres: sql`(select array(select distinct unnest(${albums.genres} || excluded.genres)))`,
      },
    })
    .returning({ id: albums.id });
  return row?.id ?? null;
}

/**
 * Writes one file's track, artists, album and credits in the caller's
 * transaction. Idempotent: the same facts twice leave the catalog as once.
 * Returns the track id.
 */
export async function upsertTrack(tx: Tx, facts: FileFacts): Promise<string> {
  const { meta } = facts;
  const mains = meta.artists.filter((a) => a.role === 'MAIN');
  // A compilation's album belongs to no artist; otherwise to the tagged album artist or the first main artist.
  const albumArtistName = meta.compilation ? null : (meta.albumArtist ?? mains[0]?.name ?? null);
  const ids = await upsertArtists(tx, [
    ...meta.artists.map((a) => a.name),
    ...(albumArtistName ? [albumArtistName] : []),
  ]);
  const albumArtistId = albumArtistName ? (ids.get(albumArtistName) ?? null) : null;
  const albumId = await upsertAlbum(tx, meta, albumArtistId);
  const values = {
    libraryId: facts.libraryId,
    albumId,
    albumArtistId,
    title: meta.title,
    discNumber: meta.discNumber,
    trackNumber: meta.trackNumber,
    duration: meta.format.duration,
    genres: [...meta.genres],
    year: meta.year,
    isrc: meta.isrc,
    musicbrainzRecordingId: meta.musicbrainz.recordingId,
    musicbrainzTrackId: meta.musicbrainz.trackId,
    filePath: facts.path,
    fileSize: facts.size,
    format: meta.format.format,
    codec: meta.format.codec,
    container: meta.format.container,
    bitrate: meta.format.bitrate,
    sampleRate: meta.format.sampleRate,
    channels: meta.format.channels,
    bitsPerSample: meta.format.bitsPerSample,
    lossless: meta.format.lossless,
    contentHash: facts.contentHash,
    fileMtime: new Date(Math.floor(facts.mtimeMs)).toISOString(),
  };
  const { libraryId: _l, filePath: _p, ...changes } = values;
  const [track] = await tx
    .insert(tracks)
    .values(values)
    .onConflictDoUpdate({
      target: [tracks.libraryId, tracks.filePath],
      set: { ...changes, updatedAt: sql`now()` },
    })
    .returning({ id: tracks.id });
  const trackId = track!.id;
  await tx.delete(trackArtists).where(eq(trackArtists.trackId, trackId));
  if (meta.artists.length > 0) {
    await tx
      .insert(trackArtists)
      .values(
        meta.artists.map((a, position) => ({ trackId, artistId: ids.get(a.name)!, role: a.role, position })),
      );
  }
  return trackId;
}

/** Removes the tracks of deleted files; their artists and albums stay. */
export async function deleteTracks(tx: Tx, libraryId: string, paths: readonly string[]): Promise<number> {
  if (paths.length === 0) return 0;
  const rows = await tx
    .delete(tracks)
    .where(and(eq(tracks.libraryId, libraryId), inArray(tracks.filePath, [...paths])))
    .returning({ id: tracks.id });
  return rows.length;
}

/** Points a track at the file's new path: a moved file keeps its id. */
export async function moveTrack(
  tx: Tx,
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
