import type { MusicalKey } from '../types.ts';
import { SpectrumFramer } from './frames.ts';
import { describeKey } from './key-names.ts';

/** Krumhansl & Kessler (1982) probe-tone profiles, tonic first. */
const MAJOR = [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88];
const MINOR = [6.33, 2.68, 3.52, 5.38, 2.6, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17];

const FRAME = 4096;
const HOP = 2048;
/** C2 to C7: five octaves, where the harmony of most music lives. */
const MIN_HZ = 65.4;
const MAX_HZ = 2093;
/** A best correlation below this is no tonality (noise, percussion, speech). */
const MIN_CORRELATION = 0.5;

/**
 * Key by the Krumhansl–Schmuckler method: a chromagram summed over the
 * track, correlated with the 24 rotated major/minor profiles. Each FFT bin
 * between C2 and C7 adds its energy to its nearest pitch class, weighted
 * by how close it lies to the semitone's centre (bins halfway between two
 * semitones carry mostly leakage). Each frame is normalised before
 * summing, so quiet passages count as much as loud ones and silence not at
 * all. State: one frame and 12 sums.
 */
export class KeyAnalyser {
  readonly #framer: SpectrumFramer;
  readonly #bins: Int32Array;
  readonly #classes: Int32Array;
  readonly #weights: Float64Array;
  readonly #chroma = new Float64Array(12);
  readonly #frameChroma = new Float64Array(12);

  constructor(rate: number) {
    const bins: number[] = [];
    const classes: number[] = [];
    const weights: number[] = [];
    for (let k = 1; k < FRAME / 2; k++) {
      const hz = (k * rate) / FRAME;
      if (hz < MIN_HZ || hz > MAX_HZ) continue;
      const midi = 69 + 12 * Math.log2(hz / 440);
      const nearest = Math.round(midi);
      const cents = (midi - nearest) * 100;
      bins.push(k);
      classes.push(((nearest % 12) + 12) % 12);
      weights.push(Math.exp(-0.5 * (cents / 30) ** 2));
    }
    this.#bins = Int32Array.from(bins);
    this.#classes = Int32Array.from(classes);
    this.#weights = Float64Array.from(weights);
    this.#framer = new SpectrumFramer(FRAME, HOP, (power) => this.#onSpectrum(power));
  }

  get retainedBytes(): number {
    return this.#framer.retainedBytes + this.#bins.byteLength * 2 + this.#weights.byteLength + 2 * 96;
  }

  push(mono: Float32Array): void {
    this.#framer.push(mono);
  }

  #onSpectrum(power: Float64Array): void {
    const fc = this.#frameChroma;
    fc.fill(0);
    for (let i = 0; i < this.#bins.length; i++) {
      fc[this.#classes[i]!]! += this.#weights[i]! * power[this.#bins[i]!]!;
    }
    let max = 0;
    for (let c = 0; c < 12; c++) max = Math.max(max, fc[c]!);
    // About -100 dBFS for a full frame: below it the frame is silence or dither.
    if (max < 1e-7) return;
    for (let c = 0; c < 12; c++) this.#chroma[c]! += Math.sqrt(fc[c]! / max);
  }

  /** The chroma summed so far (for diagnostics and tests). */
  get chroma(): readonly number[] {
    return Array.from(this.#chroma);
  }

  finish(): MusicalKey | null {
    const chroma = this.#chroma;
    if (chroma.every((v) => v === 0)) return null;
    const scores: { tonic: number; mode: 'major' | 'minor'; r: number }[] = [];
    for (let tonic = 0; tonic < 12; tonic++) {
      scores.push({ tonic, mode: 'major', r: correlate(chroma, MAJOR, tonic) });
      scores.push({ tonic, mode: 'minor', r: correlate(chroma, MINOR, tonic) });
    }
    scores.sort((x, y) => y.r - x.r);
    const [best, second] = scores as [(typeof scores)[0], (typeof scores)[0]];
    if (!(best.r >= MIN_CORRELATION)) return null;
    // Half how well the profile fits, half how clearly it beats the runner-up (often the relative key).
    const confidence = 0.5 * best.r + 0.5 * Math.min(1, (best.r - second.r) / 0.15);
    return describeKey(best.tonic, best.mode, Math.round(confidence * 1000) / 1000);
  }
}

/** Pearson correlation of the chroma with a profile whose tonic sits at pitch class `tonic`. */
function correlate(chroma: Float64Array, profile: readonly number[], tonic: number): number {
  let mx = 0;
  let my = 0;
  for (let i = 0; i < 12; i++) {
    mx += chroma[i]!;
    my += profile[i]!;
  }
  mx /= 12;
  my /= 12;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < 12; i++) {
    const x = chroma[(i + tonic) % 12]! - mx;
    const y = profile[i]! - my;
    sxy += x * y;
    sxx += x * x;
    syy += y * y;
  }
  return sxx === 0 ? 0 : sxy / Math.sqrt(sxx * syy);
}
