import { sql } from 'drizzle-orm';
import { trackArtists, tracks } from '../db/schema.ts';
import { upsertAlbums, upsertArtists } from './artists-albums.ts';
import type { CatalogTx } from './executor.ts';
import { albumArtistOf, albumKey, type FileFacts, type SavedTrack } from './track-facts.ts';

// One JSON parameter per statement, unpacked by `jsonb_to_recordset`: see artists-albums.ts for why.

/**
 * Writes the tracks of a batch of files with their artists, albums and
 * credits in the caller's transaction: five statements per batch, whatever
 * its size. Idempotent: the same facts twice leave the catalog as once.
 * Returns each file's track, by path.
 */
export async function upsertTracks(
  tx: CatalogTx,
  batch: readonly FileFacts[],
): Promise<Map<string, SavedTrack>> {
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
