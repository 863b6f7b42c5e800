// Every command shape the store and the subgraph send is an index search,
// on the server the tests run against: the local FerretDB build (its
// SQLite plan) or MongoDB (its winning plan). A new query shape that scans
// the collection fails here, not in production at 100,000 tracks.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Document } from 'mongodb';
import { analysis, hashOf, uuid } from './fixtures.ts';
import { createStoreFixture, type StoreFixture } from './harness.ts';

let f: StoreFixture;
let ferret = false;
before(async () => {
  f = await createStoreFixture('1');
  ferret = 'ferretdbVersion' in (await f.db.admin().command({ buildInfo: 1 }));
  // Enough tracks that a query planner would not pick a scan for a tiny table.
  await f.store.importAnalyses(
    Array.from({ length: 400 }, (_, i) => ({
      link: {
        trackId: uuid(),
        contentHash: hashOf(`ix-${i}`),
        libraryId: `lib-${i % 4}`,
        albumId: `album-${i % 40}`,
      },
      analysis: analysis({
        bpm: 60 + ((i * 17) % 130) + (i % 7) / 10,
        camelot: ['8A', '8B', '7A', '9A'][i % 4]!,
      }),
    })),
  );
});
after(() => f?.close());

/** The plan's steps that read the table, as text. */
function assertIndexed(explain: Document, what: string, options: { sorted?: boolean } = {}) {
  const text = JSON.stringify(explain);
  if (ferret) {
    const steps = [...text.matchAll(/detail=([^"]*)/g)].map((m) => m[1]!);
    assert.ok(steps.length > 0, `${what}: no plan in ${text}`);
    for (const step of steps)
      if (/^(SCAN|SEARCH) /.test(step)) assert.match(step, /^SEARCH .* USING .*INDEX/, `${what}: ${step}`);
    if (options.sorted) assert.ok(!steps.some((s) => s.includes('TEMP B-TREE')), `${what}: sorted in memory`);
  } else {
    assert.doesNotMatch(text, /COLLSCAN/, `${what}: ${text}`);
    assert.match(text, /IXSCAN|IDHACK|EXPRESS/, `${what}: ${text}`);
    if (options.sorted) assert.doesNotMatch(text, /"stage":"SORT"/, `${what}: sorted in memory`);
  }
}

test('track reads by id, tempo, key, library and album are index searches', async () => {
  const t = f.store.tracks;
  const ids = [uuid(), uuid()] as const;
  assertIndexed(await t.find({ _id: { $in: ids } }).explain(), 'findTracks / removeTracks');
  assertIndexed(
    await t
      .find({ 'tempo.bpm': { $gte: 100, $lte: 140 } })
      .sort({ 'tempo.bpm': 1, _id: 1 })
      .limit(51)
      .explain(),
    'tracksByTempo',
    { sorted: true },
  );
  assertIndexed(
    await t
      .find({
        'tempo.bpm': { $gte: 120, $lte: 140 },
        $or: [{ 'tempo.bpm': { $gt: 120 } }, { 'tempo.bpm': 120, _id: { $gt: ids[0] } }],
      })
      .sort({ 'tempo.bpm': 1, _id: 1 })
      .limit(51)
      .explain(),
    'tracksByTempo after a cursor',
    { sorted: true },
  );
  for (const direction of [1, -1] as const)
    assertIndexed(
      await t
        .find({ 'key.camelot': '8A', _id: { $ne: ids[0] }, 'tempo.bpm': { $gte: 110, $lte: 130 } })
        .sort({ 'tempo.bpm': direction, _id: 1 })
        .limit(20)
        .explain(),
      `harmonicMatches (${direction})`,
    );
  assertIndexed(
    await t
      .aggregate([{ $match: { 'tempo.bpm': { $gte: 120.5, $lte: 130, $lt: 120.51 } } }, { $count: 'n' }])
      .explain(),
    'totalCount in a hundredth',
  );
  assertIndexed(await t.find({ libraryId: 'lib-1' }).explain(), 'tracksToAnalyse');
  assertIndexed(
    await t.find({ albumId: { $in: ['album-1', 'album-2'] }, status: 'done' }).explain(),
    'album gain',
  );
});

test('every conditional write of a track, and every read of the other collections, finds its document by _id', async () => {
  const t = f.store.tracks;
  const id = uuid();
  const hash = hashOf('ix');
  assertIndexed(await t.find({ _id: id, status: { $ne: 'done' } }).explain(), 'markAnalyzing / markFailed');
  assertIndexed(
    await t.find({ _id: id, contentHash: { $ne: hash } }).explain(),
    'linkTrack, content changed',
  );
  assertIndexed(
    await t
      .find({
        _id: id,
        contentHash: hash,
        $or: [{ status: { $ne: 'done' } }, { analyzerVersion: { $ne: '1' } }],
      })
      .explain(),
    'saveAnalysis, completing a track',
  );
  for (const name of ['analyses', 'analysis_data', 'waiting', 'stats', 'schema']) {
    const c = f.db.collection<{ _id: string }>(name);
    await c.updateOne({ _id: 'present' }, { $setOnInsert: { present: true } }, { upsert: true });
    assertIndexed(await c.find({ _id: `${hash}:1` }).explain(), `${name} by _id`);
    assertIndexed(await c.find({ _id: { $in: [`${hash}:1`, `${hash}:2`] } }).explain(), `${name} by _ids`);
  }
});
