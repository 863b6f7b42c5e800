import { KeyAnalyser } from './analysers/key.ts';
import { LoudnessMeter } from './analysers/loudness.ts';
import { MonoDecimator } from './analysers/mono.ts';
import { TempoAnalyser, type TempoOptions } from './analysers/tempo.ts';
import { TruePeakMeter } from './analysers/true-peak.ts';
import { WaveformBuilder } from './analysers/waveform.ts';
import { trackReplayGain } from './replay-gain.ts';
import type { TrackAnalysis } from './types.ts';

/** Lowest sample rate the analysers measure (K-weighting and tempo need it). */
export const MIN_SAMPLE_RATE = 8000;

/** Bumped whenever a change to the analysers changes their results (stored with each analysis). */
export const ANALYZER_VERSION = '1.1.0';

export interface PcmFormat {
  readonly sampleRate: number;
  readonly channels: number;
}

export interface TrackAnalyserOptions {
  /** Tempo search range. */
  readonly tempo?: TempoOptions | undefined;
  /** Expected length in frames (from the container), sizing the waveform bins; 0 if unknown. */
  readonly expectedFrames?: number | undefined;
}

/**
 * Every analyser of a track, fed the same interleaved float32 chunks as
 * they are decoded. Nothing here keeps PCM beyond one analysis frame.
 */
export class TrackAnalyser {
  readonly format: PcmFormat;
  #frames = 0;
  readonly #loudness: LoudnessMeter;
  readonly #truePeak: TruePeakMeter;
  readonly #waveform: WaveformBuilder;
  readonly #tempo: TempoAnalyser;
  readonly #key: KeyAnalyser;
  readonly #mono: MonoDecimator;

  constructor(format: PcmFormat, options: TrackAnalyserOptions = {}) {
    if (!(format.channels >= 1 && format.sampleRate >= MIN_SAMPLE_RATE)) {
      throw new RangeError(`unsupported PCM format ${format.sampleRate} Hz x ${format.channels}`);
    }
    this.format = format;
    this.#loudness = new LoudnessMeter(format.sampleRate, format.channels);
    this.#truePeak = new TruePeakMeter(format.channels);
    this.#waveform = new WaveformBuilder(format.channels, options.expectedFrames ?? 0);
    const decimatedRate = format.sampleRate / Math.max(1, Math.round(format.sampleRate / 11025));
    this.#tempo = new TempoAnalyser(decimatedRate, options.tempo);
    this.#key = new KeyAnalyser(decimatedRate);
    this.#mono = new MonoDecimator(format.sampleRate, format.channels, [
      (m) => this.#tempo.push(m),
      (m) => this.#key.push(m),
    ]);
  }

  /** Frames fed so far. */
  get frames(): number {
    return this.#frames;
  }

  /** Bytes of typed-array state held across chunks: bounded, independent of track length. */
  get retainedBytes(): number {
    return (
      this.#loudness.retainedBytes +
      this.#truePeak.retainedBytes +
      this.#waveform.retainedBytes +
      this.#tempo.retainedBytes +
      this.#key.retainedBytes
    );
  }

  /** Feeds interleaved frames; the array may be reused by the caller afterwards. */
  push(samples: Float32Array): void {
    if (samples.length % this.format.channels !== 0) {
      throw new RangeError('chunk is not a whole number of frames');
    }
    this.#frames += samples.length / this.format.channels;
    this.#loudness.push(samples);
    this.#truePeak.push(samples);
    this.#waveform.push(samples);
    this.#mono.push(samples);
  }

  finish(): TrackAnalysis {
    const loudness = this.#loudness.finish();
    const truePeak = Math.max(this.#truePeak.finish(), loudness.samplePeak);
    const db = (linear: number): number | null => (linear > 0 ? round2(20 * Math.log10(linear)) : null);
    return {
      analyzerVersion: ANALYZER_VERSION,
      durationSeconds: Math.round((this.#frames / this.format.sampleRate) * 1000) / 1000,
      sampleRate: this.format.sampleRate,
      channels: this.format.channels,
      loudness: {
        integratedLufs: loudness.integratedLufs === null ? null : round2(loudness.integratedLufs),
        loudnessRangeLu: round2(loudness.loudnessRangeLu),
        truePeakDbtp: db(truePeak),
        samplePeakDbfs: db(loudness.samplePeak),
      },
      replayGain: trackReplayGain(loudness.integratedLufs, truePeak),
      tempo: this.#tempo.finish(),
      key: this.#key.finish(),
      waveforms: this.#waveform.finish(),
      gatingHistogram: loudness.gatingHistogram,
    };
  }
}

const round2 = (v: number): number => Math.round(v * 100) / 100;
