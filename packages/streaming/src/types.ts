import type { IncomingMessage, ServerResponse } from 'node:http';

/** What a track is streamed as: the original file (`raw`), or a transcode to Opus (in Ogg) or MP3. */
export type StreamFormat = 'raw' | 'opus' | 'mp3';

/** Every {@link StreamFormat}, in the order the docs list them. */
export const STREAM_FORMATS: readonly StreamFormat[] = ['raw', 'opus', 'mp3'];

/**
 * What a client asked for. `maxBitRate` is in kb/s (Subsonic's unit);
 * `timeOffset` in seconds, honoured by transcodes only (an original seeks
 * with Range requests).
 */
export interface StreamRequest {
  readonly format: StreamFormat;
  readonly maxBitRate?: number | undefined;
  readonly timeOffset?: number | undefined;
}

/** The file behind a track id, as the catalog resolved it (already checked to be inside its library's root). */
export interface TrackFile {
  readonly trackId: string;
  /** Absolute path of the file. */
  readonly path: string;
  /** Size in bytes, as cataloged. */
  readonly size: number;
  readonly mtime: Date | null;
  /** Container family as the catalog stores it (the file's extension): flac, mp3, m4a, ogg, opus, wav … */
  readonly format: string;
  /** Average bitrate in bits per second; null when unknown. */
  readonly bitrate: number | null;
  /** Seconds; null when unknown. */
  readonly duration: number | null;
}

/** Serves tracks' audio; one per process. */
export interface Streamer {
  /**
   * Answers one request: the original file (Range, ETag, Last-Modified,
   * 304/412/416 …) or a transcode streamed as ffmpeg produces it; 503 +
   * Retry-After past the transcode limit. Resolves once the response is
   * finished or the client has gone; never rejects.
   */
  serve(req: IncomingMessage, res: ServerResponse, file: TrackFile, request: StreamRequest): Promise<void>;
  /** Transcodes running now. */
  readonly activeTranscodes: number;
  /** Ends every running ffmpeg and waits for them to exit; idempotent. */
  close(): Promise<void>;
}
