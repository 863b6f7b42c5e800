/**
 * What one analysis of one audio content produces. The analysis subgraph
 * stores it (one MongoDB document per content hash + analyser version) and
 * serves it; ingest's analysis stage produces it in the worker pool.
 */
export interface TrackAnalysis {
  /** Bumped whenever a change to the analysers changes their results. */
  readonly analyzerVersion: string;
  readonly durationSeconds: number;
  readonly sampleRate: number;
  /** Channels as laid out in the container (a dual-mono stereo file is 2). */
  readonly channels: number;
  readonly loudness: Loudness;
  readonly replayGain: ReplayGain;
  /** Null when the signal has no detectable beat (silence, drones). */
  readonly tempo: Tempo | null;
  /** Null when the signal has no detectable tonality. */
  readonly key: MusicalKey | null;
  /** Min/max peaks keyed by resolution (number of points). */
  readonly waveforms: readonly Waveform[];
  /**
   * The loudness histogram of the track's 400 ms gating blocks (EBU R128),
   * so an album's integrated loudness (ReplayGain album gain) can be
   * computed by summing the histograms of its tracks without decoding again.
   */
  readonly gatingHistogram: GatingHistogram;
}

export interface Loudness {
  /** ITU-R BS.1770-4 integrated loudness, LUFS; -Infinity is stored as null. */
  readonly integratedLufs: number | null;
  /** EBU Tech 3342 loudness range, LU. */
  readonly loudnessRangeLu: number;
  /** 4x oversampled true peak, dBTP (may exceed 0). */
  readonly truePeakDbtp: number | null;
  /** Highest absolute sample value, dBFS (may exceed 0). */
  readonly samplePeakDbfs: number | null;
}

export interface ReplayGain {
  /** ReplayGain 2.0 track gain against the -18 LUFS reference, dB. */
  readonly trackGainDb: number | null;
  /** Track peak as a linear amplitude (true peak). */
  readonly trackPeak: number;
}

export interface Tempo {
  readonly bpm: number;
  /** 0..1 */
  readonly confidence: number;
}

export type PitchClass = 'C' | 'C#' | 'D' | 'D#' | 'E' | 'F' | 'F#' | 'G' | 'G#' | 'A' | 'A#' | 'B';

export interface MusicalKey {
  readonly tonic: PitchClass;
  readonly mode: 'major' | 'minor';
  /** e.g. "A minor" */
  readonly name: string;
  /** Camelot wheel, e.g. "8A" */
  readonly camelot: string;
  /** Open Key notation, e.g. "1m" */
  readonly openKey: string;
  /** 0..1 */
  readonly confidence: number;
}

export interface Waveform {
  readonly points: number;
  /** Per point, the lowest sample of all channels, -1..1 (may exceed). */
  readonly min: readonly number[];
  /** Per point, the highest sample of all channels. */
  readonly max: readonly number[];
}

/**
 * Counts of gating blocks per loudness bin. Bin i covers
 * [minLufs + i*stepLu, minLufs + (i+1)*stepLu); blocks below minLufs
 * are below the absolute gate (-70 LUFS) and not counted.
 */
export interface GatingHistogram {
  readonly minLufs: number;
  readonly stepLu: number;
  readonly counts: readonly number[];
  /** Sum of the mean-square energies of the blocks in each bin, for an exact gated mean. */
  readonly energies: readonly number[];
}
