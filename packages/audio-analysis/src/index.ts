export type * from './types.ts';
export { analyzeFile, type AnalyzeFileOptions } from './analyze-file.ts';
export { createAnalysisPool, type AnalysisPool, type AnalysisPoolOptions } from './pool.ts';
export {
  AnalysisQueueFullError,
  AnalysisTimeoutError,
  AnalysisWorkerError,
  UndecodableAudioError,
  isPermanentAnalysisError,
} from './errors.ts';
export { albumLoudness, albumReplayGain, replayGainDb, REPLAY_GAIN_REFERENCE_LUFS } from './replay-gain.ts';
export {
  ANALYZER_VERSION,
  TrackAnalyser,
  type PcmFormat,
  type TrackAnalyserOptions,
} from './track-analyser.ts';
export { probeAudio, type AudioInfo } from './probe.ts';
export { ffmpegDecoder } from './decode/ffmpeg.ts';
export { wasmDecoder } from './decode/wasm.ts';
export { createLibavDecoder, decoderBinary, DEFAULT_DECODER_BINARY, libavDecoder } from './decode/libav.ts';
export { pcmDecoder } from './decode/pcm.ts';
export {
  createHybridDecoder,
  DEFAULT_WASM_MAX_SECONDS,
  hybridDecoder,
  type HybridDecoderOptions,
} from './decode/hybrid.ts';
export { DecoderFallbackError, type Decoder, type DecodeOptions } from './decode/types.ts';
export type { DecoderName } from './analysis.worker.ts';
export type { TempoOptions } from './analysers/tempo.ts';
export { describeKey } from './analysers/key-names.ts';
export { GATING_HISTOGRAM_STEP_LU } from './analysers/loudness.ts';
