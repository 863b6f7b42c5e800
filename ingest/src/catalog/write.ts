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
async function upsertArtists(tx: Tx, names: Iterable<string>): Promise<Map<string, string>> {
  const unique = [...new Set(names)].sort();
  if (unique.length === 0) return new Map();
  const rows = await tx
    .insert(artists)
    .values(unique.map((name) => ({ name, sortName: name })))
    .onConflictDoUpdate({ target: artists.name, set: { name: sql`excluded.name` } })
    .returning({ id: artists.id, name: artists.name });
  return new Map(rows.map((r) => [r.name, r.id]));
}

const albumKey = (title: string, artistId: string | null) => `${title}\0${artistId ?? ''}`;

/** Upserts the albums of a batch, one row per (title, album artist), in a stable order. */
async function upsertAlbums(
  tx: Tx,
  wanted: readonly { meta: TrackMetadata; albumArtistId: string | null }[],
): Promise<Map<string, string>> {
  const rows = new Map<string, typeof albums.$inferInsert>();
  for (const { meta, albumArtistId } of wanted) {
    if (!meta.album) continue;
    const key = albumKey(meta.album, albumArtistId);
    const prev = rows.get(key);
    // One row per key: ON CONFLICT cannot touch the same row twice in one statement.
    rows.set(key, {
      title: meta.album,
      albumArtistId,
      year: prev?.year ?? meta.year,
      compilation: (prev?.compilation ?? false) || meta.compilation,
      genres: [...new Set([...(prev?.genres ?? []), ...meta.genres])],
      musicbrainzReleaseId: prev?.musicbrainzReleaseId ?? meta.musicbrainz.releaseId,
    });
  }
  if (rows.size === 0) return new Map();
  const values = [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  const saved = await tx
    .insert(albums)
    .values(values)
    .onConflictDoUpdate({
      target: [albums.title, albums.albumArtistId],
      set: {
        year: sql`coalesce(${albums.year}, excluded.year)`,
        compilation: sql`${albums.compilation} or excluded.compilation`,
        musicbrainzReleaseId: sql`coalesce(${albums.musicbrainzReleaseId}, excluded.musicbrainz_release_id)`,
        genres: sql`(select array(select distinct unnest(${albums.genres} || excluded.genres)))`,
      },
    })
    .returning({ id: albums.id, title: albums.title, albumArtistId: albums.albumArtistId });
  return new Map(saved.map((r) => [albumKey(r.title, r.albumArtistId), r.id]));
}

/** A compilation's album belongs to no artist; otherwise to the tagged album artist or the first main artist. */
const albumArtistOf = (meta: TrackMetadata): string | null =>
  meta.compilation ? null : (meta.albumArtist ?? meta.artists.find((a) => a.role === 'MAIN')?.name ?? null);

/**
 * Writes the tracks of a batch of files with their artists, albums and
 * credits in the caller's transaction: a constant number of statements per
 * batch. Idempotent: the same facts twice leave the catalog as once.
 * Returns the track id of each file's path.
 */
/** A committed track, by the path it was read from. */
export interface SavedTrack {
  readonly id: string;
  readonly albumId: string | null;
}

export async function upsertTracks(tx: Tx, batch: readonly FileFacts[]): Promise<Map<string, SavedTrack>> {
  // The last facts for a path win (a redelivered message may share a batch with its original).
  const byPath = new Map(batch.map((f) => [`${f.libraryId}\0${f.path}`, f]));
  const facts = [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const artistIds = await upsertArtists(
    tx,
    facts.flatMap((f) => [
      ...f.meta.artists.map((a) => a.name),
      ...(albumArtistOf(f.meta) ? [albumArtistOf(f.meta)!] : []),
    ]),
  );
  const withArtist = facts.map((f) => {
    const name = albumArtistOf(f.meta);
    return { facts: f, meta: f.meta, albumArtistId: name ? (artistIds.get(name) ?? null) : null };
  });
  const albumIds = await upsertAlbums(tx, withArtist);
  const rows = withArtist.map(({ facts: f, meta, albumArtistId }) => ({
    libraryId: f.libraryId,
    albumId: meta.album ? (albumIds.get(albumKey(meta.album, albumArtistId)) ?? null) : null,
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
    filePath: f.path,
    fileSize: f.size,
    format: meta.format.format,
    codec: meta.format.codec,
    container: meta.format.container,
    bitrate: meta.format.bitrate,
    sampleRate: meta.format.sampleRate,
    channels: meta.format.channels,
    bitsPerSample: meta.format.bitsPerSample,
    lossless: meta.format.lossless,
    contentHash: f.contentHash,
    fileMtime: new Date(Math.floor(f.mtimeMs)).toISOString(),
  }));
  if (rows.length === 0) return new Map();
  const excluded = (column: string) => sql.raw(`excluded.${column}`);
  const saved = await tx
    .insert(tracks)
    .values(rows)
    .onConflictDoUpdate({
      target: [tracks.libraryId, tracks.filePath],
      set: {
        albumId: excluded('album_id'),
        albumArtistId: excluded('album_artist_id'),
        title: excluded('title'),
        discNumber: excluded('disc_number'),
        trackNumber: excluded('track_number'),
        duration: excluded('duration'),
        genres: excluded('genres'),
        year: excluded('year'),
        isrc: excluded('isrc'),
        musicbrainzRecordingId: excluded('musicbrainz_recording_id'),
        musicbrainzTrackId: excluded('musicbrainz_track_id'),
        fileSize: excluded('file_size'),
        format: excluded('format'),
        codec: excluded('codec'),
        container: excluded('container'),
        bitrate: excluded('bitrate'),
        sampleRate: excluded('sample_rate'),
        channels: excluded('channels'),
        bitsPerSample: excluded('bits_per_sample'),
        lossless: excluded('lossless'),
        contentHash: excluded('content_hash'),
        fileMtime: excluded('file_mtime'),
        updatedAt: sql`now()`,
      },
    })
    .returning({ id: tracks.id, path: tracks.filePath, albumId: tracks.albumId });
  const trackIds = new Map(saved.map((r) => [r.path, r.id]));
  await tx.delete(trackArtists).where(inArray(trackArtists.trackId, [...trackIds.values()]));
  const credits = facts.flatMap((f) =>
    f.meta.artists.map((a, position) => ({
      trackId: trackIds.get(f.path)!,
      artistId: artistIds.get(a.name)!,
      role: a.role,
      position,
    })),
  );
  if (credits.length > 0) await tx.insert(trackArtists).values(credits);
  return new Map(saved.map((r) => [r.path, { id: r.id, albumId: r.albumId }]));
}

/** Removes the tracks of deleted files (their artists and albums stay); returns their ids. */
export async function deleteTracks(tx: Tx, libraryId: string, paths: readonly string[]): Promise<string[]> {
  if (paths.length === 0) return [];
  const rows = await tx
    .delete(tracks)
    .where(and(eq(tracks.libraryId, libraryId), inArray(tracks.filePath, [...paths])))
    .returning({ id: tracks.id });
  return rows.map((r) => r.id);
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

/** Marks tracks as queued for enrichment (in the commit that queues them). */
export async function markEnrichmentPending(tx: Tx, trackIds: readonly string[]): Promise<void> {
  if (trackIds.length === 0) return;
  await tx
    .update(tracks)
    .set({ enrichmentStatus: 'pending' })
    .where(inArray(tracks.id, [...trackIds]));
}
