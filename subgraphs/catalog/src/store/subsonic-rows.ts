import { sql, type SQL } from 'drizzle-orm';

/** A track as the Subsonic API's `song`/`child` shows it, with one user's play count and star. */
export interface SongRow {
  readonly id: string;
  readonly title: string;
  readonly albumId: string | null;
  readonly album: string | null;
  /** Credited artists, in credit order, joined by `, `; null when uncredited. */
  readonly artist: string | null;
  /** The first credited artist. */
  readonly artistId: string | null;
  readonly track: number | null;
  readonly discNumber: number | null;
  readonly year: number | null;
  readonly genres: string[];
  /** Seconds. */
  readonly duration: number | null;
  /** Bytes. */
  readonly size: number;
  /** Container family (`flac`, `mp3` …), the file's usual suffix. */
  readonly format: string;
  /** Bits per second. */
  readonly bitrate: number | null;
  readonly path: string;
  readonly libraryId: string;
  /** The album's id when it has a stored cover, else null. */
  readonly coverAlbumId: string | null;
  readonly created: string;
  readonly playCount: number;
  readonly played: string | null;
  readonly starred: string | null;
}

/** An album as `albumID3` shows it, with one user's plays and star. */
export interface AlbumRow {
  readonly id: string;
  readonly name: string;
  readonly artist: string | null;
  readonly artistId: string | null;
  readonly year: number | null;
  readonly genres: string[];
  readonly compilation: boolean;
  readonly hasCover: boolean;
  readonly songCount: number;
  /** Seconds, rounded. */
  readonly duration: number;
  readonly created: string;
  readonly playCount: number;
  readonly played: string | null;
  readonly starred: string | null;
}

/** An artist as `artistID3` shows it. */
export interface ArtistRow {
  readonly id: string;
  readonly name: string;
  readonly sortName: string;
  readonly albumCount: number;
  readonly starred: string | null;
}

const iso = (v: unknown) => (v == null ? null : new Date(v as string).toISOString());

/** `select … from tracks t …` with the song's columns, for `userId`; `rest` continues after the joins. */
export const songSelect = (userId: string, rest: SQL) => sql`
  select t.id::text, t.title, t.album_id::text, al.title as album, cr.artist, cr.artist_id,
         t.track_number, t.disc_number, t.year, t.genres, t.duration, t.file_size, t.format, t.bitrate,
         t.file_path, t.library_id::text, case when al.cover_path is null then null else al.id::text end as cover_album_id,
         t.added_at, coalesce(p.play_count, 0) as play_count, p.last_played, s.starred_at
    from tracks t
    left join albums al on al.id = t.album_id
    left join lateral (
      select string_agg(a.name, ', ' order by ta.position) as artist,
             (array_agg(a.id::text order by ta.position))[1] as artist_id
        from track_artists ta join artists a on a.id = ta.artist_id where ta.track_id = t.id) cr on true
    left join track_plays p on p.track_id = t.id and p.user_id = ${userId}::uuid
    left join stars s on s.user_id = ${userId}::uuid and s.kind = 'track' and s.item_id = t.id
  ${rest}`;

export const toSong = (r: Record<string, unknown>): SongRow => ({
  id: r.id as string,
  title: r.title as string,
  albumId: r.album_id as string | null,
  album: r.album as string | null,
  artist: r.artist as string | null,
  artistId: r.artist_id as string | null,
  track: r.track_number as number | null,
  discNumber: r.disc_number as number | null,
  year: r.year as number | null,
  genres: r.genres as string[],
  duration: r.duration as number | null,
  size: Number(r.file_size),
  format: r.format as string,
  bitrate: r.bitrate as number | null,
  path: r.file_path as string,
  libraryId: r.library_id as string,
  coverAlbumId: r.cover_album_id as string | null,
  created: iso(r.added_at) ?? new Date(0).toISOString(),
  playCount: Number(r.play_count),
  played: iso(r.last_played),
  starred: iso(r.starred_at),
});

/** `select … from albums al …` with the album's columns, for `userId`; `rest` continues after the joins. */
export const albumSelect = (userId: string, rest: SQL) => sql`
  select al.id::text, al.title, aa.name as artist, al.album_artist_id::text as artist_id, al.year, al.genres,
         al.compilation, al.cover_path is not null as has_cover, st.song_count, st.duration, st.created,
         coalesce(pl.play_count, 0) as play_count, pl.last_played, s.starred_at
    from albums al
    left join artists aa on aa.id = al.album_artist_id
    cross join lateral (
      select count(*)::int as song_count, round(coalesce(sum(t.duration), 0))::int as duration,
             min(t.added_at) as created
        from tracks t where t.album_id = al.id) st
    left join lateral (
      select sum(p.play_count)::int as play_count, max(p.last_played) as last_played
        from tracks t join track_plays p on p.track_id = t.id and p.user_id = ${userId}::uuid
       where t.album_id = al.id) pl on true
    left join stars s on s.user_id = ${userId}::uuid and s.kind = 'album' and s.item_id = al.id
  ${rest}`;

export const toAlbum = (r: Record<string, unknown>): AlbumRow => ({
  id: r.id as string,
  name: r.title as string,
  artist: r.artist as string | null,
  artistId: r.artist_id as string | null,
  year: r.year as number | null,
  genres: r.genres as string[],
  compilation: r.compilation as boolean,
  hasCover: r.has_cover as boolean,
  songCount: r.song_count as number,
  duration: r.duration as number,
  created: iso(r.created) ?? new Date(0).toISOString(),
  playCount: Number(r.play_count),
  played: iso(r.last_played),
  starred: iso(r.starred_at),
});

/** `select … from artists a …` with the artist's columns (album count as album artist), for `userId`. */
export const artistSelect = (userId: string, rest: SQL) => sql`
  select a.id::text, a.name, a.sort_name, ac.album_count, s.starred_at
    from artists a
    cross join lateral (select count(*)::int as album_count from albums al where al.album_artist_id = a.id) ac
    left join stars s on s.user_id = ${userId}::uuid and s.kind = 'artist' and s.item_id = a.id
  ${rest}`;

export const toArtist = (r: Record<string, unknown>): ArtistRow => ({
  id: r.id as string,
  name: r.name as string,
  sortName: r.sort_name as string,
  albumCount: r.album_count as number,
  starred: iso(r.starred_at),
});
