import type { Waveform } from './documents.ts';

/** Most points a client may ask for. */
export const MAX_WAVEFORM_POINTS = 65_536;

/**
 * The waveform at `points` resolution: the smallest stored resolution that
 * has at least that many points, reduced by taking the min of mins and max
 * of maxes over each output point's span. When every stored resolution is
 * coarser, the finest one is returned as it is (fewer points than asked).
 */
export function waveformAt(stored: readonly Waveform[], points: number): Waveform | null {
  const sorted = [...stored].sort((a, b) => a.points - b.points);
  const source = sorted.find((w) => w.points >= points) ?? sorted.at(-1);
  if (!source) return null;
  if (source.points <= points) return { points: source.points, min: source.min, max: source.max };
  const min = new Array<number>(points);
  const max = new Array<number>(points);
  for (let i = 0; i < points; i++) {
    const from = Math.floor((i * source.points) / points);
    const to = Math.max(from + 1, Math.floor(((i + 1) * source.points) / points));
    let lo = Infinity;
    let hi = -Infinity;
    for (let j = from; j < to; j++) {
      lo = Math.min(lo, source.min[j] ?? 0);
      hi = Math.max(hi, source.max[j] ?? 0);
    }
    min[i] = lo;
    max[i] = hi;
  }
  return { points, min, max };
}
