// What a request gets: the original file or a transcode, and at which
// bitrate. A pure function, so the policy is tested on its own.
import type { StreamRequest, TrackFile } from './types.ts';

/** A transcode's target. */
export type TranscodeFormat = 'opus' | 'mp3';

/** What {@link planStream} decided. */
export type StreamPlan =
  | { readonly kind: 'original' }
  | {
      readonly kind: 'transcode';
      readonly format: TranscodeFormat;
      /** Target bitrate, kb/s, within {@link BITRATE_BOUNDS}. */
      readonly kbps: number;
      /** Seconds skipped at the start; 0 for none. */
      readonly timeOffset: number;
    };

/** Bitrate of a transcode when the request gives none, kb/s. */
export const DEFAULT_BITRATE = 128;

/** Bitrates each encoder is asked for, kb/s: below, speech-grade artefacts; above, nothing audible is gained. */
export const BITRATE_BOUNDS: Readonly<Record<TranscodeFormat, { min: number; max: number }>> = {
  opus: { min: 16, max: 256 },
  mp3: { min: 32, max: 320 },
};

/** An original within 5 % of the cap still counts as within it (VBR averages wander). */
const TOLERANCE = 1.05;

const clamp = (value: number, { min, max }: { min: number; max: number }) =>
  Math.min(max, Math.max(min, Math.round(value)));

/**
 * The original when the request says `raw`, or when it asks for the file's
 * own format, no time offset, and the file's bitrate is within the cap
 * (known, or no cap at all); otherwise a transcode at the requested bitrate
 * (default {@link DEFAULT_BITRATE}), clamped to the encoder's bounds.
 */
export function planStream(file: TrackFile, request: StreamRequest): StreamPlan {
  if (request.format === 'raw') return { kind: 'original' };
  const cap = request.maxBitRate;
  const timeOffset = request.timeOffset ?? 0;
  const sameFormat = file.format.toLowerCase() === request.format;
  const withinCap = cap === undefined || (file.bitrate !== null && file.bitrate <= cap * 1000 * TOLERANCE);
  if (sameFormat && withinCap && timeOffset === 0) return { kind: 'original' };
  const kbps = clamp(cap ?? DEFAULT_BITRATE, BITRATE_BOUNDS[request.format]);
  return { kind: 'transcode', format: request.format, kbps, timeOffset };
}
