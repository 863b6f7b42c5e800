import { and, count, eq, getTableColumns, sql, type SQL } from 'drizzle-orm';
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

export async function listTracks(
  db: Db,
  args: PageArgs & {
    filter?: TrackFilter | null;
    orderBy?: { field: string; direction?: Direction | null } | null;
  },
): Promise<Connection<Track>> {
  const key = trackKeys[args.orderBy?.field ?? 'TITLE'] ?? trackKeys.TITLE!;
  const page = keyset(key, sql`${tracks.id}`, args.orderBy?.direction ?? 'ASC', args);
  const where = trackWhere(args.filter ?? {});
  const rows = await db
    .select({ ...trackColumns, sortKey: page.keyText })
    .from(tracks)
    .where(and(...where, page.after))
    .orderBy(page.orderBy)
    .limit(page.limit + 1);
  return toConnection(rows, page.limit, async () => {
    const [row] = await db
      .select({ n: count() })
      .from(tracks)
      .where(and(...where));
    return row?.n ?? 0;
  });
}

const albumKeys: Record<string, SortKey> = {
  TITLE: { expr: sql`${albums.title}`, type: 'text' },
  YEAR: { expr: sql`coalesce(${albums.year}, -1)`, type: 'int' },
};

export async function listAlbums(
  db: Db,
  args: PageArgs & {
    filter?: {
      artistId?: string | null;
      yearFrom?: number | null;
      yearTo?: number | null;
      compilation?: boolean | null;
    } | null;
    orderBy?: { field: string; direction?: Direction | null } | null;
  },
): Promise<Connection<Album>> {
  const key = albumKeys[args.orderBy?.field ?? 'TITLE'] ?? albumKeys.TITLE!;
  const page = keyset(key, sql`${albums.id}`, args.orderBy?.direction ?? 'ASC', args);
  const f = args.filter ?? {};
  const where: SQL[] = [];
  if (f.artistId) where.push(eq(albums.albumArtistId, f.artistId));
  if (f.yearFrom != null) where.push(sql`${albums.year} >= ${f.yearFrom}`);
  if (f.yearTo != null) where.push(sql`${albums.year} <= ${f.yearTo}`);
  if (f.compilation != null) where.push(eq(albums.compilation, f.compilation));
  const rows = await db
    .select({ ...albumColumns, sortKey: page.keyText })
    .from(albums)
    .where(and(...where, page.after))
    .orderBy(page.orderBy)
    .limit(page.limit + 1);
  return toConnection(rows, page.limit, async () => {
    const [row] = await db
      .select({ n: count() })
      .from(albums)
      .where(and(...where));
    return row?.n ?? 0;
  });
}

export async function listArtists(
  db: Db,
  args: PageArgs & { filter?: { namePrefix?: string | null } | null },
): Promise<Connection<Artist>> {
  const page = keyset({ expr: sql`${artists.sortName}`, type: 'text' }, sql`${artists.id}`, 'ASC', args);
  const prefix = args.filter?.namePrefix;
  const where = prefix
    ? [sql`lower(${artists.name}) like ${`${prefix.toLowerCase().replace(/[\\%_]/g, '\\$&')}%`}`]
    : [];
  const rows = await db
    .select({ ...artistColumns, sortKey: page.keyText })
    .from(artists)
    .where(and(...where, page.after))
    .orderBy(page.orderBy)
    .limit(page.limit + 1);
  return toConnection(rows, page.limit, async () => {
    const [row] = await db
      .select({ n: count() })
      .from(artists)
      .where(and(...where));
    return row?.n ?? 0;
  });
}

export async function listImportJobs(
  db: Db,
  args: PageArgs & { libraryId?: string | null },
): Promise<Connection<ImportJobRow>> {
  const page = keyset(
    { expr: sql`${importJobs.createdAt}`, type: 'timestamptz' },
    sql`${importJobs.id}`,
    'DESC',
    args,
  );
  const where = args.libraryId ? [eq(importJobs.libraryId, args.libraryId)] : [];
  const rows = await db
    .select({ ...getTableColumns(importJobs), sortKey: page.keyText })
    .from(importJobs)
    .where(and(...where, page.after))
    .orderBy(page.orderBy)
    .limit(page.limit + 1);
  return toConnection(rows, page.limit, async () => {
    const [row] = await db
      .select({ n: count() })
      .from(importJobs)
      .where(and(...where));
    return row?.n ?? 0;
  });
}

export async function listImportErrors(
  db: Db,
  jobId: string,
  args: PageArgs,
): Promise<Connection<ImportErrorRow>> {
  const page = keyset(
    { expr: sql`${importErrors.occurredAt}`, type: 'timestamptz' },
    sql`${importErrors.id}`,
    'DESC',
    args,
  );
  const rows = await db
    .select({ ...getTableColumns(importErrors), sortKey: page.keyText })
    .from(importErrors)
    .where(and(eq(importErrors.jobId, jobId), page.after))
    .orderBy(page.orderBy)
    .limit(page.limit + 1);
  return toConnection(rows, page.limit, async () => {
    const [row] = await db.select({ n: count() }).from(importErrors).where(eq(importErrors.jobId, jobId));
    return row?.n ?? 0;
  });
}
