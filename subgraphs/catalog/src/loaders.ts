import DataLoader from 'dataloader';
import { asc, count, sql } from 'drizzle-orm';
import {
  albumColumns,
  artistColumns,
  trackColumns,
  type Album,
  type Artist,
  type Track,
} from './db/columns.ts';
import type { Db } from './db/client.ts';
import { anyOf, rowsByKey } from './db/rows.ts';
import { albums, artists, importJobs, libraries, trackArtists, tracks } from './db/schema.ts';
import type { ImportJobRow, LibraryRow } from './db/schema.ts';
import { createListeningLoaders } from './listening-loaders.ts';
import { isCatalogId } from './store/ids.ts';

export interface Credit {
  readonly artist: Artist;
  readonly role: string;
  readonly position: number;
}

/** Groups rows by a key, in the order of `keys` (DataLoader's contract). */
function groupBy<T>(keys: readonly string[], rows: readonly T[], keyOf: (row: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return keys.map((k) => groups.get(k) ?? []);
}

function byId<T extends { id: string }>(keys: readonly string[], rows: readonly T[]): (T | null)[] {
  const map = new Map(rows.map((r) => [r.id, r]));
  return keys.map((k) => map.get(k) ?? null);
}

function counts(keys: readonly string[], rows: readonly { key: string | null; n: number }[]): number[] {
  const map = new Map(rows.map((r) => [r.key, r.n]));
  return keys.map((k) => map.get(k) ?? 0);
}

/** Ids that cannot be UUIDs match nothing; PostgreSQL would reject the whole batch. */
const valid = (keys: readonly string[]) => keys.filter(isCatalogId);

// The entity reads every federated page makes (a list page's similar tracks are 250 tracks by id).
const tracksById = rowsByKey<Track>(trackColumns, tracks, tracks.id);
const albumsById = rowsByKey<Album>(albumColumns, albums, albums.id);
const artistsById = rowsByKey<Artist>(artistColumns, artists, artists.id);

/**
 * One set of loaders per request: every lookup of a request that names
 * several ids becomes a single statement, so a query over N tracks costs a
 * constant number of statements whatever N is — and the same statement
 * text whatever N is (`anyOf`), prepared once per connection.
 */
export function createLoaders(db: Db) {
  const artistById = new DataLoader<string, Artist | null>(async (keys) =>
    byId(keys, await artistsById(db, valid(keys))),
  );
  return {
    trackById: new DataLoader<string, Track | null>(async (keys) =>
      byId(keys, await tracksById(db, valid(keys))),
    ),
    albumById: new DataLoader<string, Album | null>(async (keys) =>
      byId(keys, await albumsById(db, valid(keys))),
    ),
    artistById,
    libraryById: new DataLoader<string, LibraryRow | null>(async (keys) =>
      byId(
        keys,
        await db
          .select()
          .from(libraries)
          .where(anyOf(libraries.id, valid(keys))),
      ),
    ),
    jobById: new DataLoader<string, ImportJobRow | null>(async (keys) =>
      byId(
        keys,
        await db
          .select()
          .from(importJobs)
          .where(anyOf(importJobs.id, valid(keys))),
      ),
    ),
    /** A track's credits with their artists, in one join; primes artistById. */
    creditsByTrack: new DataLoader<string, Credit[]>(async (keys) => {
      const rows = await db
        .select({
          trackId: trackArtists.trackId,
          role: trackArtists.role,
          position: trackArtists.position,
          artist: artistColumns,
        })
        .from(trackArtists)
        .innerJoin(artists, sql`${artists.id} = ${trackArtists.artistId}`)
        .where(anyOf(trackArtists.trackId, valid(keys)))
        .orderBy(asc(trackArtists.trackId), asc(trackArtists.position));
      for (const row of rows) artistById.prime(row.artist.id, row.artist);
      return groupBy(keys, rows, (r) => r.trackId);
    }),
    tracksByAlbum: new DataLoader<string, Track[]>(async (keys) => {
      const rows = await db
        .select(trackColumns)
        .from(tracks)
        .where(anyOf(tracks.albumId, valid(keys)))
        .orderBy(
          sql`${tracks.discNumber} nulls first, ${tracks.trackNumber} nulls last, ${tracks.title}, ${tracks.id}`,
        );
      return groupBy(keys, rows, (r) => r.albumId ?? '');
    }),
    albumsByArtist: new DataLoader<string, Album[]>(async (keys) => {
      const rows = await db
        .select(albumColumns)
        .from(albums)
        .where(anyOf(albums.albumArtistId, valid(keys)))
        .orderBy(sql`${albums.year} nulls last, ${albums.title}, ${albums.id}`);
      return groupBy(keys, rows, (r) => r.albumArtistId ?? '');
    }),
    trackCountByAlbum: new DataLoader<string, number>(async (keys) =>
      counts(
        keys,
        await db
          .select({ key: tracks.albumId, n: count() })
          .from(tracks)
          .where(anyOf(tracks.albumId, valid(keys)))
          .groupBy(tracks.albumId),
      ),
    ),
    trackCountByArtist: new DataLoader<string, number>(async (keys) =>
      counts(
        keys,
        await db
          .select({
            key: trackArtists.artistId,
            n: sql<number>`count(distinct ${trackArtists.trackId})::int`,
          })
          .from(trackArtists)
          .where(anyOf(trackArtists.artistId, valid(keys)))
          .groupBy(trackArtists.artistId),
      ),
    ),
    ...createListeningLoaders(db),
    trackCountByLibrary: new DataLoader<string, number>(async (keys) =>
      counts(
        keys,
        await db
          .select({ key: tracks.libraryId, n: count() })
          .from(tracks)
          .where(anyOf(tracks.libraryId, valid(keys)))
          .groupBy(tracks.libraryId),
      ),
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
