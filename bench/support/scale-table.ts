// The scale benchmark's table: one row per library size and store, with the
// targets of issue 15 marked beside the figures (✓ met, ✗ missed).
import type { Load, Series } from './scale-measure.ts';

/** Everything measured at one size on one store. */
export interface MeasuredRow {
  readonly tracks: number;
  readonly variant: string;
  readonly label: string;
  readonly seedSeconds: { catalog: number; analysis: number; graph: number };
  readonly analysis: { entities: Series; byTempo: Series; harmonic: Series; stats: Series };
  readonly gateway: { sequential: Series; load: Load | undefined };
  /** Bytes on disk per track, and how each was measured. */
  readonly bytesPerTrack: { analysis?: number; catalog: number; graph?: number };
  readonly bytesHow: { analysis?: string; graph?: string };
  readonly dbStats: Record<string, number>;
  /** Tracks per second linked to content already analysed. */
  readonly linking: { tracks: number; seconds: number; rate: number; done: number } | undefined;
}

/** A variant that could not be seeded or measured at a size. */
export interface FailedRow {
  readonly tracks: number;
  readonly variant: string;
  readonly label: string;
  readonly error: string;
}

export type ScaleRow = MeasuredRow | FailedRow;

const failed = (r: ScaleRow): r is FailedRow => 'error' in r;

/** Targets at 100,000 tracks (issue 15). */
export const TARGETS = {
  entitiesP95Ms: 25,
  /** Entities p95 at most this many times its 1,000-track figure. */
  entitiesGrowth: 1.5,
  analysisQueryP95Ms: 100,
  listP95Ms: 150,
  listRps: 40,
  analysisKbPerTrack: 40,
  linkingPerSecond: 300,
} as const;

const mark = (ok: boolean) => (ok ? ' ✓' : ' ✗');

function ms(s: Series, targetP95: number): string {
  if (s.timedOutAfterMs !== undefined) return `> ${s.timedOutAfterMs / 1000} s${mark(false)}`;
  if (!s.requests) return 'n/a';
  const f = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(x < 10 ? 1 : 0)}`);
  return `${f(s.p50)} / ${f(s.p95)}${mark(s.p95 <= targetP95 && s.errors === 0)}${s.errors ? ` (${s.errors} err)` : ''}`;
}

const kb = (bytes: number | undefined, target?: number) =>
  bytes === undefined
    ? 'n/a'
    : `${(bytes / 1024).toFixed(1)}${target === undefined ? '' : mark(bytes / 1024 <= target)}`;

/** A markdown table of every row, targets in the header. */
export function scaleTable(rows: readonly ScaleRow[]): string {
  const measured = rows.filter((r): r is MeasuredRow => !failed(r));
  // The growth target compares with 1,000 tracks; a run without that size compares with its smallest.
  const smallest = Math.min(...measured.map((x) => x.tracks));
  const header = [
    'tracks',
    'store',
    `analysis \`_entities\` (50) p50 / p95 ms (≤ ${TARGETS.entitiesP95Ms}, ≤ ${TARGETS.entitiesGrowth}× at ${smallest.toLocaleString('en')})`,
    `\`tracksByTempo(first: 50)\` (≤ ${TARGETS.analysisQueryP95Ms})`,
    `\`harmonicMatches\` (≤ ${TARGETS.analysisQueryP95Ms})`,
    `\`analysisStats\` (≤ ${TARGETS.analysisQueryP95Ms})`,
    `gateway list page, sequential (≤ ${TARGETS.listP95Ms})`,
    `gateway list page req/s, 50 conns (≥ ${TARGETS.listRps})`,
    `analysis store KB/track (≤ ${TARGETS.analysisKbPerTrack})`,
    'catalog KB/track',
    'graph KB/track',
    `linking tracks/s (≥ ${TARGETS.linkingPerSecond})`,
  ];
  const lines = rows.map((r) => {
    if (failed(r))
      return [
        r.tracks.toLocaleString('en'),
        r.label,
        `failed: ${r.error.slice(0, 200)}`,
        ...Array<string>(header.length - 3).fill(''),
      ];
    const base = measured.find((b) => b.variant === r.variant && b.tracks === smallest);
    const e = r.analysis.entities;
    const grew =
      base && base !== r && e.requests && base.analysis.entities.requests
        ? e.p95 / base.analysis.entities.p95
        : undefined;
    const load = r.gateway.load;
    return [
      r.tracks.toLocaleString('en'),
      r.label,
      `${ms(e, TARGETS.entitiesP95Ms)}${grew === undefined ? '' : `, ${grew.toFixed(2)}×${mark(grew <= TARGETS.entitiesGrowth)}`}`,
      ms(r.analysis.byTempo, TARGETS.analysisQueryP95Ms),
      ms(r.analysis.harmonic, TARGETS.analysisQueryP95Ms),
      ms(r.analysis.stats, TARGETS.analysisQueryP95Ms),
      ms(r.gateway.sequential, TARGETS.listP95Ms),
      load
        ? `${load.rps.toFixed(1)}${mark(load.rps >= TARGETS.listRps && load.errors === 0)} (p95 ${load.p95.toFixed(0)} ms${load.errors ? `, ${load.errors} err` : ''})`
        : 'skipped',
      kb(r.bytesPerTrack.analysis, TARGETS.analysisKbPerTrack),
      kb(r.bytesPerTrack.catalog),
      kb(r.bytesPerTrack.graph),
      r.linking
        ? `${r.linking.rate.toFixed(0)}${mark(r.linking.rate >= TARGETS.linkingPerSecond)}`
        : 'skipped',
    ];
  });
  const row = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [row(header), row(header.map((_, i) => (i < 2 ? '---' : '---:'))), ...lines.map(row)].join('\n');
}
