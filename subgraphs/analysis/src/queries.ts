import type { Filter } from 'mongodb';
import { CAMELOT_CODES, camelotName, harmonicNeighbours, type HarmonicRelation } from './camelot.ts';
import { decodeHistogram, decodeWaveform } from './compact.ts';
import type { AnalysisStatus, GatingHistogram, TrackDocument, Waveform } from './documents.ts';
import { ALL, bpmCounts, countTempoRange, keyCounts, libraryStatsId } from './stats.ts';
import type { AnalysisStore } from './store.ts';

/*
 * Every query here is an equality or range on a leading prefix of one of
 * the indexes in schema.ts, sorted in that index's order, or a read of a
 * few documents by `_id`: none reads a number of documents that grows with
 * the library beyond what it returns.
 */

/** A position in the tempo order: (bpm, track id). */
export interface TempoPosition {
  readonly bpm: number;
  readonly id: string;
}

/** Analysed tracks with `min <= bpm <= max`, by (bpm, id), strictly after `after`. */
export function findByTempo(
  store: AnalysisStore,
  args: { min: number; max: number; after: TempoPosition | null; limit: number },
): Promise<TrackDocument[]> {
  // The cursor's bpm narrows the range itself, so the index range starts at the cursor.
  const from = args.after ? Math.max(args.min, args.after.bpm) : args.min;
  const filter: Filter<TrackDocument> = { 'tempo.bpm': { $gte: from, $lte: args.max } };
  if (args.after) {
    const { bpm, id } = args.after;
    filter.$or = [{ 'tempo.bpm': { $gt: bpm } }, { 'tempo.bpm': bpm, _id: { $gt: id } }];
  }
  return store.tracks.find(filter, store.reads).sort({ 'tempo.bpm': 1, _id: 1 }).limit(args.limit).toArray();
}

/** Tracks with `min <= bpm <= max`, from the counters (see stats.ts). */
export const countByTempo = (store: AnalysisStore, min: number, max: number) =>
  countTempoRange(
    store.stats,
    min,
    max,
    (from, below) =>
      store.tracks.countDocuments({ 'tempo.bpm': { $gte: from, $lte: max, $lt: below } }, store.reads),
    store.reads,
  );

export interface HarmonicCandidate {
  readonly track: TrackDocument;
  readonly relation: HarmonicRelation;
}

/**
 * Tracks whose key mixes with `camelot` and whose tempo lies in
 * [minBpm, maxBpm]: for each relation, the `limit` closest in tempo above and
 * below `bpm`. A score that falls with the tempo difference within a
 * relation then ranks the exact top `limit` among these, with 6 small
 * queries however large the library.
 */
export async function findHarmonicCandidates(
  store: AnalysisStore,
  args: { excludeId: string; camelot: string; bpm: number; minBpm: number; maxBpm: number; limit: number },
): Promise<HarmonicCandidate[]> {
  const neighbours = harmonicNeighbours(args.camelot);
  // One key per query: (key, bpm, id) is then one index range in sort order.
  const queries = (Object.keys(neighbours) as HarmonicRelation[]).flatMap((relation) =>
    neighbours[relation].flatMap((camelot) => {
      const base = { 'key.camelot': camelot, _id: { $ne: args.excludeId } };
      const above = store.tracks
        .find({ ...base, 'tempo.bpm': { $gte: args.bpm, $lte: args.maxBpm } }, store.reads)
        .sort({ 'tempo.bpm': 1, _id: 1 })
        .limit(args.limit);
      const below = store.tracks
        .find({ ...base, 'tempo.bpm': { $gte: args.minBpm, $lt: args.bpm } }, store.reads)
        .sort({ 'tempo.bpm': -1, _id: 1 })
        .limit(args.limit);
      return [above, below].map(async (cursor) =>
        (await cursor.toArray()).map((track) => ({ track, relation })),
      );
    }),
  );
  return (await Promise.all(queries)).flat();
}

/** What an album's ReplayGain is computed from, per analysed track. */
export interface AlbumGainInput {
  readonly albumId: string;
  readonly gatingHistogram: GatingHistogram;
  readonly trackPeak: number;
}

/** The gating histograms and peaks of the analysed tracks of these albums: two commands. */
export async function findAlbumGainInputs(
  store: AnalysisStore,
  albumIds: readonly string[],
): Promise<AlbumGainInput[]> {
  const tracks = await store.tracks
    .find(
      { albumId: { $in: [...albumIds] }, status: 'done' },
      {
        ...store.reads,
        projection: { albumId: 1, contentHash: 1, analyzerVersion: 1, 'replayGain.trackPeak': 1 },
      },
    )
    .toArray();
  const ids = [...new Set(tracks.map((t) => `${t.contentHash}:${t.analyzerVersion}`))];
  if (ids.length === 0) return [];
  const histograms = new Map(
    (
      await store.data
        .find({ _id: { $in: ids } }, { ...store.reads, projection: { gatingHistogram: 1 } })
        .toArray()
    ).map((a) => [a._id, decodeHistogram(a.gatingHistogram)]),
  );
  return tracks.flatMap((t) => {
    const gatingHistogram = histograms.get(`${t.contentHash}:${t.analyzerVersion}`);
    return gatingHistogram && t.albumId
      ? [{ albumId: t.albumId, gatingHistogram, trackPeak: t.replayGain?.trackPeak ?? 0 }]
      : [];
  });
}

/** The stored waveforms of these analyses (`<hash>:<version>` ids). */
export async function findWaveforms(
  store: AnalysisStore,
  analysisIds: readonly string[],
): Promise<Map<string, readonly Waveform[]>> {
  const docs = await store.data
    .find({ _id: { $in: [...analysisIds] } }, { ...store.reads, projection: { waveforms: 1 } })
    .toArray();
  return new Map(docs.map((d) => [d._id, d.waveforms.map(decodeWaveform)]));
}

export interface Stats {
  readonly byStatus: Readonly<Record<AnalysisStatus, number>>;
  /** Track counts per integer BPM. */
  readonly byBpm: ReadonlyMap<number, number>;
  readonly byKey: readonly { camelot: string; name: string; count: number }[];
}

/** Counts per status, per integer BPM and per key: one counters document (see stats.ts). */
export async function computeStats(store: AnalysisStore, libraryId: string | null): Promise<Stats> {
  const doc = await store.stats.findOne({ _id: libraryId ? libraryStatsId(libraryId) : ALL }, store.reads);
  const byStatus = { pending: 0, analyzing: 0, done: 0, failed: 0 };
  for (const status of Object.keys(byStatus) as AnalysisStatus[])
    byStatus[status] = Math.max(0, doc?.status?.[status] ?? 0);
  const keys = keyCounts(doc);
  return {
    byStatus,
    byBpm: bpmCounts(doc),
    byKey: CAMELOT_CODES.flatMap((camelot) => {
      const n = keys.get(camelot);
      return n ? [{ camelot, name: camelotName(camelot) ?? camelot, count: n }] : [];
    }),
  };
}
