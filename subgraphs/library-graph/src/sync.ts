// The write side of the library graph, called by ingest's graph stage. Every
// operation is idempotent (MERGE, and edges replaced rather than added), runs
// in as few transactions as it can, and is retried through Neo4j restarts.
import neo4j, { type Driver, type ManagedTransaction } from 'neo4j-driver';
import { ensureGraphSchema } from './graph-schema.ts';
import { withRetry, type RetryOptions } from './retry.ts';
import { recomputeSimilarity, type SimilarityOptions } from './similarity.ts';
import * as cypher from './sync-cypher.ts';

export { waitForGraphSchema, type WaitForGraphSchemaOptions } from './graph-schema.ts';

/** How an artist is credited on a track. */
export type CreditRole = 'main' | 'featured' | 'remixer' | 'composer';

/** Audio analysis results that feed similarity; null means unknown. */
export interface AnalysisFeatures {
  /** Tempo in beats per minute. */
  readonly bpm?: number | null;
  /** Key in Camelot notation, e.g. `8A`. */
  readonly camelot?: string | null;
  /** Integrated loudness, LUFS. */
  readonly integratedLufs?: number | null;
}

/** One track as the catalog knows it, ids being catalog UUIDs. */
export interface TrackGraphInput {
  readonly id: string;
  readonly title: string;
  readonly libraryId: string;
  /** The album, or null for none. `artistId` is the album artist (null when untagged). */
  readonly album: {
    readonly id: string;
    readonly title: string;
    readonly artistId: string | null;
    /** The album artist's name, stored when the node is created (optional). */
    readonly artistName?: string | null;
  } | null;
  /** Credited artists; the same artist may appear with several roles. */
  readonly artists: readonly { readonly id: string; readonly name: string; readonly role: CreditRole }[];
  /** Genre names as tagged; compared case-insensitively. */
  readonly genres: readonly string[];
  /** Analysis features; when absent the stored ones are kept, when given they replace them. */
  readonly features?: AnalysisFeatures;
}

/** Options for {@link createGraphSync}. */
export interface GraphSyncOptions {
  /** Neo4j database; default: the server's default. */
  readonly database?: string | undefined;
  /** Retry policy for transient errors (restarts, deadlocks). */
  readonly retry?: RetryOptions;
  /** Similarity tunables (top K, tempo window …). */
  readonly similarity?: SimilarityOptions;
  /** Tracks per similarity transaction; default 100. */
  readonly similarityBatchSize?: number;
}

/** What one {@link GraphSync.upsertTracks} did. */
export interface UpsertResult {
  readonly tracks: number;
  /** Tracks whose SIMILAR_TO edges were recomputed (their features, genres or artists changed). */
  readonly similarityUpdated: number;
}

export interface GraphSync {
  /**
   * Creates the uniqueness constraints and indexes the graph relies on
   * ({@link ensureGraphSchema}): idempotent, safe beside another process
   * doing the same. Only the schema's owner calls it; a process that just
   * writes waits with {@link waitForGraphSchema}.
   */
  ensureSchema(): Promise<void>;
  /**
   * Writes a batch of tracks in one transaction: nodes merged, each track's
   * PERFORMED_BY / ON_ALBUM / HAS_GENRE / IN_LIBRARY edges replaced, orphans
   * left behind removed, COLLABORATED_WITH recounted for every affected
   * artist. Then recomputes SIMILAR_TO for tracks whose inputs changed.
   */
  upsertTracks(batch: readonly TrackGraphInput[]): Promise<UpsertResult>;
  /**
   * Deletes tracks, then albums, artists, genres and libraries left without
   * tracks; recounts collaborations and refills the similarity lists of the
   * tracks that pointed at the deleted ones. Returns how many tracks existed.
   */
  removeTracks(trackIds: readonly string[]): Promise<number>;
  /**
   * Stores analysis features (for the ids present in `features`) and
   * recomputes SIMILAR_TO for every track in `trackIds`.
   */
  updateSimilarity(
    trackIds: readonly string[],
    features?: Readonly<Record<string, AnalysisFeatures>>,
  ): Promise<void>;
  /**
   * Recomputes similarity for up to `limit` tracks left marked stale (by a
   * crash between a commit and its similarity step); returns how many.
   */
  refreshStaleSimilarity(limit?: number): Promise<number>;
  /** Idempotent; does not close the driver, which the caller owns. */
  close(): Promise<void>;
}

const normalizeGenres = (genres: readonly string[]) => {
  const byKey = new Map<string, string>();
  for (const name of genres) {
    const trimmed = name.trim();
    if (trimmed && !byKey.has(trimmed.toLowerCase())) byKey.set(trimmed.toLowerCase(), trimmed);
  }
  return [...byKey].map(([key, name]) => ({ key, name }));
};

// Parameters as Cypher wants them: roles in the GraphQL enum's spelling,
// artists sorted so concurrent batches lock them in the same order.
function toRow(track: TrackGraphInput) {
  const artists = [...track.artists]
    .map((a) => ({ id: a.id, name: a.name, role: a.role.toUpperCase() }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const genres = normalizeGenres(track.genres);
  return {
    id: track.id,
    title: track.title,
    libraryId: track.libraryId,
    album: track.album
      ? { ...track.album, artistId: track.album.artistId, artistName: track.album.artistName ?? null }
      : null,
    artists,
    genres,
    hasFeatures: track.features !== undefined,
    features: featuresRow(track.features),
    // Similarity inputs other than features; compared to decide whether to recompute.
    shape: [
      track.libraryId,
      genres
        .map((g) => g.key)
        .sort()
        .join(','),
      [...new Set(artists.map((a) => a.id))].join(','),
    ].join('|'),
  };
}

const featuresRow = (f: AnalysisFeatures | undefined) => ({
  bpm: f?.bpm ?? null,
  camelot: f?.camelot?.toUpperCase() ?? null,
  lufs: f?.integratedLufs ?? null,
});

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The graph sync for ingest; `driver` stays the caller's. */
export function createGraphSync(driver: Driver, options: GraphSyncOptions = {}): GraphSync {
  const { database, retry, similarity, similarityBatchSize = 100 } = options;
  let closed: Promise<void> | undefined;

  const write = <T>(work: (tx: ManagedTransaction) => Promise<T>): Promise<T> =>
    withRetry(async () => {
      if (closed) throw new Error('graph sync is closed');
      const session = driver.session({
        defaultAccessMode: neo4j.session.WRITE,
        ...(database ? { database } : {}),
      });
      try {
        return await session.executeWrite(work);
      } finally {
        await session.close();
      }
    }, retry);

  // Collaborations and orphans after edges changed, in the same transaction.
  async function settle(tx: ManagedTransaction, artistIds: string[], oldNeighbours: string[]) {
    if (artistIds.length > 0) {
      await tx.run(cypher.dropCollaborations, { artistIds });
      await tx.run(cypher.countCollaborations, { artistIds });
    }
    if (oldNeighbours.length > 0) await tx.run(cypher.removeOrphans, { elementIds: oldNeighbours });
  }

  async function refreshSimilarity(ids: readonly string[]) {
    for (const chunk of chunks([...new Set(ids)], similarityBatchSize)) {
      await write((tx) => recomputeSimilarity(tx, chunk, similarity));
    }
  }

  return {
    ensureSchema() {
      return ensureGraphSchema(driver, { database, ...(retry ? { retry } : {}) });
    },

    async upsertTracks(batch) {
      if (batch.length === 0) return { tracks: 0, similarityUpdated: 0 };
      // One row per track (the last wins), as the statements expect.
      const rows = [...new Map(batch.map((t) => [t.id, t])).values()].map(toRow);
      const stale = await write(async (tx) => {
        const detached = (await tx.run(cypher.detachTracks, { rows })).records[0];
        const oldArtists = (detached?.get('artists') as string[] | undefined) ?? [];
        const oldNeighbours = (detached?.get('neighbours') as string[] | undefined) ?? [];
        const attached = (await tx.run(cypher.attachTracks, { rows })).records[0];
        const replaced = (attached?.get('replaced') as string[] | undefined) ?? [];
        const newArtists = rows.flatMap((r) => r.artists.map((a) => a.id));
        const albumArtists = rows.flatMap((r) => (r.album?.artistId ? [r.album.artistId] : []));
        await settle(tx, [...new Set([...oldArtists, ...newArtists, ...albumArtists])].sort(), [
          ...oldNeighbours,
          ...replaced,
        ]);
        const marked = await tx.run(cypher.markSimilarityInputs, { rows });
        return marked.records.map((r) => r.get('id') as string);
      });
      // Marked stale in the committed transaction: a crash before this point
      // leaves the mark, and the redelivered batch recomputes them.
      await refreshSimilarity(stale);
      return { tracks: rows.length, similarityUpdated: stale.length };
    },

    async removeTracks(trackIds) {
      if (trackIds.length === 0) return 0;
      const { removed, pointers } = await write(async (tx) => {
        const result = (await tx.run(cypher.deleteTracks, { ids: trackIds })).records[0];
        const artists = (result?.get('artists') as string[] | undefined) ?? [];
        const neighbours = (result?.get('neighbours') as string[] | undefined) ?? [];
        await settle(tx, [...artists].sort(), neighbours);
        return {
          removed: Number(result?.get('removed') ?? 0),
          pointers: (result?.get('pointers') as string[] | undefined) ?? [],
        };
      });
      await refreshSimilarity(pointers);
      return removed;
    },

    async updateSimilarity(trackIds, features = {}) {
      const rows = Object.entries(features).map(([id, f]) => ({ id, ...featuresRow(f) }));
      if (rows.length > 0) await write((tx) => tx.run(cypher.setFeatures, { rows }));
      await refreshSimilarity(trackIds);
    },

    async refreshStaleSimilarity(limit = 1000) {
      const ids = await write(async (tx) => {
        const result = await tx.run(cypher.staleTracks, { limit: neo4j.int(limit) });
        return result.records.map((r) => r.get('id') as string);
      });
      await refreshSimilarity(ids);
      return ids.length;
    },

    close() {
      closed ??= Promise.resolve();
      return closed;
    },
  };
}
