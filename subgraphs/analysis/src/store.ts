import { MongoServerError, type Collection, type Db } from 'mongodb';
import {
  SUMMARY_FIELDS,
  SUMMARY_PROJECTION,
  analysisId,
  toSummary,
  type AnalysisDocument,
  type AnalysisSummary,
  type TrackAnalysis,
  type TrackDocument,
} from './documents.ts';

export type { AnalysisDocument, AnalysisStatus, TrackAnalysis, TrackDocument } from './documents.ts';

/** Options for {@link createAnalysisStore}. */
export interface AnalysisStoreOptions {
  /** The analyser version results are stored and looked up under; a new one re-analyses everything. */
  readonly analyzerVersion: string;
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

/** Reads and writes of the analysis database; every write is idempotent. */
export interface AnalysisStore {
  readonly analyzerVersion: string;
  readonly tracks: Collection<TrackDocument>;
  readonly analyses: Collection<AnalysisDocument>;
  /** Creates the indexes the queries use; safe to call on every start. */
  ensureIndexes(): Promise<void>;
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
}

const SHA256 = /^[0-9a-f]{64}$/;
/** Longest failure reason kept; a stack trace is not a reason. */
const MAX_REASON = 2000;

function requireHash(contentHash: string): void {
  if (!SHA256.test(contentHash))
    throw new TypeError(`content hash must be lowercase hex SHA-256: ${contentHash}`);
}

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

export function createAnalysisStore(db: Db, { analyzerVersion }: AnalysisStoreOptions): AnalysisStore {
  const tracks = db.collection<TrackDocument>('tracks');
  const analyses = db.collection<AnalysisDocument>('analyses');
  const waiting = db.collection<WaitingDocument>('waiting');

  const findSummary = (contentHash: string) =>
    analyses.findOne<Omit<AnalysisDocument, 'waveforms' | 'gatingHistogram'>>(
      { _id: analysisId(contentHash, analyzerVersion) },
      { projection: SUMMARY_PROJECTION },
    );

  const setDone = async (link: TrackLink, summary: AnalysisSummary) => {
    const { trackId, contentHash, libraryId, albumId } = link;
    await retryingDuplicate(() =>
      tracks.updateOne(
        { _id: trackId },
        {
          $set: {
            contentHash,
            libraryId,
            albumId,
            ...summary,
            status: 'done',
            error: null,
            analyzerVersion,
            updatedAt: new Date(),
          },
        },
        { upsert: true },
      ),
    );
    return 'done' as const;
  };

  return {
    analyzerVersion,
    tracks,
    analyses,

    async ensureIndexes() {
      const specs = [
        { key: { 'tempo.bpm': 1, _id: 1 }, name: 'tempo' },
        { key: { 'key.camelot': 1, 'tempo.bpm': 1 }, name: 'key_tempo' },
        { key: { libraryId: 1, status: 1 }, name: 'library_status' },
        { key: { albumId: 1 }, name: 'album' },
        { key: { contentHash: 1 }, name: 'content' },
      ] as const;
      // One at a time: FerretDB 1.24 panics (and drops the connection) when
      // one createIndexes command names several indexes that already exist,
      // i.e. on every start after the first.
      for (const spec of specs) await tracks.createIndexes([spec]);
    },

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
      const document: AnalysisDocument = { ...analysis, _id, contentHash, analyzedAt: new Date() };
      // $setOnInsert: a redelivered or concurrent save of the same content changes nothing.
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
        const track = await tracks.findOneAndUpdate(
          {
            _id: trackId,
            contentHash,
            $or: [{ status: { $ne: 'done' as const } }, { analyzerVersion: { $ne: analyzerVersion } }],
          },
          { $set: { ...summary, status: 'done', error: null, analyzerVersion, updatedAt: new Date() } },
        );
        if (track) completed.push({ trackId, libraryId: track.libraryId, albumId: track.albumId ?? null });
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
      await tracks.updateOne({ _id: trackId, contentHash: { $ne: contentHash } }, { $unset: unsetSummary });
      await retryingDuplicate(() =>
        tracks.updateOne(
          { _id: trackId },
          {
            $set: { contentHash, libraryId, albumId, status: 'pending', error: null, updatedAt: new Date() },
          },
          { upsert: true },
        ),
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
      const { matchedCount } = await tracks.updateOne(
        { _id: trackId, status: { $ne: 'done' } },
        { $set: { status: 'analyzing', error: null, updatedAt: new Date() } },
      );
      return matchedCount === 1;
    },

    async markFailed(trackId, reason) {
      const { matchedCount } = await tracks.updateOne(
        { _id: trackId, status: { $ne: 'done' } },
        { $set: { status: 'failed', error: reason.slice(0, MAX_REASON), updatedAt: new Date() } },
      );
      return matchedCount === 1;
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
      const { deletedCount } = await tracks.deleteMany({ _id: { $in: [...trackIds] } });
      return deletedCount;
    },

    findTracks(trackIds) {
      return tracks.find({ _id: { $in: [...trackIds] } }).toArray();
    },
  };
}
