import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';

/** What can be starred. */
export type StarKind = 'track' | 'album' | 'artist';

const TABLES: Record<StarKind, string> = { track: 'tracks', album: 'albums', artist: 'artists' };

/**
 * Stars items for a user (again: nothing changes, the first date is kept).
 * Ids that are not of that kind are left out; returns how many were known.
 */
export async function star(db: Db, userId: string, kind: StarKind, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const rows = await db.execute(sql`
    insert into stars (user_id, kind, item_id)
    select ${userId}::uuid, ${kind}, x.id from ${sql.raw(TABLES[kind])} x where x.id = any(${sql.param(ids)}::uuid[])
    on conflict do nothing`);
  return rows.count;
}

/** Removes a user's stars of those items (unknown ones are ignored). */
export async function unstar(db: Db, userId: string, kind: StarKind, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.execute(sql`
    delete from stars where user_id = ${userId}::uuid and kind = ${kind} and item_id = any(${sql.param(ids)}::uuid[])`);
}

/** Which of the ids are tracks, albums or artists (for star/unstar's plain `id`). Unknown ids are absent. */
export async function kindsOf(db: Db, ids: readonly string[]): Promise<Map<string, StarKind>> {
  if (ids.length === 0) return new Map();
  const rows = await db.execute<{ id: string; kind: StarKind }>(sql`
    select id::text, 'track' as kind from tracks where id = any(${sql.param(ids)}::uuid[])
    union all select id::text, 'album' from albums where id = any(${sql.param(ids)}::uuid[])
    union all select id::text, 'artist' from artists where id = any(${sql.param(ids)}::uuid[])`);
  return new Map(rows.map((r) => [r.id, r.kind]));
}

/**
 * Counts a play of a track (a scrobble submission): its play count goes up
 * by one and its last play becomes `at`, for that user. False for an unknown track.
 */
export async function recordPlay(db: Db, userId: string, trackId: string, at: Date): Promise<boolean> {
  const rows = await db.execute(sql`
    insert into track_plays (user_id, track_id, play_count, last_played)
    select ${userId}::uuid, t.id, 1, ${at.toISOString()}::timestamptz from tracks t where t.id = ${trackId}::uuid
    on conflict (user_id, track_id) do update
      set play_count = track_plays.play_count + 1,
          last_played = greatest(track_plays.last_played, excluded.last_played)`);
  return rows.count > 0;
}

/** Plays of tracks over every user: count and last play, for GraphQL's `Track.playCount`/`lastPlayed`. */
export async function playStats(
  db: Db,
  trackIds: readonly string[],
): Promise<Map<string, { playCount: number; lastPlayed: string | null }>> {
  if (trackIds.length === 0) return new Map();
  const rows = await db.execute<{ track_id: string; play_count: number; last_played: string }>(sql`
    select track_id::text, sum(play_count)::int as play_count, max(last_played) as last_played
      from track_plays where track_id = any(${sql.param(trackIds)}::uuid[]) group by track_id`);
  return new Map(
    rows.map((r) => [
      r.track_id,
      { playCount: r.play_count, lastPlayed: new Date(r.last_played).toISOString() },
    ]),
  );
}

/** How many users starred each track, for GraphQL's `Track.starCount`. */
export async function starCounts(
  db: Db,
  kind: StarKind,
  ids: readonly string[],
): Promise<Map<string, number>> {
  if (ids.length === 0) return new Map();
  const rows = await db.execute<{ item_id: string; n: number }>(sql`
    select item_id::text, count(*)::int as n from stars
     where kind = ${kind} and item_id = any(${sql.param(ids)}::uuid[]) group by item_id`);
  return new Map(rows.map((r) => [r.item_id, r.n]));
}
