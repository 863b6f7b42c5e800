import { channelWeights, kWeightingFilters } from './k-weighting.ts';
import { ABSOLUTE_GATE_LUFS, gatedLoudness, LoudnessHistogram, loudnessRange } from './histogram.ts';
import type { GatingHistogram } from '../types.ts';

export interface LoudnessResult {
  readonly integratedLufs: number | null;
  readonly loudnessRangeLu: number;
  readonly samplePeak: number;
  readonly gatingHistogram: GatingHistogram;
}

/** Width of the public gating-histogram bins (and so of an album's gate decisions). */
export const GATING_HISTOGRAM_STEP_LU = 0.1;

// Internal bins are 100x finer than the public ones: the track's own
// integrated loudness and LRA are then exact to 0.01 LU.
const FINE_STEP_LU = 0.01;
const MAX_LUFS = 10;

/**
 * Streaming BS.1770-4 / EBU R128 meter: K-weighting, 400 ms momentary
 * blocks every 100 ms (75 % overlap) into a gating histogram, 3 s
 * short-term blocks every 100 ms into an LRA histogram, and the sample
 * peak. State is a few fixed arrays whatever the track length.
 */
export class LoudnessMeter {
  readonly #channels: number;
  readonly #weights: number[];
  readonly #filters: ReturnType<typeof kWeightingFilters>;
  /** Per channel: x1 x2 y1 y2 of the shelf, then y1 y2 of the high-pass (its x history is stage 1's output). */
  readonly #state: Float64Array;
  readonly #subBlockFrames: number;
  #subBlockFill = 0;
  #subBlockEnergy = 0;
  /** Energies (sum of weighted squares) of the last 30 sub-blocks of 100 ms. */
  readonly #ring = new Float64Array(30);
  #subBlocks = 0;
  #scratch = new Float64Array(0);
  #samplePeak = 0;
  readonly momentary = new LoudnessHistogram(ABSOLUTE_GATE_LUFS, MAX_LUFS, FINE_STEP_LU);
  readonly shortTerm = new LoudnessHistogram(ABSOLUTE_GATE_LUFS, MAX_LUFS, FINE_STEP_LU);

  constructor(sampleRate: number, channels: number) {
    this.#channels = channels;
    this.#weights = channelWeights(channels);
    this.#filters = kWeightingFilters(sampleRate);
    this.#state = new Float64Array(channels * 8);
    this.#subBlockFrames = Math.round(sampleRate / 10);
  }

  /** Bytes held by the meter's state: constant, checked by the streaming tests. */
  get retainedBytes(): number {
    return (
      this.#state.byteLength +
      this.#ring.byteLength +
      this.#scratch.byteLength +
      2 * (this.momentary.counts.byteLength + this.shortTerm.counts.byteLength)
    );
  }

  /** Feeds interleaved frames. */
  push(samples: Float32Array): void {
    const ch = this.#channels;
    const frames = Math.floor(samples.length / ch);
    if (this.#scratch.length < frames) this.#scratch = new Float64Array(frames);
    const sq = this.#scratch;
    sq.fill(0, 0, frames);
    const [s, h] = this.#filters;
    let peak = this.#samplePeak;
    for (let c = 0; c < ch; c++) {
      const g = this.#weights[c]!;
      const o = c * 8;
      const st = this.#state;
      let x1 = st[o]!,
        x2 = st[o + 1]!,
        y1 = st[o + 2]!,
        y2 = st[o + 3]!,
        z1 = st[o + 4]!,
        z2 = st[o + 5]!;
      for (let i = 0, j = c; i < frames; i++, j += ch) {
        const x = samples[j]!;
        const ax = x < 0 ? -x : x;
        if (ax > peak) peak = ax;
        const y = s.b0 * x + s.b1 * x1 + s.b2 * x2 - s.a1 * y1 - s.a2 * y2;
        x2 = x1;
        x1 = x;
        const z = y - 2 * y1 + y2 - h.a1 * z1 - h.a2 * z2;
        y2 = y1;
        y1 = y;
        z2 = z1;
        z1 = z;
        sq[i]! += g * z * z;
      }
      st[o] = x1;
      st[o + 1] = x2;
      st[o + 2] = y1;
      st[o + 3] = y2;
      st[o + 4] = z1;
      st[o + 5] = z2;
    }
    this.#samplePeak = peak;
    let fill = this.#subBlockFill;
    let energy = this.#subBlockEnergy;
    const n = this.#subBlockFrames;
    for (let i = 0; i < frames; i++) {
      energy += sq[i]!;
      if (++fill === n) {
        this.#closeSubBlock(energy);
        fill = 0;
        energy = 0;
      }
    }
    this.#subBlockFill = fill;
    this.#subBlockEnergy = energy;
  }

  #closeSubBlock(energy: number): void {
    const ring = this.#ring;
    ring[this.#subBlocks % 30] = energy;
    this.#subBlocks++;
    const n = this.#subBlockFrames;
    if (this.#subBlocks >= 4) {
      let e = 0;
      for (let k = 1; k <= 4; k++) e += ring[(this.#subBlocks - k) % 30]!;
      this.momentary.add(e / (4 * n));
    }
    if (this.#subBlocks >= 30) {
      let e = 0;
      for (let k = 0; k < 30; k++) e += ring[k]!;
      this.shortTerm.add(e / (30 * n));
    }
  }

  finish(): LoudnessResult {
    return {
      integratedLufs: gatedLoudness(this.momentary, -10),
      loudnessRangeLu: loudnessRange(this.shortTerm),
      samplePeak: this.#samplePeak,
      gatingHistogram: this.momentary.toGatingHistogram(GATING_HISTOGRAM_STEP_LU),
    };
  }
}
