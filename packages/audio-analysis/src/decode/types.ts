import type { PcmFormat } from '../track-analyser.ts';

export interface DecodeOptions {
  /** Aborting kills the decoder; the iteration then throws the signal's reason. */
  readonly signal?: AbortSignal;
  /**
   * Benchmark baseline only: buffer the whole decoded file, then yield it
   * as one chunk (what a non-streaming decoder does). Default false.
   */
  readonly wholeFile?: boolean;
  /** Stop with UndecodableAudioError past this many frames (a container that lies about its length). */
  readonly maxFrames?: number;
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
