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

/*
 * The batch upserts below are plain SQL with one JSON parameter each rather
 * than drizzle's insert builder, which spends CPU on every value of every
 * row (a batch of 64 tracks has 1,500) and sends each as a parameter of its
 * own: here the client serialises one string and PostgreSQL unpacks it with
 * `jsonb_to_recordset`, and each statement's text stays the same whatever
 * the size of the batch.
 */

/**
 * Upserts artists by name and returns their ids. Names are sorted so that
 * concurrent transactions lock rows in the same order and cannot deadlock.
 */
async function upsertArtists(tx: Tx, names: Iterable<string>): Promise<Map<string, string>> {
  const unique = [...new Set(names)].sort();
  if (unique.length === 0) return new Map();
  const rows = await tx.execute<{ id: string; name: string }>(sql`
    insert into ${artists} (name, sort_name)
    select a.name, a.name from jsonb_array_elements_text(${JSON.stringify(unique)}::jsonb) with ordinality as a(name, i)
    order by a.i
    on conflict (name) do update set name = excluded.name
    returning id, name`);
  return new Map(rows.map((r) => [r.name, r.id]));
}

const albumKey = (title: string, artistId: string | null) => `${title}\0${artistId ?? ''}`;

/** Upserts the albums of a batch, one row per (title, album artist), in a stable order. */
async function upsertAlbums(
  tx: Tx,
  wanted: readonly { meta: TrackMetadata; albumArtistId: string | null }[],
): Promise<Map<string, string>> {
  const rows = new Map<
    string,
    {
      title: string;
      album_artist_id: string | null;
      year: number | null;
      compilation: boolean;
      genres: string[];
      musicbrainz_release_id: string | null;
    }
  >();
  for (const { meta, albumArtistId } of wanted) {
    if (!meta.album) continue;
    const key = albumKey(meta.album, albumArtistId);
    const prev = rows.get(key);
    // One row per key: ON CONFLICT cannot touch the same row twice in one statement.
    rows.set(key, {
      title: meta.album,
      album_artist_id: albumArtistId,
      year: prev?.year ?? meta.year,
      compilation: (prev?.compilation ?? false) || meta.compilation,
      genres: [...new Set([...(prev?.genres ?? []), ...meta.genres])],
      musicbrainz_release_id: prev?.musicbrainz_release_id ?? meta.musicbrainz.releaseId,
    });
  }
  if (rows.size === 0) return new Map();
  const values = [...rows.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, v], i) => ({ i, ...v }));
  const saved = await tx.execute<{ id: string; title: string; album_artist_id: string | null }>(sql`
    insert into ${albums} as al (title, album_artist_id, year, compilation, genres, musicbrainz_release_id)
    select r.title, r.album_artist_id, r.year, r.compilation, r.genres, r.musicbrainz_release_id
    from jsonb_to_recordset(${JSON.stringify(values)}::jsonb) as r(
      i int, title text, album_artist_id uuid, year int, compilation boolean, genres text[], musicbrainz_release_id text)
    order by r.i
    on conflict (title, album_artist_id) do update set
      year = coalesce(al.year, excluded.year),
      compilation = al.compilation or excluded.compilation,
      musicbrainz_release_id = coalesce(al.musicbrainz_release_id, excluded.musicbrainz_release_id),
      genres = (select array(select distinct unnest(al.genres || excluded.genres)))
    returning id, title, album_artist_id`);
  return new Map(saved.map((r) => [albumKey(r.title, r.album_artist_id), r.id]));
}

/** A compilation's album belongs to no artist; otherwise to the tagged album artist or the first main artist. */
const albumArtistOf = (meta: TrackMetadata): string | null =>
  meta.compilation ? null : (meta.albumArtist ?? meta.artists.find((a) => a.role === 'MAIN')?.name ?? null);

/** A committed track, by the path it was read from. */
export interface SavedTrack {
  readonly id: string;
  readonly albumId: string | null;
}

/**
 * Writes the tracks of a batch of files with their artists, albums and
 * credits in the caller's transaction: five statements per batch, whatever
 * its size. Idempotent: the same facts twice leave the catalog as once.
 * Returns each file's track, by path.
 */
export async function upsertTracks(tx: Tx, batch: readonly FileFacts[]): Promise<Map<string, SavedTrack>> {
  // The last facts for a path win (a redelivered message may share a batch with its original).
  const byPath = new Map(batch.map((f) => [`${f.libraryId}\0${f.path}`, f]));
  const facts = [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  if (facts.length === 0) return new Map();
  const artistIds = await upsertArtists(
    tx,
    facts.flatMap((f) => {
      const albumArtist = albumArtistOf(f.meta);
      return [...f.meta.artists.map((a) => a.name), ...(albumArtist ? [albumArtist] : [])];
    }),
  );
  const withArtist = facts.map((f) => {
    const name = albumArtistOf(f.meta);
    return { facts: f, meta: f.meta, albumArtistId: name ? (artistIds.get(name) ?? null) : null };
  });
  const albumIds = await upsertAlbums(tx, withArtist);
  const rows = withArtist.map(({ facts: f, meta, albumArtistId }, i) => ({
    i,
    library_id: f.libraryId,
    album_id: meta.album ? (albumIds.get(albumKey(meta.album, albumArtistId)) ?? null) : null,
    album_artist_id: albumArtistId,
    title: meta.title,
    disc_number: meta.discNumber,
    track_number: meta.trackNumber,
    duration: meta.format.duration,
    genres: meta.genres,
    year: meta.year,
    isrc: meta.isrc,
    musicbrainz_recording_id: meta.musicbrainz.recordingId,
    musicbrainz_track_id: meta.musicbrainz.trackId,
    file_path: f.path,
    file_size: f.size,
    format: meta.format.format,
    codec: meta.format.codec,
    container: meta.format.container,
    bitrate: meta.format.bitrate,
    sample_rate: meta.format.sampleRate,
    channels: meta.format.channels,
    bits_per_sample: meta.format.bitsPerSample,
    lossless: meta.format.lossless,
    content_hash: f.contentHash,
    file_mtime: new Date(Math.floor(f.mtimeMs)).toISOString(),
  }));
  const saved = await tx.execute<{ id: string; file_path: string; album_id: string | null }>(sql`
    insert into ${tracks} (
      library_id, album_id, album_artist_id, title, disc_number, track_number, duration, genres, year, isrc,
      musicbrainz_recording_id, musicbrainz_track_id, file_path, file_size, format, codec, container, bitrate,
      sample_rate, channels, bits_per_sample, lossless, content_hash, file_mtime)
    select
      r.library_id, r.album_id, r.album_artist_id, r.title, r.disc_number, r.track_number, r.duration, r.genres,
      r.year, r.isrc, r.musicbrainz_recording_id, r.musicbrainz_track_id, r.file_path, r.file_size, r.format,
      r.codec, r.container, r.bitrate, r.sample_rate, r.channels, r.bits_per_sample, r.lossless, r.content_hash,
      r.file_mtime
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(
      i int, library_id uuid, album_id uuid, album_artist_id uuid, title text, disc_number int, track_number int,
      duration real, genres text[], year int, isrc text, musicbrainz_recording_id text, musicbrainz_track_id text,
      file_path text, file_size bigint, format text, codec text, container text, bitrate int, sample_rate int,
      channels int, bits_per_sample int, lossless boolean, content_hash text, file_mtime timestamptz)
    order by r.i
    on conflict (library_id, file_path) do update set
      album_id = excluded.album_id,
      album_artist_id = excluded.album_artist_id,
      title = excluded.title,
      disc_number = excluded.disc_number,
      track_number = excluded.track_number,
      duration = excluded.duration,
      genres = excluded.genres,
      year = excluded.year,
      isrc = excluded.isrc,
      musicbrainz_recording_id = excluded.musicbrainz_recording_id,
      musicbrainz_track_id = excluded.musicbrainz_track_id,
      file_size = excluded.file_size,
      format = excluded.format,
      codec = excluded.codec,
      container = excluded.container,
      bitrate = excluded.bitrate,
      sample_rate = excluded.sample_rate,
      channels = excluded.channels,
      bits_per_sample = excluded.bits_per_sample,
      lossless = excluded.lossless,
      content_hash = excluded.content_hash,
      file_mtime = excluded.file_mtime,
      updated_at = now()
    returning id, file_path, album_id`);
  const trackIds = new Map(saved.map((r) => [r.file_path, r.id]));
  // Credits are replaced whole: a retagged file may have fewer artists than before.
  await tx.execute(sql`
    delete from ${trackArtists}
    where track_id in (select jsonb_array_elements_text(${JSON.stringify([...trackIds.values()])}::jsonb)::uuid)`);
  const credits = facts.flatMap((f) =>
    f.meta.artists.map((a, position) => ({
      track_id: trackIds.get(f.path)!,
      artist_id: artistIds.get(a.name)!,
      role: a.role,
      position,
    })),
  );
  if (credits.length > 0)
    await tx.execute(sql`
      insert into ${trackArtists} (track_id, artist_id, role, position)
      select c.track_id, c.artist_id, c.role, c.position
      from jsonb_to_recordset(${JSON.stringify(credits)}::jsonb) as c(track_id uuid, artist_id uuid, role text, position int)`);
  return new Map(saved.map((r) => [r.file_path, { id: r.id, albumId: r.album_id }]));
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
