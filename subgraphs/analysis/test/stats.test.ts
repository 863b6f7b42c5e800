// The counters behind analysisStats and tracksByTempo's totalCount agree
// with a count of the tracks themselves, through every kind of change a
// track goes through, and a tempo range is counted exactly whatever its bounds.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { computeStats, countByTempo } from '../src/queries.ts';
import { rebuildStats } from '../src/stats.ts';
import type { AnalysisStatus } from '../src/documents.ts';
import { analysis, hashOf, uuid } from './fixtures.ts';
import { createStoreFixture, type StoreFixture } from './harness.ts';

let f: StoreFixture;
before(async () => {
  f = await createStoreFixture('1');
});
after(() => f?.close());

/** The statistics counted from the tracks themselves. */
async function recount(libraryId: string | null) {
  const docs = await f.store.tracks.find(libraryId ? { libraryId } : {}).toArray();
  const byStatus: Record<AnalysisStatus, number> = { pending: 0, analyzing: 0, done: 0, failed: 0 };
  const byBpm = new Map<number, number>();
  const byKey = new Map<string, number>();
  for (const d of docs) {
    byStatus[d.status]++;
    if (d.tempo) byBpm.set(Math.floor(d.tempo.bpm), (byBpm.get(Math.floor(d.tempo.bpm)) ?? 0) + 1);
    if (d.key) byKey.set(d.key.camelot, (byKey.get(d.key.camelot) ?? 0) + 1);
  }
  return { byStatus, byBpm, byKey };
}

async function assertAgree(libraryId: string | null) {
  const counted = await computeStats(f.store, libraryId);
  const truth = await recount(libraryId);
  assert.deepEqual(counted.byStatus, truth.byStatus, `statuses of ${libraryId ?? 'all'}`);
  assert.deepEqual(
    [...counted.byBpm].sort(([a], [b]) => a - b),
    [...truth.byBpm].sort(([a], [b]) => a - b),
    `BPMs of ${libraryId ?? 'all'}`,
  );
  assert.deepEqual(new Map(counted.byKey.map((k) => [k.camelot, k.count])), truth.byKey);
}

test('counters follow links, analyses, failures, content changes, version bumps and removals', async () => {
  const keys = ['8A', '8B', '7A', '9A', null];
  const links = Array.from({ length: 24 }, (_, i) => ({
    trackId: uuid(),
    contentHash: hashOf(`stats-${i % 16}`),
    libraryId: i % 3 === 0 ? 'lib-a' : 'lib-b',
    albumId: null,
  }));
  for (const l of links.slice(0, 16)) await f.store.linkTrack(l);
  for (const l of links.slice(0, 6)) await f.store.markAnalyzing(l.trackId);
  await f.store.markFailed(links[6]!.trackId, 'not audio');
  for (let i = 0; i < 12; i++)
    await f.store.saveAnalysis(
      hashOf(`stats-${i}`),
      analysis({ bpm: i === 5 ? null : 90 + i * 3.37, camelot: keys[i % keys.length] }),
    );
  await assertAgree(null);
  // Duplicates of analysed content, linked done at once.
  for (const l of links.slice(16)) await f.store.linkTrack(l);
  // A content change clears the summary; a newer analyser keeps it while pending.
  await f.store.linkTrack({ ...links[0]!, contentHash: hashOf('stats-changed') });
  const { createAnalysisStore } = await import('../src/store.ts');
  const v2 = createAnalysisStore(f.db, { analyzerVersion: '2' });
  await v2.linkTrack(links[1]!);
  await f.store.removeTracks([links[2]!.trackId, links[20]!.trackId, uuid()]);
  for (const lib of [null, 'lib-a', 'lib-b']) await assertAgree(lib);
  const beforeRebuild = await computeStats(f.store, null);
  await rebuildStats(f.db);
  assert.deepEqual(await computeStats(f.store, null), beforeRebuild, 'a rebuild finds the same counts');
});

test('a tempo range is counted exactly, with bounds on, between and across hundredths', async () => {
  const items = Array.from({ length: 300 }, (_, i) => {
    const bpm = i < 200 ? 100 + Math.round(i * 7.31) / 100 : 60 + ((i * 37) % 130) + (i % 2 ? 0.5 : 0);
    return {
      link: { trackId: uuid(), contentHash: hashOf(`range-${i}`), libraryId: 'lib-range', albumId: null },
      analysis: analysis({ bpm }),
    };
  });
  await f.store.importAnalyses(items);
  await f.store.importAnalyses(items.slice(0, 50));
  const bounds: [number, number][] = [
    [0, 1000],
    [100, 100],
    [100.5, 101.23],
    [101.2299, 101.2301],
    [105.555, 112.12],
    [60, 60.5],
    [119.99, 190],
    [150.5, 150.5],
    [180.001, 180.009],
  ];
  for (const [min, max] of bounds) {
    const truth = await f.store.tracks.countDocuments({ 'tempo.bpm': { $gte: min, $lte: max } });
    assert.equal(await countByTempo(f.store, min, max), truth, `[${min}, ${max}]`);
  }
  assert.ok((await countByTempo(f.store, 0, 1000)) >= 300, 'the imported tracks are counted, once');
});
