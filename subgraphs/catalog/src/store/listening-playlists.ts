import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import type { Executor } from './executor.ts';

/** A playlist with its totals (tracks still in the catalog). */
export interface PlaylistSummary {
  readonly id: string;
  readonly name: string;
  readonly comment: string | null;
  readonly ownerId: string;
  readonly owner: string;
  readonly public: boolean;
  readonly songCount: number;
  /** Seconds, rounded. */
  readonly duration: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** A track of the playlist with an album (its cover stands for the playlist), or null. */
  readonly coverAlbumId: string | null;
}

/** A playlist and its track ids in order. */
export interface PlaylistWithTracks extends PlaylistSummary {
  readonly trackIds: string[];
}

/** The playlist does not exist, or belongs to someone else and the change needs its owner. */
export class PlaylistNotFoundError extends Error {
  override name = 'PlaylistNotFoundError';
}

interface SummaryRow extends Record<string, unknown> {
  id: string;
  name: string;
  comment: string | null;
  owner_id: string;
  owner: string;
  public: boolean;
  song_count: number;
  duration: number;
  created_at: string;
  updated_at: string;
  cover_album_id: string | null;
}

const summaries = (where: ReturnType<typeof sql>) => sql`
  select p.id::text, p.name, p.comment, p.owner_id::text, u.name as owner, p.public,
         st.song_count, st.duration, p.created_at, p.updated_at, st.cover_album_id
    from playlists p
    join users u on u.id = p.owner_id
    cross join lateral (
      select count(t.id)::int as song_count, round(coalesce(sum(t.duration), 0))::int as duration,
             (array_agg(t.album_id::text order by e.position) filter (where t.album_id is not null))[1] as cover_album_id
        from playlist_entries e join tracks t on t.id = e.track_id
       where e.playlist_id = p.id) st
   where ${where}
   order by p.name, p.id`;

const toSummary = (r: SummaryRow): PlaylistSummary => ({
  id: r.id,
  name: r.name,
  comment: r.comment,
  ownerId: r.owner_id,
  owner: r.owner,
  public: r.public,
  songCount: r.song_count,
  duration: r.duration,
  createdAt: new Date(r.created_at).toISOString(),
  updatedAt: new Date(r.updated_at).toISOString(),
  coverAlbumId: r.cover_album_id,
});

/** Playlists a user sees: their own and the public ones of others; every playlist without a user. */
export async function listPlaylists(db: Db, userId?: string): Promise<PlaylistSummary[]> {
  const where = userId ? sql`(p.owner_id = ${userId}::uuid or p.public)` : sql`true`;
  return (await db.execute<SummaryRow>(summaries(where))).map(toSummary);
}

/** A playlist with its track ids in order, or null (unknown, or private to another user). */
export async function getPlaylist(db: Db, id: string, userId?: string): Promise<PlaylistWithTracks | null> {
  const visible = userId ? sql` and (p.owner_id = ${userId}::uuid or p.public)` : sql``;
  const [row] = await db.execute<SummaryRow>(summaries(sql`p.id = ${id}::uuid${visible}`));
  if (!row) return null;
  const entries = await db.execute<{ track_id: string }>(sql`
    select e.track_id::text from playlist_entries e where e.playlist_id = ${id}::uuid order by e.position`);
  return { ...toSummary(row), trackIds: entries.map((e) => e.track_id) };
}

/** Creates a playlist owned by `ownerId` with these tracks in order (unknown ids are left out). */
export async function createPlaylist(
  db: Db,
  ownerId: string,
  input: { readonly name: string; readonly trackIds?: readonly string[]; readonly comment?: string | null },
): Promise<string> {
  return db.transaction(async (tx) => {
    const [row] = await tx.execute<{ id: string }>(sql`
      insert into playlists (owner_id, name, comment) values (${ownerId}::uuid, ${input.name}, ${input.comment ?? null})
      returning id::text`);
    if (!row) throw new Error('insert returned no playlist');
    await appendTracks(tx, row.id, input.trackIds ?? []);
    return row.id;
  });
}

async function appendTracks(db: Executor, playlistId: string, trackIds: readonly string[]): Promise<void> {
  if (trackIds.length === 0) return;
  await db.execute(sql`
    insert into playlist_entries (playlist_id, position, track_id)
    select ${playlistId}::uuid,
           coalesce((select max(position) + 1 from playlist_entries where playlist_id = ${playlistId}::uuid), 0)
             + row_number() over (order by x.ord) - 1,
           x.id
      from unnest(${sql.param(trackIds)}::uuid[]) with ordinality as x(id, ord)
      join tracks t on t.id = x.id`);
}

/** What {@link updatePlaylist} changes; absent fields stay. */
export interface PlaylistChange {
  readonly name?: string | undefined;
  readonly comment?: string | null | undefined;
  readonly public?: boolean | undefined;
  /** Replace every track with these (createPlaylist with a playlistId does). */
  readonly replaceTrackIds?: readonly string[] | undefined;
  /** Positions (0-based, of the playlist as it was) to remove. */
  readonly removeIndexes?: readonly number[] | undefined;
  /** Tracks to append after the removals. */
  readonly addTrackIds?: readonly string[] | undefined;
}

/**
 * Changes a playlist of `ownerId` in one transaction: name, comment,
 * visibility, entries removed by index then tracks appended; positions are
 * renumbered from 0. Throws {@link PlaylistNotFoundError} when the playlist
 * is not theirs.
 */
export async function updatePlaylist(
  db: Db,
  id: string,
  ownerId: string,
  change: PlaylistChange,
): Promise<void> {
  await db.transaction(async (tx) => {
    const [row] = await tx.execute<{ id: string }>(sql`
      update playlists set
        name = coalesce(${change.name ?? null}, name),
        comment = case when ${change.comment !== undefined} then ${change.comment ?? null} else comment end,
        public = coalesce(${change.public ?? null}::boolean, public),
        updated_at = now()
      where id = ${id}::uuid and owner_id = ${ownerId}::uuid returning id::text`);
    if (!row) throw new PlaylistNotFoundError(`no playlist ${id} of this user`);
    if (change.replaceTrackIds) {
      await tx.execute(sql`delete from playlist_entries where playlist_id = ${id}::uuid`);
      await appendTracks(tx, id, change.replaceTrackIds);
      return;
    }
    const entries = await tx.execute<{ track_id: string }>(sql`
      select track_id::text from playlist_entries where playlist_id = ${id}::uuid order by position`);
    const removed = new Set(change.removeIndexes ?? []);
    const kept = entries.filter((_, i) => !removed.has(i)).map((e) => e.track_id);
    if (removed.size > 0) {
      await tx.execute(sql`delete from playlist_entries where playlist_id = ${id}::uuid`);
      await appendTracks(tx, id, kept);
    }
    await appendTracks(tx, id, change.addTrackIds ?? []);
  });
}

/** Deletes a playlist of `ownerId`; throws {@link PlaylistNotFoundError} otherwise. */
export async function deletePlaylist(db: Db, id: string, ownerId: string): Promise<void> {
  const rows = await db.execute(
    sql`delete from playlists where id = ${id}::uuid and owner_id = ${ownerId}::uuid`,
  );
  if (rows.count === 0) throw new PlaylistNotFoundError(`no playlist ${id} of this user`);
}
