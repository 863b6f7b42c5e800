import type { Album as AlbumRow, Artist as ArtistRow, Track as TrackRow } from '../db/columns.ts';
import type { ImportJobRow, LibraryRow } from '../db/schema.ts';
import type { Context } from '../context.ts';
import { badInput } from '../errors.ts';
import type { Credit } from '../loaders.ts';
import { listImportErrors, listTracks, type TrackFilter } from '../lists.ts';
import type { PageArgs } from '../pagination.ts';
import { streamUrl } from './stream-url.ts';

type Ref = { id: string };

export const Track = {
  __resolveReference: (ref: Ref, ctx: Context) => ctx.loaders.trackById.load(ref.id),
  artists: (t: TrackRow, _: unknown, ctx: Context) => ctx.loaders.creditsByTrack.load(t.id),
  album: (t: TrackRow, _: unknown, ctx: Context) =>
    t.albumId ? ctx.loaders.albumById.load(t.albumId) : null,
  albumArtist: (t: TrackRow, _: unknown, ctx: Context) =>
    t.albumArtistId ? ctx.loaders.artistById.load(t.albumArtistId) : null,
  library: (t: TrackRow, _: unknown, ctx: Context) => ctx.loaders.libraryById.load(t.libraryId),
  enrichment: (t: TrackRow) =>
    t.enrichmentStatus
      ? {
          status: t.enrichmentStatus.toUpperCase(),
          score: t.enrichmentScore,
          candidates: t.enrichmentCandidates ?? [],
          title: t.musicbrainzTitle,
          artistCredit: t.musicbrainzArtistCredit,
          artistIds: t.musicbrainzArtistIds ?? [],
          enrichedAt: t.enrichedAt,
        }
      : null,
  streamUrl: (t: TrackRow, args: { format?: string | null; maxBitRate?: number | null }, ctx: Context) =>
    streamUrl(t.id, args, ctx.streamUrls),
  file: (t: TrackRow) => ({
    path: t.filePath,
    size: t.fileSize,
    format: t.format,
    codec: t.codec,
    container: t.container,
    bitrate: t.bitrate,
    sampleRate: t.sampleRate,
    channels: t.channels,
    bitsPerSample: t.bitsPerSample,
    lossless: t.lossless,
    contentHash: t.contentHash,
    mtime: t.fileMtime,
  }),
};

export const TrackArtist = {
  artist: (c: Credit) => c.artist,
};

export const Album = {
  __resolveReference: (ref: Ref, ctx: Context) => ctx.loaders.albumById.load(ref.id),
  albumArtist: (a: AlbumRow, _: unknown, ctx: Context) =>
    a.albumArtistId ? ctx.loaders.artistById.load(a.albumArtistId) : null,
  tracks: (a: AlbumRow, _: unknown, ctx: Context) => ctx.loaders.tracksByAlbum.load(a.id),
  trackCount: (a: AlbumRow, _: unknown, ctx: Context) => ctx.loaders.trackCountByAlbum.load(a.id),
  coverArt: (a: AlbumRow, { size }: { size?: number | null }, ctx: Context) => {
    const width = size ?? 500;
    if (!Number.isInteger(width) || width < 1 || width > 1200) throw badInput('"size" must be 1 to 1200');
    return a.coverPath ? coverUrl(ctx.coverBaseUrl, a.coverPath) : null;
  },
};

/** The gateway URL of a stored cover: `<COVER_BASE_URL>/<file>`. */
export const coverUrl = (base: string, file: string): string =>
  `${base.replace(/\/+$/, '')}/${encodeURIComponent(file)}`;

export const Artist = {
  __resolveReference: (ref: Ref, ctx: Context) => ctx.loaders.artistById.load(ref.id),
  albums: (a: ArtistRow, _: unknown, ctx: Context) => ctx.loaders.albumsByArtist.load(a.id),
  trackCount: (a: ArtistRow, _: unknown, ctx: Context) => ctx.loaders.trackCountByArtist.load(a.id),
};

export const Library = {
  __resolveReference: (ref: Ref, ctx: Context) => ctx.loaders.libraryById.load(ref.id),
  trackCount: (l: LibraryRow, _: unknown, ctx: Context) => ctx.loaders.trackCountByLibrary.load(l.id),
  watch: (l: LibraryRow) => ({ mode: l.watchMode, reason: l.watchReason }),
  tracks: (
    l: LibraryRow,
    args: PageArgs & {
      filter?: TrackFilter | null;
      orderBy?: { field: string; direction?: 'ASC' | 'DESC' | null } | null;
    },
    ctx: Context,
  ) => listTracks(ctx.db, { ...args, filter: { ...args.filter, libraryId: l.id } }),
};

export const ImportJob = {
  __resolveReference: (ref: Ref, ctx: Context) => ctx.loaders.jobById.load(ref.id),
  library: (j: ImportJobRow, _: unknown, ctx: Context) => ctx.loaders.libraryById.load(j.libraryId),
  errors: (j: ImportJobRow, args: PageArgs, ctx: Context) => listImportErrors(ctx.db, j.id, args),
  analysis: (j: ImportJobRow) => ({
    total: j.analysisTotal,
    processed: j.analysisDone + j.analysisFailed,
    failed: j.analysisFailed,
  }),
};
