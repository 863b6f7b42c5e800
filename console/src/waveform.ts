/**
 * Draws min/max peaks (−1…1) as one vertical line per canvas column. When a
 * track plays, the waveform is its progress bar: the columns before `played`
 * (a fraction 0…1) take the `--wave-played` colour.
 */
export interface Peaks {
  readonly min: readonly number[];
  readonly max: readonly number[];
}

export function drawWaveform(canvas: HTMLCanvasElement, peaks: Peaks, played = 0): void {
  const ratio = window.devicePixelRatio || 1;
  const width = Math.max(1, Math.round((canvas.clientWidth || 800) * ratio));
  const height = Math.max(1, Math.round((canvas.clientHeight || 160) * ratio));
  // Resizing clears and reallocates the canvas: only when its size changed (progress redraws often).
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const style = getComputedStyle(canvas);
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = style.getPropertyValue('--wave-bg').trim() || '#f4f4f8';
  ctx.fillRect(0, 0, width, height);
  const n = Math.min(peaks.min.length, peaks.max.length);
  if (n === 0) return;
  const mid = height / 2;
  const clamp = (v: number) => Math.max(-1, Math.min(1, v));
  const fg = style.getPropertyValue('--wave-fg').trim() || '#4453c4';
  const playedFg = style.getPropertyValue('--wave-played').trim() || '#d9480f';
  const playedUpTo = Number.isFinite(played) ? Math.round(Math.max(0, Math.min(1, played)) * width) : 0;
  for (let x = 0; x < width; x++) {
    ctx.fillStyle = x < playedUpTo ? playedFg : fg;
    // Columns that share points take their extremes, so no peak is lost when n > width.
    const from = Math.floor((x * n) / width);
    const to = Math.max(from + 1, Math.floor(((x + 1) * n) / width));
    let lo = 1;
    let hi = -1;
    for (let i = from; i < to && i < n; i++) {
      lo = Math.min(lo, clamp(peaks.min[i] ?? 0));
      hi = Math.max(hi, clamp(peaks.max[i] ?? 0));
    }
    const top = mid - hi * mid;
    const bottom = mid - lo * mid;
    ctx.fillRect(x, top, 1, Math.max(1, bottom - top));
  }
  ctx.fillStyle = style.getPropertyValue('--wave-axis').trim() || 'rgba(0,0,0,0.25)';
  ctx.fillRect(0, Math.floor(mid), width, 1);
}
