import type { Tempo } from '../types.ts';
import { SpectrumFramer } from './frames.ts';

export interface TempoOptions {
  /** Slowest tempo reported, BPM; default 70. */
  readonly minBpm?: number;
  /** Fastest tempo reported, BPM; default 180. */
  readonly maxBpm?: number;
}

const FRAME = 512;
const HOP = 128;
/** Periods scored per candidate: more multiples sharpen the BPM estimate. */
const MULTIPLES = 4;
/** A confidence below this is reported as no beat. */
const MIN_CONFIDENCE = 0.15;
/**
 * Least variance of the onset envelope (sum over 256 bins of log-magnitude
 * rises) that counts as onsets: a steady tone measures ~0.4, white noise
 * ~70, a beat pattern 40 dB down still ~700.
 */
const MIN_ENVELOPE_VARIANCE = 6;
/** Half-period autocorrelation, relative to the whole-period one, above which the tempo is doubled. */
const OFFBEAT_RATIO = 0.25;

/**
 * Tempo from the autocorrelation of an onset-strength envelope, computed
 * online. The envelope is the half-wave rectified spectral flux of
 * log-compressed spectra (512-point frames, hop 128 at ~11 kHz, ~86 Hz),
 * high-passed by subtracting a slow moving average. Each envelope value is
 * multiplied with the previous `maxLag` ones into a running autocorrelation,
 * so the state is one ring buffer and one sum per lag, whatever the length.
 * At the end every tempo on a 0.05 BPM grid is scored with a comb over the
 * first four multiples of its period (linear interpolation between lags),
 * then doubled when the envelope also repeats at half the period (see below).
 */
export class TempoAnalyser {
  readonly #minBpm: number;
  readonly #maxBpm: number;
  readonly #envelopeRate: number;
  readonly #maxLag: number;
  readonly #framer: SpectrumFramer;
  #previous: Float64Array | null = null;
  #logSpectrum: Float64Array;
  #mean = 0;
  readonly #meanAlpha: number;
  readonly #ring: Float64Array;
  readonly #acf: Float64Array;
  #frames = 0;
  #flux = 0;

  constructor(rate: number, options: TempoOptions = {}) {
    this.#minBpm = options.minBpm ?? 70;
    this.#maxBpm = options.maxBpm ?? 180;
    if (!(this.#minBpm > 0 && this.#maxBpm > this.#minBpm))
      throw new RangeError('tempo range must be 0 < minBpm < maxBpm');
    this.#envelopeRate = rate / HOP;
    this.#maxLag = Math.ceil(((60 * this.#envelopeRate) / this.#minBpm) * MULTIPLES) + 2;
    this.#ring = new Float64Array(this.#maxLag + 1);
    this.#acf = new Float64Array(this.#maxLag + 1);
    this.#logSpectrum = new Float64Array(FRAME / 2 + 1);
    // About 1.5 s time constant: removes the envelope's slow level changes, keeps beats.
    this.#meanAlpha = 1 / (1.5 * this.#envelopeRate);
    this.#framer = new SpectrumFramer(FRAME, HOP, (power) => this.#onSpectrum(power));
  }

  get retainedBytes(): number {
    return (
      this.#framer.retainedBytes +
      this.#ring.byteLength +
      this.#acf.byteLength +
      2 * this.#logSpectrum.byteLength
    );
  }

  push(mono: Float32Array): void {
    this.#framer.push(mono);
  }

  #onSpectrum(power: Float64Array): void {
    const log = this.#logSpectrum;
    let flux = 0;
    for (let k = 1; k < power.length; k++) log[k] = Math.log1p(1e3 * Math.sqrt(power[k]!));
    const prev = this.#previous;
    if (prev) {
      for (let k = 1; k < power.length; k++) {
        const d = log[k]! - prev[k]!;
        if (d > 0) flux += d;
      }
      prev.set(log);
    } else {
      this.#previous = Float64Array.from(log);
      return;
    }
    this.#flux += flux;
    // Seeded with the first value: from 0 the average would take seconds to settle, and that
    // decaying offset correlates with itself at every lag, faking a beat in noise.
    if (this.#frames === 0) this.#mean = flux;
    this.#mean += this.#meanAlpha * (flux - this.#mean);
    const v = flux - this.#mean;
    const ring = this.#ring;
    const size = ring.length;
    const t = this.#frames;
    ring[t % size] = v;
    const lags = Math.min(this.#maxLag, t);
    const acf = this.#acf;
    for (let l = 0; l <= lags; l++) acf[l]! += v * ring[(t - l) % size]!;
    this.#frames++;
  }

  finish(): Tempo | null {
    const n = this.#frames;
    if (n < 16 || this.#flux === 0) return null;
    // Unbiased autocorrelation normalised to lag 0: short tracks have few products at long lags.
    const a = new Float64Array(this.#maxLag + 1);
    for (let l = 0; l <= this.#maxLag; l++) a[l] = n - l > 8 ? this.#acf[l]! / (n - l) : 0;
    const a0 = a[0]!;
    // A steady tone's envelope only wobbles with the frame phase: periodic, but no onsets.
    if (!(a0 > MIN_ENVELOPE_VARIANCE)) return null;
    for (let l = 0; l < a.length; l++) a[l]! /= a0;
    const usable = Math.min(this.#maxLag, Math.floor(n / 2));
    const at = (lag: number): number => {
      const i = Math.floor(lag);
      const f = lag - i;
      return (a[i] ?? 0) * (1 - f) + (a[i + 1] ?? 0) * f;
    };
    const score = (bpm: number): number => {
      const period = (60 * this.#envelopeRate) / bpm;
      let s = 0;
      let m = 0;
      for (let k = 1; k <= MULTIPLES && k * period <= usable; k++, m++) s += at(k * period);
      return m === 0 ? -Infinity : s / m;
    };
    const step = 0.05;
    let best = this.#minBpm;
    let bestScore = -Infinity;
    for (let bpm = this.#minBpm; bpm <= this.#maxBpm + 1e-9; bpm += step) {
      const s = score(bpm);
      if (s > bestScore) {
        bestScore = s;
        best = bpm;
      }
    }
    // Octave errors: a comb at twice the period also fits every other beat, so the slower of two
    // tempi an octave apart often scores best. The beats it skips decide: if the envelope repeats
    // at the half and one-and-a-half periods nearly as much as at the whole ones, they are beats.
    const faster = best * 2;
    if (faster <= this.#maxBpm) {
      const period = (60 * this.#envelopeRate) / best;
      const odd = at(period / 2) + at(1.5 * period);
      const even = at(period) + at(2 * period);
      if (even > 0 && odd >= OFFBEAT_RATIO * even) best = faster;
    }
    best = this.#refine(score, best, step);
    bestScore = score(best);
    const confidence = Math.max(0, Math.min(1, bestScore));
    if (confidence < MIN_CONFIDENCE) return null;
    return { bpm: Math.round(best * 100) / 100, confidence: Math.round(confidence * 1000) / 1000 };
  }

  /** Parabolic interpolation of the score around a grid point. */
  #refine(score: (bpm: number) => number, bpm: number, step: number): number {
    let b = bpm;
    // Climb to the local maximum first: a multiplied tempo lands near, not on, its peak.
    for (let i = 0; i < 200; i++) {
      if (b + step <= this.#maxBpm && score(b + step) > score(b)) b += step;
      else if (b - step >= this.#minBpm && score(b - step) > score(b)) b -= step;
      else break;
    }
    b = Math.min(this.#maxBpm, Math.max(this.#minBpm, b));
    const l = score(b - step);
    const c = score(b);
    const r = score(b + step);
    const d = l - 2 * c + r;
    const offset = d < 0 ? (0.5 * (l - r)) / d : 0;
    return Math.min(this.#maxBpm, Math.max(this.#minBpm, b + Math.max(-0.5, Math.min(0.5, offset)) * step));
  }
}
