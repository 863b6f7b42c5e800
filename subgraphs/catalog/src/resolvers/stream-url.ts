import { MAX_QUERY_BITRATE, signStreamPath, type StreamFormat } from '@tonegraph/streaming';
import type { StreamUrlOptions } from '../context.ts';
import { badInput, userError } from '../errors.ts';

const FORMATS: Readonly<Record<string, StreamFormat>> = { ORIGINAL: 'raw', OPUS: 'opus', MP3: 'mp3' };

/** `Track.streamUrl`: a signed, relative URL of the gateway's stream route, valid for the configured time. */
export function streamUrl(
  trackId: string,
  args: { format?: string | null; maxBitRate?: number | null },
  options: StreamUrlOptions | undefined,
): string {
  if (!options) {
    throw userError(
      'STREAM_URLS_DISABLED',
      'Stream URLs are not available: the server has no STREAM_SECRET to sign them with',
    );
  }
  const format = FORMATS[args.format ?? 'ORIGINAL'] ?? 'raw';
  const maxBitRate = args.maxBitRate ?? undefined;
  if (maxBitRate !== undefined && (maxBitRate < 0 || maxBitRate > MAX_QUERY_BITRATE)) {
    throw badInput(`"maxBitRate" must be 0 to ${MAX_QUERY_BITRATE} kb/s`);
  }
  return signStreamPath(options.secret, {
    trackId,
    // 0 is "no limit", as the stream route reads it.
    request: { format, maxBitRate: maxBitRate || undefined },
    expiresAt: new Date(Date.now() + options.ttlSeconds * 1000),
  });
}
