import { and, count, eq, getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import {
  albumColumns,
  artistColumns,
  trackColumns,
  type Album,
  type Artist,
  type Track,
} from './db/columns.ts';
import type { Db } from './db/client.ts';
import { albums, artists, importErrors, importJobs, trackArtists, tracks } from './db/schema.ts';
import type { ImportErrorRow, ImportJobRow } from './db/schema.ts';
import { keyset, toConnection, type Connection, type PageArgs, type SortKey } from './pagination.ts';

type Direction = 'ASC' | 'DESC';

export interface TrackFilter {
  libraryId?: string | null;
  artistId?: string | null;
  albumId?: string | null;
  genre?: string | null;
  yearFrom?: number | null;
  yearTo?: number | null;
  format?: string | null;
  lossless?: boolean | null;
  addedSince?: string | null;
}

const trackKeys: Record<string, SortKey> = {
  TITLE: { expr: sql`${tracks.title}`, type: 'text' },
  ADDED_AT: { expr: sql`${tracks.addedAt}`, type: 'timestamptz' },
  YEAR: { expr: sql`coalesce(${tracks.year}, -1)`, type: 'int' },
  DURATION: { expr: sql`coalesce(${tracks.duration}, -1)`, type: 'real' },
};

function trackWhere(f: TrackFilter = {}): SQL[] {
  const where: SQL[] = [];
  if (f.libraryId) where.push(eq(tracks.libraryId, f.libraryId));
  if (f.albumId) where.push(eq(tracks.albumId, f.albumId));
  if (f.artistId) {
    where.push(
      sql`exists (select 1 from ${trackArtists} where ${trackArtists.trackId} = ${tracks.id} and ${trackArtists.artistId} = ${f.artistId})`,
    );
  }
  if (f.genre)
    where.push(sql`exists (select 1 from unnest(${tracks.genres}) g where lower(g) = lower(${f.genre}))`);
  if (f.yearFrom != null) where.push(sql`${tracks.year} >= ${f.yearFrom}`);
  if (f.yearTo != null) where.push(sql`${tracks.year} <= ${f.yearTo}`);
  if (f.format) where.push(sql`lower(${tracks.format}) = lower(${f.format})`);
  if (f.lossless != null) where.push(eq(tracks.lossless, f.lossless));
  if (f.addedSince) where.push(sql`${tracks.addedAt} >= ${f.addedSince}::timestamptz`);
  return where;
}

/** One keyset page of `table` plus a lazy total: every list of the schema goes through here. */
async function paginate<T extends { id: string }>(
  db: Db,
  q: {
    table: PgTable;
    columns: Record<string, PgColumn>;
    key: SortKey;
    id: PgColumn;
    direction: Direction;
    where: SQL[];
    args: PageArgs;
  },
): Promise<Connection<T>> {
  const page = keyset(q.key, sql`${q.id}`, q.direction, q.args);
  const rows = await db
    .select({ ...q.columns, sortKey: page.keyText })
    .from(q.table)
    .where(and(...q.where, page.after))
    .orderBy(page.orderBy)
    .limit(page.limit + 1);
  return toConnection(rows as unknown as (T & { sortKey: string })[], page.limit, async () => {
    const [row] = await db
      .select({ n: count() })
      .from(q.table)
      .where(and(...q.where));
    return row?.n ?? 0;
  });
}

type Order = { field: string; direction?: Direction | null } | null;

export function listTracks(
  db: Db,
  args: PageArgs & { filter?: TrackFilter | null; orderBy?: Order },
): Promise<Connection<Track>> {
  return paginate<Track>(db, {
    table: tracks,
    columns: trackColumns,
    key: trackKeys[args.orderBy?.field ?? 'TITLE'] ?? trackKeys.TITLE!,
    id: tracks.id,
    direction: args.orderBy?.direction ?? 'ASC',
    where: trackWhere(args.filter ?? {}),
    args,
  });
}

const albumKeys: Record<string, SortKey> = {
  TITLE: { expr: sql`${albums.title}`, type: 'text' },
  YEAR: { expr: sql`coalesce(${albums.year}, -1)`, type: 'int' },
};

export interface AlbumFilter {
  artistId?: string | null;
  yearFrom?: number | null;
  yearTo?: number | null;
  compilation?: boolean | null;
}

export function listAlbums(
  db: Db,
  args: PageArgs & { filter?: AlbumFilter | null; orderBy?: Order },
): Promise<Connection<Album>> {
  const f = args.filter ?? {};
  const where: SQL[] = [];
  if (f.artistId) where.push(eq(albums.albumArtistId, f.artistId));
  if (f.yearFrom != null) where.push(sql`${albums.year} >= ${f.yearFrom}`);
  if (f.yearTo != null) where.push(sql`${albums.year} <= ${f.yearTo}`);
  if (f.compilation != null) where.push(eq(albums.compilation, f.compilation));
  return paginate<Album>(db, {
    table: albums,
    columns: albumColumns,
    key: albumKeys[args.orderBy?.field ?? 'TITLE'] ?? albumKeys.TITLE!,
    id: albums.id,
    direction: args.orderBy?.direction ?? 'ASC',
    where,
    args,
  });
}

export function listArtists(
  db: Db,
  args: PageArgs & { filter?: { namePrefix?: string | null } | null },
): Promise<Connection<Artist>> {
  const prefix = args.filter?.namePrefix;
  const like = prefix ? `${prefix.toLowerCase().replace(/[\\%_]/g, '\\$&')}%` : undefined;
  return paginate<Artist>(db, {
    table: artists,
    columns: artistColumns,
    key: { expr: sql`${artists.sortName}`, type: 'text' },
    id: artists.id,
    direction: 'ASC',
    where: like ? [sql`lower(${artists.name}) like ${like}`] : [],
    args,
  });
}

export function listImportJobs(
  db: Db,
  args: PageArgs & { libraryId?: string | null },
): Promise<Connection<ImportJobRow>> {
  return paginate<ImportJobRow>(db, {
    table: importJobs,
    columns: getTableColumns(importJobs),
    key: { expr: sql`${importJobs.createdAt}`, type: 'timestamptz' },
    id: importJobs.id,
    direction: 'DESC',
    where: args.libraryId ? [eq(importJobs.libraryId, args.libraryId)] : [],
    args,
  });
}

export function listImportErrors(db: Db, jobId: string, args: PageArgs): Promise<Connection<ImportErrorRow>> {
  return paginate<ImportErrorRow>(db, {
    table: importErrors,
    columns: getTableColumns(importErrors),
    key: { expr: sql`${importErrors.occurredAt}`, type: 'timestamptz' },
    id: importErrors.id,
    direction: 'DESC',
    where: [eq(importErrors.jobId, jobId)],
    args,
  });
}
