import { AnalysisTimeoutError, UndecodableAudioError } from './errors.ts';
import { ffmpegDecoder } from './decode/ffmpeg.ts';
import { hybridDecoder } from './decode/hybrid.ts';
import { DecoderFallbackError, type Decoder } from './decode/types.ts';
import { probeAudio, type AudioInfo } from './probe.ts';
import { TrackAnalyser, MIN_SAMPLE_RATE } from './track-analyser.ts';
import type { TempoOptions } from './analysers/tempo.ts';
import type { TrackAnalysis } from './types.ts';

export interface AnalyzeFileOptions {
  /** Aborting kills the decoder and rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
  /** Whole analysis deadline, decoder killed when it passes; default none. */
  readonly timeoutMs?: number | undefined;
  /** Larger files are rejected as UndecodableAudioError before decoding; default none. */
  readonly maxFileBytes?: number | undefined;
  /** Longer audio is rejected (from the headers, and again while decoding); default none. */
  readonly maxDurationSeconds?: number | undefined;
  /** Tempo search range; default 50–220 BPM. */
  readonly tempo?: TempoOptions | undefined;
  /** Decoder to use; default `hybridDecoder` (direct PCM, WASM for short files, else ffmpeg). */
  readonly decoder?: Decoder | undefined;
  /** Benchmark baseline: decode the whole file into memory before analysing. Default false. */
  readonly wholeFile?: boolean | undefined;
}

/**
 * Probes, decodes and analyses one file in the calling thread, streaming:
 * PCM flows from the decoder through every analyser chunk by chunk. The
 * worker pool runs this in its workers; call it directly only off the
 * event loop's critical path (it is CPU-bound).
 */
export async function analyzeFile(path: string, options: AnalyzeFileOptions = {}): Promise<TrackAnalysis> {
  const timeout = options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs);
  const signals = [options.signal, timeout].filter((s): s is AbortSignal => s !== undefined);
  const signal = signals.length > 0 ? AbortSignal.any(signals) : undefined;
  try {
    const info = await probeAudio(path, { signal });
    signal?.throwIfAborted();
    if (options.maxFileBytes !== undefined && info.bytes > options.maxFileBytes) {
      throw new UndecodableAudioError(
        path,
        `file is ${info.bytes} bytes, over the limit of ${options.maxFileBytes}`,
      );
    }
    if (options.maxDurationSeconds !== undefined && info.durationSeconds > options.maxDurationSeconds) {
      throw new UndecodableAudioError(
        path,
        `audio is ${info.durationSeconds.toFixed(0)} s long, over the limit of ${options.maxDurationSeconds} s`,
      );
    }
    // What the analysers cannot measure (e.g. random bytes a probe takes for 7350 Hz x 4) is not audio to us.
    if (!(info.channels >= 1 && info.sampleRate >= MIN_SAMPLE_RATE)) {
      throw new UndecodableAudioError(
        path,
        `unsupported audio format: ${info.sampleRate} Hz, ${info.channels} channels (at least ${MIN_SAMPLE_RATE} Hz)`,
      );
    }
    const decoder = options.decoder ?? hybridDecoder;
    try {
      return await decodeAndAnalyse(path, info, decoder, options, signal);
    } catch (error) {
      // A fast in-process decoder gave up midway: start again with ffmpeg, fresh analysers.
      if (!(error instanceof DecoderFallbackError)) throw error;
      signal?.throwIfAborted();
      return await decodeAndAnalyse(path, info, ffmpegDecoder, options, signal);
    }
  } catch (error) {
    if (timeout?.aborted && !options.signal?.aborted) {
      throw new AnalysisTimeoutError(path, options.timeoutMs!, { cause: error });
    }
    throw error;
  }
}

async function decodeAndAnalyse(
  path: string,
  info: AudioInfo,
  decoder: Decoder,
  options: AnalyzeFileOptions,
  signal: AbortSignal | undefined,
): Promise<TrackAnalysis> {
  const format = { sampleRate: info.sampleRate, channels: info.channels };
  const analyser = new TrackAnalyser(format, {
    tempo: options.tempo,
    expectedFrames: Math.round(info.durationSeconds * info.sampleRate),
  });
  const pcm = decoder.decode(path, format, {
    signal,
    wholeFile: options.wholeFile,
    source: info,
    maxFrames:
      options.maxDurationSeconds === undefined
        ? undefined
        : Math.ceil(options.maxDurationSeconds * 1.05 * info.sampleRate) + info.sampleRate,
  });
  for await (const chunk of pcm) {
    analyser.push(chunk);
    // Analysis is synchronous per chunk; check between chunks so a timeout stops CPU work too.
    signal?.throwIfAborted();
  }
  const decodedSeconds = analyser.frames / info.sampleRate;
  if (info.exactDuration && decodedSeconds < 0.9 * info.durationSeconds - 0.5) {
    // ffmpeg exits 0 on a file cut short; the container's own length tells.
    throw new UndecodableAudioError(
      path,
      `truncated: decoded ${decodedSeconds.toFixed(1)} s of ${info.durationSeconds.toFixed(1)} s`,
    );
  }
  return analyser.finish();
}
