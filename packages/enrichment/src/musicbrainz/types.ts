/** The parts of MusicBrainz's JSON (ws/2, fmt=json) that Tonegraph reads. */
export interface MbArtistCredit {
  readonly name: string;
  readonly joinphrase?: string;
  readonly artist: { readonly id: string; readonly name: string; readonly 'sort-name'?: string };
}

export interface MbMedium {
  readonly position?: number;
  readonly format?: string;
  readonly 'track-count'?: number;
}

export interface MbRelease {
  readonly id: string;
  readonly title: string;
  readonly status?: string | null;
  readonly date?: string | null;
  readonly country?: string | null;
  readonly 'track-count'?: number;
  readonly media?: readonly MbMedium[];
  readonly 'release-group'?: {
    readonly id: string;
    readonly title?: string;
    readonly 'primary-type'?: string | null;
  };
  readonly 'artist-credit'?: readonly MbArtistCredit[];
}

export interface MbRecording {
  readonly id: string;
  readonly title: string;
  /** Milliseconds. */
  readonly length?: number | null;
  /** Search relevance, 0–100 (search results only). */
  readonly score?: number;
  readonly 'artist-credit'?: readonly MbArtistCredit[];
  readonly releases?: readonly MbRelease[];
  readonly isrcs?: readonly string[];
}

export interface MbRecordingSearch {
  readonly count?: number;
  readonly recordings: readonly MbRecording[];
}

export interface MbIsrcLookup {
  readonly isrc: string;
  readonly recordings: readonly MbRecording[];
}
