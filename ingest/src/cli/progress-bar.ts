/** What the bar shows: an import job's counters. */
export interface Progress {
  readonly status: string;
  readonly total: number;
  readonly processed: number;
  readonly failed: number;
  readonly skipped: number;
  /** The audio analysis stage, when the platform analyses audio. */
  readonly analysis?: { readonly total: number; readonly processed: number; readonly failed: number };
}

export interface ProgressBar {
  update(progress: Progress): void;
  /** Prints the final line. */
  done(progress: Progress): void;
}

const WIDTH = 28;
/** Rate over the last few seconds, so the ETA follows the current speed. */
const WINDOW_MS = 5000;

/**
 * One line, redrawn in place on a terminal (at most 10 times a second) and
 * printed every few seconds otherwise, with files/s and the time left.
 */
export function createProgressBar(out: NodeJS.WriteStream, label: string): ProgressBar {
  const samples: { at: number; processed: number }[] = [];
  const tty = out.isTTY;
  let lastDraw = 0;
  let stageName = '';

  const rate = () => {
    const first = samples[0];
    const last = samples.at(-1);
    if (!first || !last || last.at === first.at) return 0;
    return ((last.processed - first.processed) * 1000) / (last.at - first.at);
  };

  const line = (p: Progress) => {
    const fraction = p.total > 0 ? Math.min(1, p.processed / p.total) : 0;
    const filled = Math.round(fraction * WIDTH);
    const perSecond = rate();
    const { done, total } = activeStage(p);
    const left = total - done;
    const eta = perSecond > 0 && left > 0 ? ` ETA ${formatDuration(left / perSecond)}` : '';
    return (
      `${label} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${p.processed}/${p.total} ` +
      `${Math.floor(fraction * 100)}% ${perSecond.toFixed(0)} files/s${eta} ` +
      `failed ${p.failed} skipped ${p.skipped}${stage(p)} ${p.status}`
    );
  };

  return {
    update(p) {
      const now = Date.now();
      const stage = activeStage(p);
      // files/s and the ETA follow the stage in progress: reading, then analysing.
      if (stage.name !== stageName) samples.splice(0);
      stageName = stage.name;
      samples.push({ at: now, processed: stage.done });
      while (samples.length > 2 && samples[0]!.at < now - WINDOW_MS) samples.shift();
      if (now - lastDraw < (tty ? 100 : 3000)) return;
      lastDraw = now;
      out.write(tty ? `\r\x1b[2K${line(p)}` : `${line(p)}\n`);
    },
    done(p) {
      out.write(tty ? `\r\x1b[2K${line(p)}\n` : `${line(p)}\n`);
    },
  };
}

/** Reading the files until they are all read, then the analysis while it runs. */
function activeStage(p: Progress): { name: string; done: number; total: number } {
  const a = p.analysis;
  if (p.processed < p.total || !a || a.total === 0)
    return { name: 'read', done: p.processed, total: p.total };
  return { name: 'analyse', done: a.processed, total: a.total };
}

/** The analysis stage's part of the line, once it has work. */
function stage(p: Progress): string {
  const a = p.analysis;
  if (!a || a.total === 0) return '';
  return ` | analysed ${a.processed}/${a.total}${a.failed > 0 ? ` (${a.failed} failed)` : ''}`;
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
