import type { Waveform } from '../types.ts';

/** Resolutions of the overviews stored with each analysis. */
export const WAVEFORM_RESOLUTIONS = [256, 1024, 4096] as const;
const HIGH_RES_BINS = 8192;

/**
 * Min/max overview at a fixed number of high-resolution bins (twice the
 * finest output). The track length is only a hint while streaming, so the
 * bin width starts from the container's duration and doubles (merging bin
 * pairs) whenever the audio runs past it: memory stays at 2 x 8192 floats
 * and a wrong hint costs resolution, never correctness.
 */
export class WaveformBuilder {
  readonly #channels: number;
  readonly #min = new Float32Array(HIGH_RES_BINS).fill(Infinity);
  readonly #max = new Float32Array(HIGH_RES_BINS).fill(-Infinity);
  #binFrames: number;
  #bin = 0;
  #fill = 0;

  constructor(channels: number, expectedFrames: number) {
    this.#channels = channels;
    this.#binFrames = Math.max(1, Math.ceil(expectedFrames / HIGH_RES_BINS));
  }

  get retainedBytes(): number {
    return this.#min.byteLength + this.#max.byteLength;
  }

  push(samples: Float32Array): void {
    const ch = this.#channels;
    const frames = Math.floor(samples.length / ch);
    let i = 0;
    while (i < frames) {
      if (this.#bin === HIGH_RES_BINS) this.#halve();
      const take = Math.min(frames - i, this.#binFrames - this.#fill);
      let lo = this.#min[this.#bin]!;
      let hi = this.#max[this.#bin]!;
      for (let j = i * ch, end = (i + take) * ch; j < end; j++) {
        const v = samples[j]!;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      this.#min[this.#bin] = lo;
      this.#max[this.#bin] = hi;
      i += take;
      this.#fill += take;
      if (this.#fill === this.#binFrames) {
        this.#bin++;
        this.#fill = 0;
      }
    }
  }

  #halve(): void {
    const half = HIGH_RES_BINS / 2;
    for (let k = 0; k < half; k++) {
      this.#min[k] = Math.min(this.#min[2 * k]!, this.#min[2 * k + 1]!);
      this.#max[k] = Math.max(this.#max[2 * k]!, this.#max[2 * k + 1]!);
    }
    this.#min.fill(Infinity, half);
    this.#max.fill(-Infinity, half);
    this.#bin = half;
    this.#binFrames *= 2;
  }

  finish(): Waveform[] {
    const used = this.#bin + (this.#fill > 0 ? 1 : 0);
    return WAVEFORM_RESOLUTIONS.map((points) => {
      const min = new Array<number>(points).fill(0);
      const max = new Array<number>(points).fill(0);
      if (used === 0) return { points, min, max };
      for (let p = 0; p < points; p++) {
        // Each point covers bins [a, b); with fewer bins than points a bin is repeated.
        const a = Math.floor((p * used) / points);
        const b = Math.max(a + 1, Math.floor(((p + 1) * used) / points));
        let lo = Infinity;
        let hi = -Infinity;
        for (let k = a; k < b; k++) {
          lo = Math.min(lo, this.#min[k]!);
          hi = Math.max(hi, this.#max[k]!);
        }
        min[p] = round(lo);
        max[p] = round(hi);
      }
      return { points, min, max };
    });
  }
}

/** Four decimals are plenty for drawing and keep the stored document small. */
const round = (v: number): number => Math.round(v * 1e4) / 1e4;
