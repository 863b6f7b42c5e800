/**
 * Serving a track's audio over HTTP, shared by the gateway's `/stream` route
 * and the Subsonic service's `stream`/`download`: the original file with
 * Range and conditional requests, or an ffmpeg transcode to Opus or MP3; and
 * the signed URLs that let an `<audio>` element stream without a token.
 * No database access: the caller resolves the track to a {@link TrackFile}.
 */
export type { StreamFormat, StreamRequest, Streamer, TrackFile } from './types.ts';
export { STREAM_FORMATS } from './types.ts';
export { parseStreamRequest, StreamRequestError, MAX_QUERY_BITRATE } from './request.ts';
export { signStreamPath, verifyStreamSignature, STREAM_PATH, type SignatureCheck } from './signing.ts';
export { createStreamer, type StreamerOptions } from './streamer.ts';
export {
  planStream,
  BITRATE_BOUNDS,
  DEFAULT_BITRATE,
  type StreamPlan,
  type TranscodeFormat,
} from './plan.ts';
export { refuse as refuseStream } from './respond.ts';
export { ffmpegArgs } from './transcode.ts';
export { CONTENT_TYPES as AUDIO_CONTENT_TYPES } from './original.ts';
export { realPathInside, isInside, isTrackId } from './inside-root.ts';
