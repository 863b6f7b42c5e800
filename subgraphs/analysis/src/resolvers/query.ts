import { RELATION_WEIGHT } from '../camelot.ts';
import type { Context } from '../context.ts';
import { badInput, requireId, userError } from '../errors.ts';
import { countByTempo, computeStats, findByTempo, findHarmonicCandidates, type Stats } from '../queries.ts';
import { decodeTempoCursor, encodeTempoCursor, pageSize } from '../pagination.ts';

/** BPM values a query may name; anything beyond is a typo, not music. */
const MAX_BPM = 1000;
const MAX_TOLERANCE = 50;

function requireBpm(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0 || value > MAX_BPM)
    throw badInput(`"${name}" must be a BPM between 0 and ${MAX_BPM}, got ${value}`);
}

interface TempoArgs {
  min: number;
  max: number;
  first?: number | null;
  after?: string | null;
}

interface HarmonicArgs {
  trackId: string;
  bpmTolerance: number;
  first?: number | null;
}

export const Query = {
  tracksByTempo: async (_: unknown, args: TempoArgs, ctx: Context) => {
    requireBpm('min', args.min);
    requireBpm('max', args.max);
    if (args.min > args.max)
      throw badInput(`"min" (${args.min}) must not be greater than "max" (${args.max})`);
    const limit = pageSize(args.first, 20);
    const after = args.after ? decodeTempoCursor(args.after) : null;
    const docs = await findByTempo(ctx.store, { min: args.min, max: args.max, after, limit: limit + 1 });
    const page = docs.slice(0, limit);
    for (const d of page) ctx.loaders.trackById.prime(d._id, d);
    const edges = page.map((d) => ({
      cursor: encodeTempoCursor({ bpm: d.tempo?.bpm ?? 0, id: d._id }),
      node: { id: d._id },
    }));
    return {
      edges,
      pageInfo: { hasNextPage: docs.length > limit, endCursor: edges.at(-1)?.cursor ?? null },
      // Counted only when asked for.
      totalCount: () => countByTempo(ctx.store, args.min, args.max),
    };
  },

  harmonicMatches: async (_: unknown, args: HarmonicArgs, ctx: Context) => {
    requireId('trackId', args.trackId);
    const { bpmTolerance } = args;
    if (!Number.isFinite(bpmTolerance) || bpmTolerance <= 0 || bpmTolerance > MAX_TOLERANCE)
      throw badInput(
        `"bpmTolerance" must be more than 0 and at most ${MAX_TOLERANCE} percent, got ${bpmTolerance}`,
      );
    const limit = pageSize(args.first, 20);
    const ref = await ctx.loaders.trackById.load(args.trackId);
    if (!ref) throw userError('NOT_FOUND', `No analysis is known for track ${args.trackId}`);
    // A track awaiting a newer analyser still has its previous values: those serve.
    if (ref.status !== 'done' && !ref.analyzedAt)
      throw userError('ANALYSIS_NOT_READY', `The analysis of track ${args.trackId} is ${ref.status}`);
    if (!ref.tempo || !ref.key || limit === 0) return [];
    const bpm = ref.tempo.bpm;
    const spread = (bpm * bpmTolerance) / 100;
    const candidates = await findHarmonicCandidates(ctx.store, {
      excludeId: ref._id,
      camelot: ref.key.camelot,
      bpm,
      minBpm: bpm - spread,
      maxBpm: bpm + spread,
      limit,
    });
    const matches = candidates.map(({ track, relation }) => {
      ctx.loaders.trackById.prime(track._id, track);
      const diff = (((track.tempo?.bpm ?? bpm) - bpm) / bpm) * 100;
      const score = RELATION_WEIGHT[relation] * (1 - (0.5 * Math.abs(diff)) / bpmTolerance);
      return { track: { id: track._id }, score, relation, bpmDifferencePercent: diff };
    });
    matches.sort((a, b) => b.score - a.score || (a.track.id < b.track.id ? -1 : 1));
    return matches.slice(0, limit);
  },

  analysisStats: async (_: unknown, { libraryId }: { libraryId?: string | null }, ctx: Context) => {
    requireId('libraryId', libraryId);
    return computeStats(ctx.store, libraryId ?? null);
  },
};

export const AnalysisStats = {
  total: (s: Stats) => Object.values(s.byStatus).reduce((a, b) => a + b, 0),
  pending: (s: Stats) => s.byStatus.pending,
  analyzing: (s: Stats) => s.byStatus.analyzing,
  done: (s: Stats) => s.byStatus.done,
  failed: (s: Stats) => s.byStatus.failed,
  tempoHistogram: (s: Stats, { bucketSize }: { bucketSize: number }) => {
    if (!Number.isInteger(bucketSize) || bucketSize < 1 || bucketSize > 100)
      throw badInput(`"bucketSize" must be between 1 and 100, got ${bucketSize}`);
    const buckets = new Map<number, number>();
    for (const [bpm, n] of s.byBpm) {
      const start = Math.floor(bpm / bucketSize) * bucketSize;
      buckets.set(start, (buckets.get(start) ?? 0) + n);
    }
    return [...buckets]
      .sort(([a], [b]) => a - b)
      .map(([start, count]) => ({ minBpm: start, maxBpm: start + bucketSize, count }));
  },
  keyDistribution: (s: Stats) => s.byKey,
};
