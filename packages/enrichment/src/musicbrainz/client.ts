import type { HostClient } from '../http/host-client.ts';
import type { MbIsrcLookup, MbRecording, MbRecordingSearch } from './types.ts';

/** What a search may use; every field is optional but a title is needed to search at all. */
export interface RecordingQuery {
  readonly title: string;
  readonly artist?: string;
  readonly album?: string;
  readonly durationMs?: number;
}

/** MusicBrainz ws/2 calls, through a rate-limited, cached host client. */
export interface MusicBrainzClient {
  /** A recording by MBID with its releases and artist credits; undefined when unknown. */
  recording(mbid: string): Promise<MbRecording | undefined>;
  /** The recordings carrying an ISRC; empty when unknown. */
  isrc(isrc: string): Promise<readonly MbRecording[]>;
  /** A Lucene search on title, artist, album and duration (±`durationToleranceMs`). */
  search(query: RecordingQuery, limit?: number): Promise<readonly MbRecording[]>;
}

/** Quotes a value for a Lucene phrase query. */
export function luceneEscape(value: string): string {
  return value.replace(/([+\-!(){}[\]^"~*?:\\/]|&&|\|\|)/g, '\\$1');
}

/** The `query=` of a recording search. */
export function recordingSearchQuery(q: RecordingQuery, durationToleranceMs = 3000): string {
  const parts = [`recording:"${luceneEscape(q.title)}"`];
  if (q.artist) parts.push(`artist:"${luceneEscape(q.artist)}"`);
  if (q.album) parts.push(`release:"${luceneEscape(q.album)}"`);
  if (q.durationMs !== undefined && q.durationMs > 0) {
    const lo = Math.max(0, Math.round(q.durationMs - durationToleranceMs));
    const hi = Math.round(q.durationMs + durationToleranceMs);
    parts.push(`dur:[${lo} TO ${hi}]`);
  }
  return parts.join(' AND ');
}

export function createMusicBrainzClient(host: HostClient, cacheTtlSeconds: number): MusicBrainzClient {
  const opts = { cacheTtlSeconds };
  return {
    recording: (mbid) =>
      host.getJson<MbRecording>(
        `/ws/2/recording/${encodeURIComponent(mbid)}?inc=releases+artist-credits+media+isrcs&fmt=json`,
        opts,
      ),
    async isrc(isrc) {
      const found = await host.getJson<MbIsrcLookup>(
        `/ws/2/isrc/${encodeURIComponent(isrc.toUpperCase())}?inc=releases+artist-credits&fmt=json`,
        opts,
      );
      return found?.recordings ?? [];
    },
    async search(query, limit = 10) {
      const q = encodeURIComponent(recordingSearchQuery(query));
      const found = await host.getJson<MbRecordingSearch>(
        `/ws/2/recording?query=${q}&limit=${limit}&fmt=json`,
        opts,
      );
      return found?.recordings ?? [];
    },
  };
}
