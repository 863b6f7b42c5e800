// The catalog as the Subsonic API browses it: artists → albums → songs,
// album lists, random songs, search and a user's stars, with that user's
// play counts and stars on every row. Lists that sort or draw from the whole
// catalog read the ids of one page first, then only those rows with their
// per-row aggregates (credits, counts, plays), never the aggregates of every
// row just to sort them.
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { isCatalogId } from './ids.ts';
import {
  albumSelect,
  artistSelect,
  songSelect,
  toAlbum,
  toArtist,
  toSong,
  type AlbumRow,
  type ArtistRow,
  type SongRow,
} from './subsonic-rows.ts';

export type { AlbumRow, ArtistRow, SongRow } from './subsonic-rows.ts';

const ids = (values: readonly string[]) => sql`${sql.param(values)}::uuid[]`;

/** Every library (Subsonic's music folders), by name. */
export async function listLibraryFolders(db: Db): Promise<{ id: string; name: string }[]> {
  return [
    ...(await db.execute<{ id: string; name: string }>(
      sql`select id::text, name from libraries order by name, id`,
    )),
  ];
}

/** Artists that are the album artist of at least one album, by sort name. */
export async function listAlbumArtists(db: Db, userId: string): Promise<ArtistRow[]> {
  const rows = await db.execute(
    artistSelect(userId, sql`where ac.album_count > 0 order by a.sort_name, a.id`),
  );
  return rows.map(toArtist);
}

/** An artist and their albums (by year, then title), or null. */
export async function artistWithAlbums(
  db: Db,
  userId: string,
  artistId: string,
): Promise<{ artist: ArtistRow; albums: AlbumRow[] } | null> {
  if (!isCatalogId(artistId)) return null;
  const [artist] = await db.execute(artistSelect(userId, sql`where a.id = ${artistId}::uuid`));
  if (!artist) return null;
  const albums = await db.execute(
    albumSelect(
      userId,
      sql`where al.album_artist_id = ${artistId}::uuid order by al.year nulls last, al.title, al.id`,
    ),
  );
  return { artist: toArtist(artist), albums: albums.map(toAlbum) };
}

/** An album and its songs (disc, then track order), or null. */
export async function albumWithSongs(
  db: Db,
  userId: string,
  albumId: string,
): Promise<{ album: AlbumRow; songs: SongRow[] } | null> {
  if (!isCatalogId(albumId)) return null;
  const [album] = await db.execute(albumSelect(userId, sql`where al.id = ${albumId}::uuid`));
  if (!album) return null;
  const songs = await db.execute(
    songSelect(
      userId,
      sql`where t.album_id = ${albumId}::uuid order by t.disc_number nulls first, t.track_number nulls last, t.title, t.id`,
    ),
  );
  return { album: toAlbum(album), songs: songs.map(toSong) };
}

/** Songs by id, in the order given (repeats kept, unknown or malformed ids left out). */
export async function songsByIds(db: Db, userId: string, trackIds: readonly string[]): Promise<SongRow[]> {
  const valid = [...new Set(trackIds.filter(isCatalogId))];
  if (valid.length === 0) return [];
  const rows = (await db.execute(songSelect(userId, sql`where t.id = any(${ids(valid)})`))).map(toSong);
  const byId = new Map(rows.map((r) => [r.id, r]));
  return trackIds.flatMap((id) => byId.get(id) ?? []);
}

/** The kinds of `getAlbumList2`. */
export type AlbumListType =
  | 'random'
  | 'newest'
  | 'alphabeticalByName'
  | 'alphabeticalByArtist'
  | 'frequent'
  | 'recent'
  | 'starred'
  | 'byYear'
  | 'byGenre';

/** What `getAlbumList2` asks for. */
export interface AlbumListOptions {
  readonly type: AlbumListType;
  readonly size: number;
  readonly offset: number;
  readonly fromYear?: number | undefined;
  readonly toYear?: number | undefined;
  readonly genre?: string | undefined;
}

const hasGenre = (column: SQL, genre: string) =>
  sql`exists (select 1 from unnest(${column}) g where lower(g) = lower(${genre}))`;

/**
 * The ids of one page of albums in one of Subsonic's orders. Only the page's
 * albums are then read with their counts and plays ({@link albumsByIds}):
 * the per-album aggregates are never computed for a whole catalog to sort it.
 */
function albumPageIds(userId: string, o: AlbumListOptions): SQL {
  const page = sql`limit ${o.size} offset ${o.offset}`;
  switch (o.type) {
    case 'random':
      return sql`select al.id from albums al where exists (select 1 from tracks t where t.album_id = al.id)
                 order by random() ${page}`;
    case 'newest':
      return sql`select t.album_id as id from tracks t where t.album_id is not null
                 group by t.album_id order by min(t.added_at) desc, t.album_id ${page}`;
    case 'alphabeticalByName':
      // (title, id): the order of albums_title_idx, so the page is an index range.
      return sql`select al.id from albums al order by al.title, al.id ${page}`;
    case 'alphabeticalByArtist':
      return sql`select al.id from albums al left join artists aa on aa.id = al.album_artist_id
                 order by aa.sort_name nulls last, al.title, al.id ${page}`;
    case 'frequent':
      return sql`select t.album_id as id from track_plays p join tracks t on t.id = p.track_id
                 where p.user_id = ${userId}::uuid and t.album_id is not null
                 group by t.album_id order by sum(p.play_count) desc, t.album_id ${page}`;
    case 'recent':
      return sql`select t.album_id as id from track_plays p join tracks t on t.id = p.track_id
                 where p.user_id = ${userId}::uuid and t.album_id is not null
                 group by t.album_id order by max(p.last_played) desc, t.album_id ${page}`;
    case 'starred':
      return sql`select s.item_id as id from stars s join albums al on al.id = s.item_id
                 where s.user_id = ${userId}::uuid and s.kind = 'album'
                 order by s.starred_at desc, s.item_id ${page}`;
    case 'byYear': {
      const from = o.fromYear ?? 0;
      const to = o.toYear ?? 9999;
      const [lo, hi] = from <= to ? [from, to] : [to, from];
      const dir = from <= to ? sql`asc` : sql`desc`;
      return sql`select al.id from albums al where al.year between ${lo} and ${hi}
                 order by al.year ${dir}, al.title, al.id ${page}`;
    }
    case 'byGenre':
      return sql`select al.id from albums al where ${hasGenre(sql`al.genres`, o.genre ?? '')}
                 order by al.title, al.id ${page}`;
  }
}

/** Albums by id with one user's plays and stars, in the order given (unknown ids left out). */
async function albumsByIds(db: Db, userId: string, albumIds: readonly string[]): Promise<AlbumRow[]> {
  if (albumIds.length === 0) return [];
  const rows = (await db.execute(albumSelect(userId, sql`where al.id = any(${ids(albumIds)})`))).map(toAlbum);
  const byId = new Map(rows.map((r) => [r.id, r]));
  return albumIds.flatMap((id) => byId.get(id) ?? []);
}

/** A page of albums in one of Subsonic's orders. */
export async function albumList(db: Db, userId: string, o: AlbumListOptions): Promise<AlbumRow[]> {
  const page = await db.execute<{ id: string }>(albumPageIds(userId, o));
  return albumsByIds(
    db,
    userId,
    page.map((r) => String(r.id)),
  );
}

/** Random songs, optionally of a genre and between two years (ids drawn first, then only those read). */
export async function randomSongs(
  db: Db,
  userId: string,
  o: { size: number; genre?: string | undefined; fromYear?: number | undefined; toYear?: number | undefined },
): Promise<SongRow[]> {
  const where: SQL[] = [sql`true`];
  if (o.genre) where.push(hasGenre(sql`t.genres`, o.genre));
  if (o.fromYear !== undefined) where.push(sql`t.year >= ${o.fromYear}`);
  if (o.toYear !== undefined) where.push(sql`t.year <= ${o.toYear}`);
  const picked = await db.execute<{ id: string }>(
    sql`select t.id::text from tracks t where ${sql.join(where, sql` and `)} order by random() limit ${o.size}`,
  );
  return songsByIds(
    db,
    userId,
    picked.map((r) => r.id),
  );
}

/** What `search3` asks for: a count and offset per kind. */
export interface SearchOptions {
  readonly query: string;
  readonly artistCount: number;
  readonly artistOffset: number;
  readonly albumCount: number;
  readonly albumOffset: number;
  readonly songCount: number;
  readonly songOffset: number;
}

/**
 * Artists, albums and songs whose name or title contains every word of the
 * query (case-insensitive; served by the trigram indexes). An empty query
 * (or `""`) matches everything, as OpenSubsonic clients use it to sync a library.
 */
export async function searchAll(
  db: Db,
  userId: string,
  o: SearchOptions,
): Promise<{ artists: ArtistRow[]; albums: AlbumRow[]; songs: SongRow[] }> {
  const words = o.query.replaceAll('"', ' ').trim().split(/\s+/).filter(Boolean);
  const like = (column: SQL) =>
    words.length === 0
      ? sql`true`
      : sql.join(
          words.map((w) => sql`${column} ilike ${`%${w.replace(/[\\%_]/g, (c) => `\\${c}`)}%`}`),
          sql` and `,
        );
  const [artists, albums, songs] = await Promise.all([
    o.artistCount > 0
      ? db.execute(
          artistSelect(
            userId,
            sql`where ${like(sql`a.name`)} order by a.sort_name, a.id limit ${o.artistCount} offset ${o.artistOffset}`,
          ),
        )
      : [],
    o.albumCount > 0
      ? db
          .execute<{ id: string }>(
            sql`select al.id::text from albums al where ${like(sql`al.title`)}
                order by al.title, al.id limit ${o.albumCount} offset ${o.albumOffset}`,
          )
          .then((page) =>
            albumsByIds(
              db,
              userId,
              page.map((r) => r.id),
            ),
          )
      : [],
    o.songCount > 0
      ? db
          .execute<{ id: string }>(
            sql`select t.id::text from tracks t where ${like(sql`t.title`)}
                order by t.title, t.id limit ${o.songCount} offset ${o.songOffset}`,
          )
          .then((page) =>
            songsByIds(
              db,
              userId,
              page.map((r) => r.id),
            ),
          )
      : [],
  ]);
  return { artists: artists.map(toArtist), albums, songs };
}

/** Everything a user starred, newest star first. */
export async function starredItems(
  db: Db,
  userId: string,
): Promise<{ artists: ArtistRow[]; albums: AlbumRow[]; songs: SongRow[] }> {
  const [artists, albums, songs] = await Promise.all([
    db.execute(artistSelect(userId, sql`where s.starred_at is not null order by s.starred_at desc, a.id`)),
    db.execute(albumSelect(userId, sql`where s.starred_at is not null order by s.starred_at desc, al.id`)),
    db.execute(songSelect(userId, sql`where s.starred_at is not null order by s.starred_at desc, t.id`)),
  ]);
  return { artists: artists.map(toArtist), albums: albums.map(toAlbum), songs: songs.map(toSong) };
}

/** The stored cover's file name (under COVER_DIR) of an album, or null. */
export async function albumCoverFile(db: Db, albumId: string): Promise<string | null> {
  if (!isCatalogId(albumId)) return null;
  const [row] = await db.execute<{ cover_path: string | null }>(
    sql`select cover_path from albums where id = ${albumId}::uuid`,
  );
  return row?.cover_path ?? null;
}

/** Whether a scan is queued or running, and how many tracks the catalog holds. */
export async function scanStatus(
  db: Db,
): Promise<{ scanning: boolean; count: number; lastScan: string | null }> {
  const [row] = await db.execute<{ scanning: boolean; count: number; last_scan: string | null }>(sql`
    select exists (select 1 from import_jobs where status in ('QUEUED', 'RUNNING')) as scanning,
           (select count(*)::int from tracks) as count,
           (select max(finished_at) from import_jobs) as last_scan`);
  return {
    scanning: row?.scanning ?? false,
    count: row?.count ?? 0,
    lastScan: row?.last_scan ? new Date(row.last_scan).toISOString() : null,
  };
}

/** Up to `limit` track ids of an artist (credited in any role) or an album, to seed similar songs with. */
export async function trackIdsOf(
  db: Db,
  kind: 'artist' | 'album',
  id: string,
  limit: number,
): Promise<string[]> {
  if (!isCatalogId(id)) return [];
  const rows =
    kind === 'album'
      ? await db.execute<{ id: string }>(
          sql`select id::text from tracks where album_id = ${id}::uuid order by disc_number, track_number, id limit ${limit}`,
        )
      : await db.execute<{ id: string }>(
          sql`select track_id::text as id from track_artists where artist_id = ${id}::uuid order by track_id limit ${limit}`,
        );
  return rows.map((r) => r.id);
}
