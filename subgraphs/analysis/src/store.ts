import { MongoServerError, type AnyBulkWriteOperation, type Collection, type Db, type Filter } from 'mongodb';
import type { Logger } from '@tonegraph/logger';
import {
  SUMMARY_FIELDS,
  analysisId,
  toSummary,
  type AnalysisDataDocument,
  type AnalysisDocument,
  type AnalysisSummary,
  type TrackAnalysis,
  type TrackDocument,
} from './documents.ts';
import { applied, doneFields, importAnalyses, requireHash, split } from './import.ts';
import { ensureSchema } from './schema.ts';
import { bulkWriteRacingUpserts, createGroupCommit } from './group-commit.ts';
import { createStatsWriter, statsDelta, type StatsDocument } from './stats.ts';

export type {
  AnalysisDataDocument,
  AnalysisDocument,
  AnalysisStatus,
  TrackAnalysis,
  TrackDocument,
} from './documents.ts';

/** Options for {@link createAnalysisStore}. */
export interface AnalysisStoreOptions {
  /** The analyser version results are stored and looked up under; a new one re-analyses everything. */
  readonly analyzerVersion: string;
  /**
   * Longest a read the subgraph serves may run on the server, in ms
   * (`maxTimeMS` on each command; past it the server stops it); 0 or absent: no bound.
   */
  readonly queryTimeMs?: number;
}

/** A catalog track and the audio content it currently points at. */
export interface TrackLink {
  readonly trackId: string;
  /** SHA-256 of the file's content, lowercase hex. */
  readonly contentHash: string;
  readonly libraryId: string;
  readonly albumId: string | null;
}

/** A track whose analysis state just changed, with what a progress event needs. */
export interface TrackRef {
  readonly trackId: string;
  readonly libraryId: string;
  readonly albumId: string | null;
}

export interface SaveResult {
  /** False when this content was already stored for this version (a redelivery or a duplicate file). */
  readonly created: boolean;
  /** Tracks of this content that were not done at this version and now are. */
  readonly completed: readonly TrackRef[];
}

/** A track and the analysis of its content, for {@link AnalysisStore.importAnalyses}. */
export interface ImportItem {
  readonly link: TrackLink;
  readonly analysis: TrackAnalysis;
}

/** Reads and writes of the analysis database; every write is idempotent. */
export interface AnalysisStore {
  readonly analyzerVersion: string;
  /** Options for the reads the subgraph serves (`maxTimeMS` when a query time bound is set). */
  readonly reads: { readonly maxTimeMS?: number };
  readonly tracks: Collection<TrackDocument>;
  /** Small: what was measured, without waveforms and histogram. */
  readonly analyses: Collection<AnalysisDocument>;
  /** The waveforms and gating histogram of each analysis, compact. */
  readonly data: Collection<AnalysisDataDocument>;
  /** Counters of the tracks (see stats.ts). */
  readonly stats: Collection<StatsDocument>;
  /**
   * Creates or upgrades the database's indexes, document shapes and
   * counters; when another process is doing so, waits for it. Call before
   * any other method; cheap once the schema is current.
   */
  ensureSchema(log?: Logger): Promise<void>;
  /** True when this content has been analysed by the current analyser version. */
  hasAnalysis(contentHash: string): Promise<boolean>;
  /**
   * Stores an analysis of this content (the first one stored wins) and
   * copies its summary onto every track that points at this content.
   */
  saveAnalysis(contentHash: string, analysis: TrackAnalysis): Promise<SaveResult>;
  /**
   * Points a track at a content. Returns `done` when that content is already
   * analysed by the current version (its summary is copied, nothing to do),
   * else `pending`: the caller analyses it and calls `saveAnalysis`.
   */
  linkTrack(link: TrackLink): Promise<'done' | 'pending'>;
  /** Marks a not-yet-done track as being analysed; false when the track is unknown or done. */
  markAnalyzing(trackId: string): Promise<boolean>;
  /** Records why a track's analysis failed; false when the track is unknown or already done. */
  markFailed(trackId: string, reason: string): Promise<boolean>;
  /** Forgets tracks (deleted from the catalog); analyses stay, shared and reusable by content. */
  removeTracks(trackIds: readonly string[]): Promise<number>;
  /** The track documents of these ids, in no particular order; unknown ids are left out. */
  findTracks(trackIds: readonly string[]): Promise<TrackDocument[]>;
  /**
   * Of these catalog tracks of one library, the ids that need an analysis:
   * unknown here, pointing at other content, or done by another analyser
   * version. Tracks pending, being analysed or failed at their content are
   * left alone. One query for the library, whatever the number of tracks.
   */
  tracksToAnalyse(
    libraryId: string,
    links: readonly Pick<TrackLink, 'trackId' | 'contentHash'>[],
  ): Promise<string[]>;
  /**
   * Stores analyses and points tracks at them, done, in bulk (a few commands
   * per thousand items): restoring or seeding a database. Idempotent.
   */
  importAnalyses(items: readonly ImportItem[]): Promise<void>;
}

/** Longest failure reason kept; a stack trace is not a reason. */
const MAX_REASON = 2000;

const isDuplicateKey = (error: unknown) => error instanceof MongoServerError && error.code === 11000;

/**
 * An upsert on `_id` can race with another upsert of the same `_id`; the
 * loser gets a duplicate-key error and, run again, matches the winner's document.
 */
async function retryingDuplicate<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    return write();
  }
}

const unsetSummary = Object.fromEntries([...SUMMARY_FIELDS, 'analyzerVersion'].map((f) => [f, ''])) as Record<
  string,
  ''
>;

/**
 * The tracks linked to a content while its analysis (at one version) is not
 * stored yet: what `saveAnalysis` completes, found by `_id` rather than by
 * scanning tracks for the content hash (which FerretDB's SQLite backend
 * cannot push down: a scan per save made imports quadratic).
 */
interface WaitingDocument {
  /** `<contentHash>:<analyzerVersion>`, as the analysis's own `_id`. */
  readonly _id: string;
  readonly trackIds: string[];
}

export function createAnalysisStore(
  db: Db,
  { analyzerVersion, queryTimeMs }: AnalysisStoreOptions,
): AnalysisStore {
  const reads = queryTimeMs ? { maxTimeMS: queryTimeMs } : {};
  const tracks = db.collection<TrackDocument>('tracks');
  const analyses = db.collection<AnalysisDocument>('analyses');
  const data = db.collection<AnalysisDataDocument>('analysis_data');
  const waiting = db.collection<WaitingDocument>('waiting');
  const stats = db.collection<StatsDocument>('stats');
  const counters = createStatsWriter(stats);

  // Linking reads and writes in group commits: ingest links many files at
  // once, and a duplicate's link then costs a share of a few commands.
  const summaries = createGroupCommit<string, AnalysisDocument | null>(async (hashes) => {
    const ids = [...new Set(hashes.map((h) => analysisId(h, analyzerVersion)))];
    const found = new Map((await analyses.find({ _id: { $in: ids } }).toArray()).map((a) => [a._id, a]));
    return hashes.map((h) => found.get(analysisId(h, analyzerVersion)) ?? null);
  });
  const findSummary = (contentHash: string) => summaries(contentHash);

  /**
   * Every change to a track document: one findOneAndUpdate, which returns the
   * document as it was, then the counters' difference. Null when nothing matched.
   */
  const writeTrack = async (
    filter: Filter<TrackDocument> & { _id: string },
    update: { $set?: Partial<TrackDocument>; $unset?: Record<string, ''> },
    upsert = false,
  ): Promise<{ before: TrackDocument | null; after: TrackDocument } | null> => {
    const result = await retryingDuplicate(() =>
      tracks.findOneAndUpdate(filter, update, {
        upsert,
        returnDocument: 'before',
        includeResultMetadata: true,
      }),
    );
    const before = result.value;
    if (!before && !result.lastErrorObject?.upserted) return null;
    const after = applied(before, filter._id, update);
    await counters.apply(statsDelta([{ before, after }]));
    return { before, after };
  };

  /** Points tracks at analysed content, done: one read of the documents as they were, one bulk write. */
  const doneWrites = createGroupCommit<{ link: TrackLink; summary: AnalysisSummary }, void>(async (items) => {
    const byTrack = new Map(items.map((i) => [i.link.trackId, i]));
    const before = new Map(
      (
        await tracks
          .find(
            { _id: { $in: [...byTrack.keys()] } },
            { projection: { libraryId: 1, status: 1, tempo: 1, key: 1 } },
          )
          .toArray()
      ).map((t) => [t._id, t]),
    );
    const ops: AnyBulkWriteOperation<TrackDocument>[] = [];
    const changes: { before: TrackDocument | null; after: TrackDocument }[] = [];
    for (const { link, summary } of byTrack.values()) {
      const { trackId } = link;
      const $set = doneFields(link, summary, analyzerVersion);
      ops.push({ updateOne: { filter: { _id: trackId }, update: { $set }, upsert: true } });
      const previous = before.get(trackId) ?? null;
      changes.push({ before: previous, after: applied(previous, trackId, { $set }) });
    }
    await bulkWriteRacingUpserts(tracks, ops);
    await counters.apply(statsDelta(changes));
    return items.map(() => undefined);
  });

  const setDone = async (link: TrackLink, summary: AnalysisSummary) => {
    await doneWrites({ link, summary });
    return 'done' as const;
  };

  return {
    analyzerVersion,
    reads,
    tracks,
    analyses,
    data,
    stats,

    ensureSchema: (log) => ensureSchema(db, log),

    async hasAnalysis(contentHash) {
      requireHash(contentHash);
      const id = analysisId(contentHash, analyzerVersion);
      return (await analyses.countDocuments({ _id: id }, { limit: 1 })) > 0;
    },

    async saveAnalysis(contentHash, analysis) {
      requireHash(contentHash);
      if (analysis.analyzerVersion !== analyzerVersion) {
        throw new TypeError(
          `analysis is from analyser ${analysis.analyzerVersion}, this store is for ${analyzerVersion}`,
        );
      }
      const _id = analysisId(contentHash, analyzerVersion);
      const { summary: document, data: compact } = split(_id, contentHash, analysis);
      // The data first: once the small document exists, readers may ask for the data.
      // $setOnInsert: a redelivered or concurrent save of the same content changes nothing.
      await retryingDuplicate(() => data.updateOne({ _id }, { $setOnInsert: compact }, { upsert: true }));
      const { upsertedCount } = await retryingDuplicate(() =>
        analyses.updateOne({ _id }, { $setOnInsert: document }, { upsert: true }),
      );
      const stored = upsertedCount === 1 ? document : await findSummary(contentHash);
      if (!stored) throw new Error(`analysis ${_id} vanished while it was being saved`);
      // The tracks that linked themselves to this content before it was stored. One that links
      // itself after this read finds the analysis in linkTrack's second look.
      const listed = (await waiting.findOne({ _id }))?.trackIds ?? [];
      const summary = toSummary(stored);
      const completed: TrackRef[] = [];
      for (const trackId of new Set(listed)) {
        const written = await writeTrack(
          {
            _id: trackId,
            contentHash,
            $or: [{ status: { $ne: 'done' as const } }, { analyzerVersion: { $ne: analyzerVersion } }],
          },
          { $set: { ...summary, status: 'done', error: null, analyzerVersion, updatedAt: new Date() } },
        );
        if (written)
          completed.push({
            trackId,
            libraryId: written.after.libraryId,
            albumId: written.after.albumId ?? null,
          });
      }
      await waiting.deleteOne({ _id });
      return { created: upsertedCount === 1, completed };
    },

    async linkTrack(link) {
      requireHash(link.contentHash);
      const { trackId, contentHash, libraryId, albumId } = link;
      const stored = await findSummary(contentHash);
      if (stored) return setDone(link, toSummary(stored));
      // New content: the summary on the document describes other audio. Same
      // content awaiting a newer analyser keeps the older summary meanwhile.
      await writeTrack({ _id: trackId, contentHash: { $ne: contentHash } }, { $unset: unsetSummary });
      await writeTrack(
        { _id: trackId },
        { $set: { contentHash, libraryId, albumId, status: 'pending', error: null, updatedAt: new Date() } },
        true,
      );
      await retryingDuplicate(() =>
        waiting.updateOne(
          { _id: analysisId(contentHash, analyzerVersion) },
          { $addToSet: { trackIds: trackId } },
          { upsert: true },
        ),
      );
      // No transactions: an analysis saved between the first read and the
      // waiting list's update did not see this track; look once more.
      const late = await findSummary(contentHash);
      return late ? setDone(link, toSummary(late)) : 'pending';
    },

    async markAnalyzing(trackId) {
      const written = await writeTrack(
        { _id: trackId, status: { $ne: 'done' } },
        { $set: { status: 'analyzing', error: null, updatedAt: new Date() } },
      );
      return written !== null;
    },

    async markFailed(trackId, reason) {
      const written = await writeTrack(
        { _id: trackId, status: { $ne: 'done' } },
        { $set: { status: 'failed', error: reason.slice(0, MAX_REASON), updatedAt: new Date() } },
      );
      return written !== null;
    },

    async tracksToAnalyse(libraryId, links) {
      if (links.length === 0) return [];
      const known = new Map<string, Pick<TrackDocument, 'contentHash' | 'status' | 'analyzerVersion'>>();
      const cursor = tracks.find(
        { libraryId },
        { projection: { contentHash: 1, status: 1, analyzerVersion: 1 } },
      );
      for await (const t of cursor) known.set(t._id, t);
      return links
        .filter((l) => {
          const t = known.get(l.trackId);
          if (!t || t.contentHash !== l.contentHash) return true;
          return t.status === 'done' && t.analyzerVersion !== analyzerVersion;
        })
        .map((l) => l.trackId);
    },

    async removeTracks(trackIds) {
      if (trackIds.length === 0) return 0;
      const ids = [...trackIds];
      const gone = await tracks
        .find({ _id: { $in: ids } }, { projection: { libraryId: 1, status: 1, tempo: 1, key: 1 } })
        .toArray();
      const { deletedCount } = await tracks.deleteMany({ _id: { $in: ids } });
      await counters.apply(statsDelta(gone.map((before) => ({ before, after: null }))));
      return deletedCount;
    },

    findTracks(trackIds) {
      return tracks.find({ _id: { $in: [...trackIds] } }, reads).toArray();
    },

    importAnalyses: (items) => importAnalyses({ tracks, analyses, data, counters, analyzerVersion }, items),
  };
}
