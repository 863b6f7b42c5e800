// Piscina worker: one task = decode + analyse one file in this thread.
// Errors are returned as data, because a thrown error loses its class and
// fields crossing the thread boundary and the pool must rebuild typed ones.
import { analyzeFile } from './analyze-file.ts';
import { ffmpegDecoder } from './decode/ffmpeg.ts';
import { hybridDecoder } from './decode/hybrid.ts';
import { libavDecoder } from './decode/libav.ts';
import type { Decoder } from './decode/types.ts';
import { wasmDecoder } from './decode/wasm.ts';
import { AnalysisTimeoutError, UndecodableAudioError } from './errors.ts';
import type { TempoOptions } from './analysers/tempo.ts';
import type { TrackAnalysis } from './types.ts';

export interface AnalysisTask {
  readonly path: string;
  readonly timeoutMs?: number | undefined;
  readonly maxFileBytes?: number | undefined;
  readonly maxDurationSeconds?: number | undefined;
  readonly tempo?: TempoOptions | undefined;
  readonly decoder: DecoderName;
  readonly wholeFile: boolean;
}

export type DecoderName = 'hybrid' | 'libav' | 'ffmpeg' | 'wasm';

const DECODERS: Readonly<Record<DecoderName, Decoder>> = {
  hybrid: hybridDecoder,
  libav: libavDecoder,
  ffmpeg: ffmpegDecoder,
  wasm: wasmDecoder,
};

export type AnalysisTaskResult =
  | { readonly ok: true; readonly analysis: TrackAnalysis }
  | { readonly ok: false; readonly kind: 'undecodable'; readonly reason: string }
  | { readonly ok: false; readonly kind: 'timeout' };

export default async function analyze(task: AnalysisTask): Promise<AnalysisTaskResult> {
  try {
    const analysis = await analyzeFile(task.path, {
      timeoutMs: task.timeoutMs,
      maxFileBytes: task.maxFileBytes,
      maxDurationSeconds: task.maxDurationSeconds,
      tempo: task.tempo,
      wholeFile: task.wholeFile,
      decoder: DECODERS[task.decoder],
    });
    return { ok: true, analysis };
  } catch (error) {
    if (error instanceof UndecodableAudioError)
      return { ok: false, kind: 'undecodable', reason: error.reason };
    if (error instanceof AnalysisTimeoutError) return { ok: false, kind: 'timeout' };
    throw error;
  }
}
