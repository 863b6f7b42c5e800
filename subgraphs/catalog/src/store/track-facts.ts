/** How an artist is credited on a track, as the catalog stores it (`track_artists.role`). */
export type CreditRole = 'MAIN' | 'FEATURED';

/**
 * What the catalog needs from one audio file's tags and format: the
 * contract between the metadata reader (ingest) and the catalog's tables.
 */
export interface TrackTags {
  readonly title: string;
  /** In credit order. */
  readonly artists: readonly { readonly name: string; readonly role: CreditRole }[];
  readonly albumArtist: string | null;
  readonly album: string | null;
  readonly compilation: boolean;
  readonly discNumber: number | null;
  readonly trackNumber: number | null;
  readonly genres: readonly string[];
  readonly year: number | null;
  readonly isrc: string | null;
  readonly musicbrainz: {
    readonly recordingId: string | null;
    readonly trackId: string | null;
    readonly releaseId: string | null;
  };
  readonly format: {
    /** File-type family from the extension, lower case: `flac`, `mp3`, `m4a` … */
    readonly format: string;
    readonly codec: string | null;
    readonly container: string | null;
    readonly duration: number;
    readonly bitrate: number | null;
    readonly sampleRate: number | null;
    readonly channels: number | null;
    readonly bitsPerSample: number | null;
    readonly lossless: boolean;
  };
}

/** A file as found on disk, with what was read from it. */
export interface FileFacts {
  readonly libraryId: string;
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly contentHash: string;
  readonly meta: TrackTags;
}

/** A committed track, by the path it was read from. */
export interface SavedTrack {
  readonly id: string;
  readonly albumId: string | null;
}

/** A compilation's album belongs to no artist; otherwise to the tagged album artist or the first main artist. */
export const albumArtistOf = (meta: TrackTags): string | null =>
  meta.compilation ? null : (meta.albumArtist ?? meta.artists.find((a) => a.role === 'MAIN')?.name ?? null);

/** The key of an album within a batch: its title and album artist. */
export const albumKey = (title: string, artistId: string | null) => `${title}\0${artistId ?? ''}`;
