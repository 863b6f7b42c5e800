import type { Filter } from 'mongodb';
import { CAMELOT_CODES, camelotName, harmonicNeighbours, type HarmonicRelation } from './camelot.ts';
import type {
  AnalysisDocument,
  AnalysisStatus,
  GatingHistogram,
  TrackDocument,
  Waveform,
} from './documents.ts';
import type { AnalysisStore } from './store.ts';

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
  const filter: Filter<TrackDocument> = { 'tempo.bpm': { $gte: args.min, $lte: args.max } };
  if (args.after) {
    const { bpm, id } = args.after;
    filter.$or = [{ 'tempo.bpm': { $gt: bpm } }, { 'tempo.bpm': bpm, _id: { $gt: id } }];
  }
  return store.tracks.find(filter).sort({ 'tempo.bpm': 1, _id: 1 }).limit(args.limit).toArray();
}

export const countByTempo = (store: AnalysisStore, min: number, max: number) =>
  store.tracks.countDocuments({ 'tempo.bpm': { $gte: min, $lte: max } });

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
  const queries = (Object.keys(neighbours) as HarmonicRelation[]).flatMap((relation) => {
    const base = { 'key.camelot': { $in: neighbours[relation] }, _id: { $ne: args.excludeId } };
    const above = store.tracks
      .find({ ...base, 'tempo.bpm': { $gte: args.bpm, $lte: args.maxBpm } })
      .sort({ 'tempo.bpm': 1, _id: 1 })
      .limit(args.limit);
    const below = store.tracks
      .find({ ...base, 'tempo.bpm': { $gte: args.minBpm, $lt: args.bpm } })
      .sort({ 'tempo.bpm': -1, _id: 1 })
      .limit(args.limit);
    return [above, below].map(async (cursor) =>
      (await cursor.toArray()).map((track) => ({ track, relation })),
    );
  });
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
      { projection: { albumId: 1, contentHash: 1, analyzerVersion: 1, 'replayGain.trackPeak': 1 } },
    )
    .toArray();
  const ids = [...new Set(tracks.map((t) => `${t.contentHash}:${t.analyzerVersion}`))];
  if (ids.length === 0) return [];
  const histograms = new Map(
    (
      await store.analyses
        .find<Pick<AnalysisDocument, '_id' | 'gatingHistogram'>>(
          { _id: { $in: ids } },
          { projection: { gatingHistogram: 1 } },
        )
        .toArray()
    ).map((a) => [a._id, a.gatingHistogram]),
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
  const docs = await store.analyses
    .find<Pick<AnalysisDocument, '_id' | 'waveforms'>>(
      { _id: { $in: [...analysisIds] } },
      { projection: { waveforms: 1 } },
    )
    .toArray();
  return new Map(docs.map((d) => [d._id, d.waveforms]));
}

export interface Stats {
  readonly byStatus: Readonly<Record<AnalysisStatus, number>>;
  /** Track counts per integer BPM. */
  readonly byBpm: ReadonlyMap<number, number>;
  readonly byKey: readonly { camelot: string; name: string; count: number }[];
}

/**
 * Counts per status, per integer BPM and per key. Three single-accumulator
 * `$group`s rather than one multi-facet pipeline: FerretDB computes only the
 * first accumulator of a `$group` and has no `$facet`.
 */
export async function computeStats(store: AnalysisStore, libraryId: string | null): Promise<Stats> {
  const scope: Filter<TrackDocument> = libraryId ? { libraryId } : {};
  const count = (match: Filter<TrackDocument>, field: string) =>
    store.tracks
      .aggregate<{ _id: unknown; n: number }>([
        { $match: match },
        { $group: { _id: `$${field}`, n: { $sum: 1 } } },
      ])
      .toArray();
  const [statuses, bpms, keys] = await Promise.all([
    count(scope, 'status'),
    count({ ...scope, tempoBucket: { $ne: null } }, 'tempoBucket'),
    count({ ...scope, 'key.camelot': { $ne: null } }, 'key.camelot'),
  ]);
  const byStatus = { pending: 0, analyzing: 0, done: 0, failed: 0 };
  for (const s of statuses)
    if (typeof s._id === 'string' && s._id in byStatus) byStatus[s._id as AnalysisStatus] = s.n;
  const keyCounts = new Map(keys.map((k) => [k._id, k.n]));
  return {
    byStatus,
    byBpm: new Map(bpms.flatMap((b) => (typeof b._id === 'number' ? [[b._id, b.n] as const] : []))),
    byKey: CAMELOT_CODES.flatMap((camelot) => {
      const n = keyCounts.get(camelot);
      return n ? [{ camelot, name: camelotName(camelot) ?? camelot, count: n }] : [];
    }),
  };
}
