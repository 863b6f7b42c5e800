import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';

/** A track with its album and credited artists, as the library graph mirrors it. */
export interface CreditedTrack {
  readonly id: string;
  readonly title: string;
  readonly libraryId: string;
  readonly genres: string[];
  readonly album: {
    readonly id: string;
    readonly title: string;
    readonly artistId: string | null;
    readonly artistName: string | null;
  } | null;
  /** In credit order; `role` as stored (`MAIN`, `FEATURED`). */
  readonly artists: { readonly id: string; readonly name: string; readonly role: string }[];
}

interface CreditedRow extends Record<string, unknown> {
  id: string;
  title: string;
  library_id: string;
  genres: string[];
  album_id: string | null;
  album_title: string | null;
  album_artist_id: string | null;
  album_artist_name: string | null;
  artists: { id: string; name: string; role: string }[];
}

/**
 * Tracks with their album and credits, read in one statement (in no
 * particular order; unknown ids are left out). Ingest's graph stage reads a
 * batch back after its commit, so the graph mirrors what the catalog holds
 * whichever order the stages run in.
 */
export async function loadCreditedTracks(db: Db, trackIds: readonly string[]): Promise<CreditedTrack[]> {
  if (trackIds.length === 0) return [];
  const ids = sql.join(
    trackIds.map((id) => sql`${id}::uuid`),
    sql`, `,
  );
  const rows = await db.execute<CreditedRow>(sql`
    select t.id, t.title, t.library_id, t.genres, t.album_id, al.title as album_title,
           al.album_artist_id, aa.name as album_artist_name,
           coalesce((select json_agg(json_build_object('id', a.id, 'name', a.name, 'role', ta.role)
                                     order by ta.position)
                       from track_artists ta join artists a on a.id = ta.artist_id
                      where ta.track_id = t.id), '[]') as artists
      from tracks t
      left join albums al on al.id = t.album_id
      left join artists aa on aa.id = al.album_artist_id
     where t.id in (${ids})`);
  return rows.map((r) => ({
    id: r.id,
    title: r.title,
    libraryId: r.library_id,
    genres: r.genres,
    album: r.album_id
      ? {
          id: r.album_id,
          title: r.album_title ?? '',
          artistId: r.album_artist_id,
          artistName: r.album_artist_name,
        }
      : null,
    artists: r.artists,
  }));
}
