import { sql } from 'drizzle-orm';
import { albums, artists } from '../db/schema.ts';
import type { CatalogTx } from './executor.ts';
import { albumKey, type TrackTags } from './track-facts.ts';

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
export async function upsertArtists(tx: CatalogTx, names: Iterable<string>): Promise<Map<string, string>> {
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

/** Upserts the albums of a batch, one row per (title, album artist), in a stable order. */
export async function upsertAlbums(
  tx: CatalogTx,
  wanted: readonly { meta: TrackTags; albumArtistId: string | null }[],
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
