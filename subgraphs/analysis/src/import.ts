// Bulk import of analyses (`AnalysisStore.importAnalyses`) and the track
// document changes it shares with the store's own writes.
import type { AnyBulkWriteOperation, Collection } from 'mongodb';
import { encodeHistogram, encodeWaveform } from './compact.ts';
import {
  analysisId,
  toSummary,
  type AnalysisDataDocument,
  type AnalysisDocument,
  type AnalysisSummary,
  type TrackAnalysis,
  type TrackDocument,
} from './documents.ts';
import { statsDelta, type createStatsWriter } from './stats.ts';
import type { ImportItem, TrackLink } from './store.ts';

const SHA256 = /^[0-9a-f]{64}$/;

export function requireHash(contentHash: string): void {
  if (!SHA256.test(contentHash))
    throw new TypeError(`content hash must be lowercase hex SHA-256: ${contentHash}`);
}

/** The fields of a track document after `update` (a `$set` and/or `$unset`) is applied to `before`. */
export function applied(
  before: TrackDocument | null,
  id: string,
  update: { $set?: Partial<TrackDocument>; $unset?: Record<string, ''> },
): TrackDocument {
  const after: Record<string, unknown> = { ...(before ?? { _id: id }), ...update.$set };
  for (const field of Object.keys(update.$unset ?? {})) delete after[field];
  return after as unknown as TrackDocument;
}

/** A track pointed at analysed content: what its document is set to. */
export function doneFields(
  link: TrackLink,
  summary: AnalysisSummary,
  analyzerVersion: string,
): Partial<TrackDocument> {
  return {
    contentHash: link.contentHash,
    libraryId: link.libraryId,
    albumId: link.albumId,
    ...summary,
    status: 'done',
    error: null,
    analyzerVersion,
    updatedAt: new Date(),
  };
}

/** Splits an analysis into its small document and its compact data. */
export function split(_id: string, contentHash: string, analysis: TrackAnalysis) {
  const { waveforms, gatingHistogram, ...measured } = analysis;
  const summary: AnalysisDocument = { ...measured, _id, contentHash, analyzedAt: new Date() };
  const data: AnalysisDataDocument = {
    _id,
    waveforms: waveforms.map(encodeWaveform),
    gatingHistogram: encodeHistogram(gatingHistogram),
  };
  return { summary, data };
}

/** Items written per bulk command by importAnalyses. */
const IMPORT_BATCH = 500;

export interface ImportTarget {
  readonly tracks: Collection<TrackDocument>;
  readonly analyses: Collection<AnalysisDocument>;
  readonly data: Collection<AnalysisDataDocument>;
  readonly counters: ReturnType<typeof createStatsWriter>;
  readonly analyzerVersion: string;
}

/** See {@link AnalysisStore.importAnalyses}: a few bulk commands per batch of items. */
export async function importAnalyses(
  { tracks, analyses, data, counters, analyzerVersion }: ImportTarget,
  items: readonly ImportItem[],
): Promise<void> {
  for (let i = 0; i < items.length; i += IMPORT_BATCH) {
    const batch = items.slice(i, i + IMPORT_BATCH);
    const contents = new Map<string, ReturnType<typeof split>>();
    for (const { link, analysis } of batch) {
      requireHash(link.contentHash);
      if (analysis.analyzerVersion !== analyzerVersion)
        throw new TypeError(`analysis is from analyser ${analysis.analyzerVersion}, not ${analyzerVersion}`);
      const _id = analysisId(link.contentHash, analyzerVersion);
      if (!contents.has(_id)) contents.set(_id, split(_id, link.contentHash, analysis));
    }
    const parts = [...contents.values()];
    await data.bulkWrite(
      parts.map(({ data: d }) => ({
        updateOne: { filter: { _id: d._id }, update: { $setOnInsert: d }, upsert: true },
      })),
      { ordered: false },
    );
    await analyses.bulkWrite(
      parts.map(({ summary }) => ({
        updateOne: { filter: { _id: summary._id }, update: { $setOnInsert: summary }, upsert: true },
      })),
      { ordered: false },
    );
    // The summaries as stored (an earlier import's analysedAt wins), then the tracks.
    const stored = new Map(
      (await analyses.find({ _id: { $in: [...contents.keys()] } }).toArray()).map((a) => [a._id, a]),
    );
    const ids = batch.map((b) => b.link.trackId);
    const before = new Map((await tracks.find({ _id: { $in: ids } }).toArray()).map((t) => [t._id, t]));
    const changes: { before: TrackDocument | null; after: TrackDocument }[] = [];
    const ops: AnyBulkWriteOperation<TrackDocument>[] = [];
    for (const { link } of batch) {
      const summary = stored.get(analysisId(link.contentHash, analyzerVersion));
      if (!summary) throw new Error(`analysis of ${link.contentHash} vanished while it was being imported`);
      const $set = doneFields(link, toSummary(summary), analyzerVersion);
      const previous = before.get(link.trackId) ?? null;
      changes.push({ before: previous, after: applied(previous, link.trackId, { $set }) });
      before.set(link.trackId, applied(previous, link.trackId, { $set }));
      ops.push({ updateOne: { filter: { _id: link.trackId }, update: { $set }, upsert: true } });
    }
    await tracks.bulkWrite(ops, { ordered: true });
    await counters.apply(statsDelta(changes));
  }
}
