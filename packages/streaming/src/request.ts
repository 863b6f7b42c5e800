import { STREAM_FORMATS, type StreamFormat, type StreamRequest } from './types.ts';

/** A stream request the client must fix (an HTTP 400; Subsonic error 10 or 0). */
export class StreamRequestError extends Error {
  override readonly name = 'StreamRequestError';
  /** `extensions.code` of the JSON error the gateway answers with. */
  readonly code = 'BAD_STREAM_REQUEST';
}

/** Largest maxBitRate accepted in a query, kb/s (higher values ask for nothing a codec offers). */
export const MAX_QUERY_BITRATE = 10_000;

/** The single value of a query parameter (express gives arrays for repeated ones). */
function single(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new StreamRequestError(`"${name}" must be given once`);
  return value;
}

const isFormat = (value: string): value is StreamFormat =>
  (STREAM_FORMATS as readonly string[]).includes(value);

/**
 * Parses `?format=&maxBitRate=&timeOffset=` (Subsonic's spellings: `format`
 * is `raw`, `mp3` or `opus`, case-insensitive; `maxBitRate` in kb/s, `0`
 * meaning no limit). Without `format`, a positive `maxBitRate` asks for MP3
 * (as Subsonic servers transcode by default) and nothing asks for the
 * original. Throws {@link StreamRequestError} on bad input.
 */
export function parseStreamRequest(query: Record<string, unknown>): StreamRequest {
  const formatText = single(query, 'format')?.toLowerCase();
  if (formatText !== undefined && !isFormat(formatText)) {
    throw new StreamRequestError(`"format" must be one of ${STREAM_FORMATS.join(', ')}, got "${formatText}"`);
  }
  const bitrateText = single(query, 'maxBitRate');
  let maxBitRate: number | undefined;
  if (bitrateText !== undefined) {
    if (!/^\d+$/.test(bitrateText) || Number(bitrateText) > MAX_QUERY_BITRATE) {
      throw new StreamRequestError(`"maxBitRate" must be a whole number of kb/s (0–${MAX_QUERY_BITRATE})`);
    }
    maxBitRate = Number(bitrateText) || undefined; // 0: no limit
  }
  const offsetText = single(query, 'timeOffset');
  let timeOffset: number | undefined;
  if (offsetText !== undefined) {
    timeOffset = Number(offsetText);
    if (!/^\d+(\.\d+)?$/.test(offsetText) || !Number.isFinite(timeOffset)) {
      throw new StreamRequestError('"timeOffset" must be a number of seconds, 0 or more');
    }
    timeOffset ||= undefined;
  }
  const format: StreamFormat = formatText ?? (maxBitRate === undefined ? 'raw' : 'mp3');
  return { format, maxBitRate, timeOffset };
}
