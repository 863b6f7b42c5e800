import { sql } from 'drizzle-orm';
import type { Db } from '@tonegraph/catalog/db';
import type { CreditRole, TrackGraphInput } from '@tonegraph/library-graph/sync';

interface Row extends Record<string, unknown> {
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

const ROLES = new Set<CreditRole>(['main', 'featured', 'remixer', 'composer']);

/**
 * The library-graph view of catalog tracks, read back in one statement after
 * their commit: the graph mirrors what the catalog holds, whichever order
 * the stages run in.
 */
export async function loadGraphInputs(db: Db, trackIds: readonly string[]): Promise<TrackGraphInput[]> {
  if (trackIds.length === 0) return [];
  const ids = sql.join(
    trackIds.map((id) => sql`${id}::uuid`),
    sql`, `,
  );
  const rows = await db.execute<Row>(sql`
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
    artists: r.artists.map((a) => {
      const role = a.role.toLowerCase() as CreditRole;
      return { id: a.id, name: a.name, role: ROLES.has(role) ? role : 'main' };
    }),
  }));
}
