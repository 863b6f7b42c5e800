import type { GatingHistogram } from '../types.ts';

/** Loudness of a mean-square energy, BS.1770 (the -0.691 offset cancels the K-filter's gain at 1 kHz). */
export const lufsOf = (meanSquare: number): number => -0.691 + 10 * Math.log10(meanSquare);

/** Mean square energy whose loudness is `lufs`. */
export const energyOf = (lufs: number): number => 10 ** ((lufs + 0.691) / 10);

export const ABSOLUTE_GATE_LUFS = -70;

/**
 * A loudness histogram of blocks above the absolute gate with the exact
 * energy sum of each bin, so gated means are exact up to which bins the
 * relative gate keeps. Fixed size: memory does not depend on track length.
 * Blocks louder than the top bin are counted in it (their energy stays exact).
 */
export class LoudnessHistogram {
  readonly minLufs: number;
  readonly stepLu: number;
  readonly counts: Float64Array;
  readonly energies: Float64Array;
  readonly #minEnergy: number;

  constructor(minLufs: number, maxLufs: number, stepLu: number) {
    this.minLufs = minLufs;
    this.stepLu = stepLu;
    const bins = Math.round((maxLufs - minLufs) / stepLu);
    this.counts = new Float64Array(bins);
    this.energies = new Float64Array(bins);
    this.#minEnergy = energyOf(minLufs);
  }

  add(meanSquare: number): void {
    if (!(meanSquare >= this.#minEnergy)) return;
    const i = Math.min(this.counts.length - 1, Math.floor((lufsOf(meanSquare) - this.minLufs) / this.stepLu));
    this.counts[i]! += 1;
    this.energies[i]! += meanSquare;
  }

  /** Re-bins into the coarser public form, trailing empty bins dropped (a Mongo document stays small). */
  toGatingHistogram(stepLu: number): GatingHistogram {
    const factor = Math.round(stepLu / this.stepLu);
    const n = Math.ceil(this.counts.length / factor);
    const counts = new Array<number>(n).fill(0);
    const energies = new Array<number>(n).fill(0);
    for (let i = 0; i < this.counts.length; i++) {
      const j = Math.floor(i / factor);
      counts[j]! += this.counts[i]!;
      energies[j]! += this.energies[i]!;
    }
    let last = n;
    while (last > 0 && counts[last - 1] === 0) last--;
    return {
      minLufs: this.minLufs,
      stepLu: this.stepLu * factor,
      counts: counts.slice(0, last),
      energies: energies.slice(0, last),
    };
  }
}

/**
 * BS.1770-4 gated loudness over histogram bins: the mean energy of the
 * blocks at or above (mean of all counted blocks + `relativeGateLu`), in
 * LUFS. A bin straddling the relative gate is kept when its own mean is
 * at or above it. Null when no block passes (silence).
 */
export function gatedLoudness(
  h: { readonly counts: ArrayLike<number>; readonly energies: ArrayLike<number> },
  relativeGateLu = -10,
): number | null {
  let n = 0;
  let e = 0;
  for (let i = 0; i < h.counts.length; i++) {
    n += h.counts[i]!;
    e += h.energies[i]!;
  }
  if (n === 0) return null;
  const gate = energyOf(lufsOf(e / n) + relativeGateLu);
  let gn = 0;
  let ge = 0;
  for (let i = 0; i < h.counts.length; i++) {
    const c = h.counts[i]!;
    if (c > 0 && h.energies[i]! / c >= gate) {
      gn += c;
      ge += h.energies[i]!;
    }
  }
  return gn === 0 ? null : lufsOf(ge / gn);
}

/**
 * EBU Tech 3342 loudness range from a histogram of short-term (3 s)
 * loudness values: the spread between the 10th and 95th percentiles of the
 * values within 20 LU of their (energy) mean. 0 when there are too few.
 */
export function loudnessRange(h: LoudnessHistogram): number {
  let n = 0;
  let e = 0;
  for (let i = 0; i < h.counts.length; i++) {
    n += h.counts[i]!;
    e += h.energies[i]!;
  }
  if (n === 0) return 0;
  const gate = lufsOf(e / n) - 20;
  const first = Math.max(0, Math.floor((gate - h.minLufs) / h.stepLu));
  let kept = 0;
  for (let i = first; i < h.counts.length; i++) kept += h.counts[i]!;
  if (kept < 2) return 0;
  // Same rank rule as libebur128: index round((n - 1) * p) of the sorted values.
  const percentile = (p: number): number => {
    const rank = Math.floor((kept - 1) * p + 0.5);
    let seen = 0;
    for (let i = first; i < h.counts.length; i++) {
      seen += h.counts[i]!;
      if (seen > rank) return lufsOf(h.energies[i]! / h.counts[i]!);
    }
    return h.minLufs + h.counts.length * h.stepLu;
  };
  return Math.max(0, percentile(0.95) - percentile(0.1));
}
