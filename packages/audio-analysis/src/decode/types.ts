import type { AudioInfo } from '../probe.ts';
import type { PcmFormat } from '../track-analyser.ts';

/** Float32 samples per yielded chunk (before the frame-alignment remainder). */
export const CHUNK_SAMPLES = 64 * 1024;

export interface DecodeOptions {
  /** Aborting kills the decoder; the iteration then throws the signal's reason. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Benchmark baseline only: buffer the whole decoded file, then yield it
   * as one chunk (what a non-streaming decoder does). Default false.
   */
  readonly wholeFile?: boolean | undefined;
  /** Stop with UndecodableAudioError past this many frames (a container that lies about its length). */
  readonly maxFrames?: number | undefined;
  /** What the prober found (container, codec, length): lets a decoder pick its way of decoding. */
  readonly source?: Pick<AudioInfo, 'container' | 'codec' | 'durationSeconds'> | undefined;
}

/**
 * Decodes a file to interleaved float32 PCM in `format` (the container's
 * channel count and rate), chunk by chunk. A yielded array is only valid
 * until the next one is requested: decoders reuse their buffers.
 */
export interface Decoder {
  readonly name: string;
  decode(path: string, format: PcmFormat, options?: DecodeOptions): AsyncIterable<Float32Array>;
}

/**
 * A fast in-process decoder gave up on a file after it had already yielded
 * audio (a decode error, an unexpected format): the analysis must start
 * again with ffmpeg, which `analyzeFile` does. Never a verdict on the file.
 */
export class DecoderFallbackError extends Error {
  override name = 'DecoderFallbackError';
}
