import type { MusicalKey } from '../types.ts';
import { SpectrumFramer } from './frames.ts';
import { chooseKey, LOWEST_PITCH, SEMITONES, SUB_BINS, type KeyChoice } from './key-choice.ts';
import { describeKey } from './key-names.ts';

const FRAME = 4096;
const HOP = 2048;
/** A best correlation below this is no tonality (noise, percussion, speech). */
const MIN_CORRELATION = 0.5;

/**
 * The probability that the key is exactly right, by logistic regression on
 * how clearly the best profile correlation beats the runner-up's (often the
 * relative or a fifth-related key), fitted on the evaluation set's tuning
 * half: of the held-out answers with confidence ≥ 0.8, at least 90 % are
 * right. (The correlation itself added nothing to the fit.)
 */
export function keyConfidence(margin: number): number {
  return 1 / (1 + Math.exp(-(-0.27 + 15.48 * margin)));
}

/**
 * Key from a chromagram: every FFT bin between C2 and C7 adds its
 * magnitude to a pitch spectrum of 10-cent bins, each frame normalised to
 * its loudest bin before summing (quiet passages count as much as loud
 * ones, silence not at all). At the end `chooseKey` estimates the tuning
 * from that spectrum, gathers it into semitones, suppresses overtones and
 * correlates the chroma with rotated key profiles. State: one frame and
 * 610 sums, whatever the length.
 */
export class KeyAnalyser {
  readonly #framer: SpectrumFramer;
  readonly #bins: Int32Array;
  readonly #fineIndex: Int32Array;
  readonly #fine = new Float64Array(SEMITONES * SUB_BINS);
  readonly #frameFine = new Float64Array(SEMITONES * SUB_BINS);

  constructor(rate: number) {
    const bins: number[] = [];
    const fine: number[] = [];
    for (let k = 1; k < FRAME / 2; k++) {
      const midi = 69 + 12 * Math.log2((k * rate) / FRAME / 440);
      const f = Math.floor((midi - (LOWEST_PITCH - 0.5)) * SUB_BINS);
      if (f < 0 || f >= SEMITONES * SUB_BINS) continue;
      bins.push(k);
      fine.push(f);
    }
    this.#bins = Int32Array.from(bins);
    this.#fineIndex = Int32Array.from(fine);
    this.#framer = new SpectrumFramer(FRAME, HOP, (power) => this.#onSpectrum(power));
  }

  get retainedBytes(): number {
    return (
      this.#framer.retainedBytes +
      this.#bins.byteLength +
      this.#fineIndex.byteLength +
      this.#fine.byteLength +
      this.#frameFine.byteLength
    );
  }

  push(mono: Float32Array): void {
    this.#framer.push(mono);
  }

  #onSpectrum(power: Float64Array): void {
    const ff = this.#frameFine;
    ff.fill(0);
    let max = 0;
    for (let i = 0; i < this.#bins.length; i++) {
      const f = this.#fineIndex[i]!;
      const v = (ff[f]! += power[this.#bins[i]!]!);
      if (v > max) max = v;
    }
    // About -100 dBFS for a full frame: below it the frame is silence or dither.
    if (max < 1e-7) return;
    for (let f = 0; f < ff.length; f++) if (ff[f]! > 0) this.#fine[f]! += Math.sqrt(ff[f]! / max);
  }

  /** The 10-cent pitch spectrum summed so far (for tuning the estimator and tests). */
  get pitchSpectrum(): Float64Array {
    return this.#fine;
  }

  /** The full choice, with tuning and chroma (for diagnostics and tests); null for silence. */
  choice(): KeyChoice | null {
    return chooseKey(this.#fine);
  }

  finish(): MusicalKey | null {
    const best = this.choice();
    if (!best || !(best.correlation >= MIN_CORRELATION)) return null;
    const confidence = keyConfidence(best.margin);
    return describeKey(best.tonic, best.mode, Math.round(confidence * 1000) / 1000);
  }
}
