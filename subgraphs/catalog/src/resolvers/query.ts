import type { Context } from '../context.ts';
import { libraries } from '../db/schema.ts';
import { listAlbums, listArtists, listImportJobs, listTracks, type TrackFilter } from '../lists.ts';
import type { PageArgs } from '../pagination.ts';
import { search } from '../search.ts';
import { requireId } from './ids.ts';

type Id = { id: string };
type Order = { field: string; direction?: 'ASC' | 'DESC' | null } | null;

export const Query = {
  track: (_: unknown, { id }: Id, ctx: Context) => ctx.loaders.trackById.load(id),
  album: (_: unknown, { id }: Id, ctx: Context) => ctx.loaders.albumById.load(id),
  artist: (_: unknown, { id }: Id, ctx: Context) => ctx.loaders.artistById.load(id),
  library: (_: unknown, { id }: Id, ctx: Context) => ctx.loaders.libraryById.load(id),
  importJob: (_: unknown, { id }: Id, ctx: Context) => ctx.loaders.jobById.load(id),
  libraries: (_: unknown, __: unknown, ctx: Context) =>
    ctx.db.select().from(libraries).orderBy(libraries.name, libraries.id),
  tracks: (_: unknown, args: PageArgs & { filter?: TrackFilter | null; orderBy?: Order }, ctx: Context) => {
    for (const key of ['libraryId', 'artistId', 'albumId'] as const) requireId(key, args.filter?.[key]);
    return listTracks(ctx.db, args);
  },
  albums: (
    _: unknown,
    args: PageArgs & { filter?: { artistId?: string | null } | null; orderBy?: Order },
    ctx: Context,
  ) => {
    requireId('artistId', args.filter?.artistId);
    return listAlbums(ctx.db, args);
  },
  artists: (_: unknown, args: PageArgs & { filter?: { namePrefix?: string | null } | null }, ctx: Context) =>
    listArtists(ctx.db, args),
  importJobs: (_: unknown, args: PageArgs & { libraryId?: string | null }, ctx: Context) => {
    requireId('libraryId', args.libraryId);
    return listImportJobs(ctx.db, args);
  },
  search: async (_: unknown, { text, first }: { text: string; first: number }, ctx: Context) => {
    const hits = await search(ctx.db, text, first);
    // One batched load per type, whatever the number of hits.
    const loader = {
      Track: ctx.loaders.trackById,
      Album: ctx.loaders.albumById,
      Artist: ctx.loaders.artistById,
    };
    const nodes = await Promise.all(hits.map((h) => loader[h.type].load(h.id)));
    return hits.flatMap((h, i) =>
      nodes[i] ? [{ score: h.score, node: { ...nodes[i], __typename: h.type } }] : [],
    );
  },
};

export const SearchResult = {
  __resolveType: (node: { __typename: string }) => node.__typename,
};
