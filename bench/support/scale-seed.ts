// Fills the analysis store and the library graph from a seeded catalog, in
// bulk and through the packages that own them (`@tonegraph/analysis/store`,
// `@tonegraph/library-graph/sync`), as ingest would leave them.
import type { Driver } from 'neo4j-driver';
import { createAnalysisStore, type AnalysisStore, type TrackLink } from '@tonegraph/analysis/store';
import { ANALYZER_VERSION } from '@tonegraph/audio-analysis';
import { createGraphSync } from '@tonegraph/library-graph/sync';
import type { Db } from 'mongodb';
import type { SeededTrack } from './scale-catalog.ts';
import { syntheticAnalysis, syntheticFeatures } from './scale-data.ts';

/** Runs `work` over `items` with at most `limit` in flight. */
export async function pool<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

const linkOf = (t: SeededTrack): TrackLink => ({
  trackId: t.id,
  contentHash: t.contentHash,
  libraryId: t.libraryId,
  albumId: t.album?.id ?? null,
});

export interface AnalysisSeed {
  readonly store: AnalysisStore;
  readonly seconds: number;
}

/**
 * Tracks per `importAnalyses` call. Small so that a FerretDB without the
 * local build's msg_update fix (tools/ferretdb/pushdown.patch) can be
 * measured too: FerretDB 1.24 as released never answers an update command
 * of 100 or more updates on existing documents, and one import call sends
 * one update per counter document it touches (~117 for 500 tracks).
 */
const IMPORT_BATCH = 50;

/**
 * Every track's analysis through the store's bulk `importAnalyses`
 * (generated batch by batch, never all in memory); the few unanalysed
 * tracks linked to content without an analysis, one in five then failed.
 */
export async function seedAnalysisStore(
  db: Db,
  tracks: readonly SeededTrack[],
  onProgress: (done: number) => void,
): Promise<AnalysisSeed> {
  const store = createAnalysisStore(db, { analyzerVersion: ANALYZER_VERSION });
  await store.ensureSchema();
  const started = performance.now();
  const analysed = tracks.filter((t) => t.analysed);
  for (let i = 0; i < analysed.length; i += IMPORT_BATCH) {
    const batch = analysed.slice(i, i + IMPORT_BATCH);
    await store.importAnalyses(
      batch.map((t) => ({ link: linkOf(t), analysis: syntheticAnalysis(t.content) })),
    );
    onProgress(i + batch.length);
  }
  await pool(
    tracks.filter((t) => !t.analysed),
    8,
    async (t) => {
      await store.linkTrack(linkOf(t));
      if (t.content.index % 5 === 0) await store.markFailed(t.id, 'undecodable audio (seeded)');
    },
  );
  return { store, seconds: (performance.now() - started) / 1000 };
}

/**
 * Upserts every track into the library graph with its analysis features,
 * `batch` tracks per call, `concurrency` calls in flight. `fast` narrows the
 * similarity search (fewer candidates per source, a narrower tempo window):
 * the sync's default computes ~50 ms per track on this machine, hours at
 * 100,000 tracks; the edges it leaves are as many, only chosen among fewer.
 */
export async function seedGraph(
  driver: Driver,
  tracks: readonly SeededTrack[],
  { batch, concurrency, fast }: { batch: number; concurrency: number; fast: boolean },
  onProgress: (done: number) => void,
): Promise<number> {
  const sync = createGraphSync(
    driver,
    fast ? { similarity: { candidatesPerSource: 25, bpmWindow: 0.02 } } : {},
  );
  const started = performance.now();
  try {
    await sync.ensureSchema();
    const batches: SeededTrack[][] = [];
    for (let i = 0; i < tracks.length; i += batch) batches.push(tracks.slice(i, i + batch));
    let done = 0;
    await pool(batches, concurrency, async (b) => {
      await sync.upsertTracks(
        b.map((t) => ({
          id: t.id,
          title: t.title,
          libraryId: t.libraryId,
          album: t.album,
          artists: t.artists,
          genres: t.genres,
          ...(t.analysed ? { features: syntheticFeatures(t.content) } : {}),
        })),
      );
      onProgress((done += b.length));
    });
  } finally {
    await sync.close();
  }
  return (performance.now() - started) / 1000;
}

/**
 * Removes what the run put in the shared Neo4j: its tracks, albums and
 * artists (all with ids of this run) and its libraries, in batches; genres
 * only when no track uses them any more. Plain Cypher rather than the sync's
 * removeTracks, which would recompute the similarity of every remaining
 * track of the library after each batch.
 */
export async function clearGraph(
  driver: Driver,
  tracks: readonly SeededTrack[],
  libraryIds: readonly string[],
): Promise<void> {
  const albums = [...new Set(tracks.flatMap((t) => (t.album ? [t.album.id] : [])))];
  const artists = [
    ...new Set(
      tracks.flatMap((t) => [
        ...t.artists.map((a) => a.id),
        ...(t.album?.artistId ? [t.album.artistId] : []),
      ]),
    ),
  ];
  const genres = [...new Set(tracks.flatMap((t) => t.genres.map((g) => g.trim().toLowerCase())))];
  const remove = async (label: string, ids: readonly string[]) => {
    for (let i = 0; i < ids.length; i += 2000)
      await driver.executeQuery(`UNWIND $ids AS id MATCH (n:${label} {id: id}) DETACH DELETE n`, {
        ids: ids.slice(i, i + 2000),
      });
  };
  await remove(
    'Track',
    tracks.map((t) => t.id),
  );
  await remove('Album', albums);
  await remove('Artist', artists);
  await remove('Library', libraryIds);
  await driver.executeQuery(
    'UNWIND $keys AS key MATCH (g:Genre {key: key}) WHERE NOT (g)<-[:HAS_GENRE]-() DELETE g',
    { keys: genres },
  );
}
