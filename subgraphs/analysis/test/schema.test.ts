// Upgrading an analysis database written by the previous schema (waveforms
// and histograms as arrays inside `analyses`, no counters, other indexes):
// the data is moved and compacted, counters are counted, indexes replaced.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Db } from 'mongodb';
import { computeStats, findWaveforms } from '../src/queries.ts';
import { createAnalysisStore } from '../src/store.ts';
import { analysis, hashOf, uuid } from './fixtures.ts';
import { createStoreFixture, type StoreFixture } from './harness.ts';

let f: StoreFixture;
let db: Db;
before(async () => {
  f = await createStoreFixture('1');
  db = f.client.db(`${f.db.databaseName}_v1`);
});
after(async () => {
  await db?.dropDatabase();
  await f?.close();
});

test('a version 1 database is upgraded once, by one process, with nothing lost', async () => {
  const tracks = db.collection('tracks');
  for (const [name, key] of [
    ['tempo', { 'tempo.bpm': 1, _id: 1 }],
    ['key_tempo', { 'key.camelot': 1, 'tempo.bpm': 1 }],
    ['album', { albumId: 1 }],
    ['content', { contentHash: 1 }],
  ] as const)
    await tracks.createIndexes([{ key, name }]);
  const old = [110, 120.5, 128].map((bpm, i) => ({ hash: hashOf(`v1-${i}`), a: analysis({ bpm }) }));
  for (const { hash, a } of old) {
    await db
      .collection('analyses')
      .insertOne({ _id: `${hash}:1` as never, ...a, contentHash: hash, analyzedAt: new Date() });
    await tracks.insertOne({
      _id: uuid() as never,
      contentHash: hash,
      libraryId: 'lib-v1',
      albumId: null,
      status: 'done',
      error: null,
      analyzerVersion: '1',
      tempo: a.tempo,
      key: a.key,
      updatedAt: new Date(),
    });
  }

  const stores = [1, 2, 3].map(() => createAnalysisStore(db, { analyzerVersion: '1' }));
  await Promise.all(stores.map((s) => s.ensureSchema()));
  const store = stores[0]!;

  const names = (await tracks.indexes()).map((i) => i.name).sort();
  assert.deepEqual(names, ['_id_', 'album_status', 'camelot_tempo_id', 'library_status', 'tempo_id']);
  assert.equal(await db.collection('analyses').countDocuments({ waveforms: { $exists: true } }), 0);
  const waveforms = await findWaveforms(store, [`${old[1]!.hash}:1`]);
  const [big] = waveforms.get(`${old[1]!.hash}:1`) ?? [];
  const original = old[1]!.a.waveforms[0]!;
  assert.equal(big?.points, original.points);
  assert.ok(big?.max.every((v, i) => v >= original.max[i]! && v - original.max[i]! < 1 / 127));
  const stats = await computeStats(store, 'lib-v1');
  assert.equal(stats.byStatus.done, 3);
  assert.deepEqual([...stats.byBpm].sort(), [
    [110, 1],
    [120, 1],
    [128, 1],
  ]);
  assert.ok(await store.hasAnalysis(old[0]!.hash));
});
