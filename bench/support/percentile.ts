/** The `p`-th percentile (nearest rank) of ascending `sorted` values; NaN when there are none. */
export const pct = (sorted: readonly number[], p: number): number =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
