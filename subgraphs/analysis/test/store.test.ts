import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createAnalysisStore } from '../src/store.ts';
import { createStoreFixture, type StoreFixture } from './harness.ts';
import { analysis, hashOf, uuid } from './fixtures.ts';

let f: StoreFixture;
before(async () => {
  f = await createStoreFixture('1');
});
after(() => f?.close());

const link = (contentHash: string, trackId = uuid(), albumId: string | null = null) => ({
  trackId,
  contentHash,
  libraryId: 'lib-1',
  albumId,
});

test('saving the same analysis twice stores one document and keeps the first', async () => {
  const hash = hashOf('twice');
  assert.equal(await f.store.hasAnalysis(hash), false);
  const first = await f.store.saveAnalysis(hash, analysis({ bpm: 100 }));
  const stored = await f.store.analyses.findOne({ _id: `${hash}:1` });
  const again = await f.store.saveAnalysis(hash, analysis({ bpm: 100 }));
  assert.equal(first.created, true);
  assert.equal(again.created, false);
  assert.equal(await f.store.hasAnalysis(hash), true);
  assert.equal(await f.store.analyses.countDocuments({ contentHash: hash }), 1);
  const after = await f.store.analyses.findOne({ _id: `${hash}:1` });
  assert.deepEqual(after?.analyzedAt, stored?.analyzedAt, 'a redelivery does not rewrite');
  assert.ok(after && !('waveforms' in after), 'the small document holds no waveforms');
  const data = await f.store.data.findOne({ _id: `${hash}:1` });
  assert.deepEqual(
    data?.waveforms.map((w) => [w.points, w.peaks.length()]),
    [
      [4096, 8192],
      [256, 512],
    ],
    'both waveforms, one byte per min and per max',
  );
  assert.equal(data?.gatingHistogram.bins, 140);
  assert.equal(data?.gatingHistogram.index.length(), 4, 'only the non-empty bin is kept');
});

test('concurrent deliveries of the same work store it once', async () => {
  const hash = hashOf('concurrent');
  const l = link(hash);
  const links = await Promise.all(Array.from({ length: 5 }, () => f.store.linkTrack(l)));
  assert.ok(links.every((s) => s === 'pending'));
  const saves = await Promise.all(Array.from({ length: 5 }, () => f.store.saveAnalysis(hash, analysis())));
  assert.equal(saves.filter((s) => s.created).length, 1, 'exactly one save creates the document');
  assert.equal(await f.store.analyses.countDocuments({ contentHash: hash }), 1);
  assert.equal(await f.store.tracks.countDocuments({ _id: l.trackId }), 1);
  assert.equal((await f.store.tracks.findOne({ _id: l.trackId }))?.status, 'done');
});

test('linkTrack before saveAnalysis: pending, then done once the analysis is saved', async () => {
  const hash = hashOf('before');
  const l = link(hash);
  assert.equal(await f.store.linkTrack(l), 'pending');
  const pending = await f.store.tracks.findOne({ _id: l.trackId });
  assert.equal(pending?.status, 'pending');
  assert.equal(pending?.tempo, undefined);
  assert.equal(await f.store.markAnalyzing(l.trackId), true);
  const saved = await f.store.saveAnalysis(hash, analysis({ bpm: 124.5, camelot: '8B' }));
  assert.deepEqual(saved.completed, [{ trackId: l.trackId, libraryId: 'lib-1', albumId: null }]);
  const done = await f.store.tracks.findOne({ _id: l.trackId });
  assert.equal(done?.status, 'done');
  assert.equal(done?.tempo?.bpm, 124.5);
  assert.equal(done?.tempoBucket, 124);
  assert.equal(done?.key?.camelot, '8B');
  assert.equal(done?.analyzerVersion, '1');
  assert.equal(done?.replayGain?.trackGainDb, -4);
  assert.ok(!('waveforms' in done) && !('gatingHistogram' in done), 'only the summary is copied');
  // Redelivered save: nothing newly completed, still one track document.
  assert.deepEqual((await f.store.saveAnalysis(hash, analysis({ bpm: 124.5 }))).completed, []);
  assert.equal(await f.store.tracks.countDocuments({ contentHash: hash }), 1);
});

test('linkTrack after saveAnalysis copies the summary at once, and redelivery changes nothing', async () => {
  const hash = hashOf('after');
  await f.store.saveAnalysis(hash, analysis({ bpm: 90, camelot: '7A' }));
  const l = link(hash, uuid(), 'album-1');
  assert.equal(await f.store.linkTrack(l), 'done');
  assert.equal(await f.store.linkTrack(l), 'done');
  const docs = await f.store.tracks.find({ _id: l.trackId }).toArray();
  assert.equal(docs.length, 1);
  assert.equal(docs[0]?.status, 'done');
  assert.equal(docs[0]?.tempo?.bpm, 90);
  assert.equal(docs[0]?.albumId, 'album-1');
  // A done track is not marked analysing or failed by a late message.
  assert.equal(await f.store.markAnalyzing(l.trackId), false);
  assert.equal(await f.store.markFailed(l.trackId, 'late'), false);
  assert.equal((await f.store.tracks.findOne({ _id: l.trackId }))?.status, 'done');
});

test('two tracks with the same content share one analysis', async () => {
  const hash = hashOf('shared');
  const a = link(hash);
  const b = link(hash);
  await f.store.linkTrack(a);
  await f.store.linkTrack(b);
  const saved = await f.store.saveAnalysis(hash, analysis());
  assert.deepEqual(saved.completed.map((t) => t.trackId).sort(), [a.trackId, b.trackId].sort());
  assert.equal(await f.store.analyses.countDocuments({ contentHash: hash }), 1);
});

test('changed content clears the old summary; a failure is recorded and cleared by a later success', async () => {
  const l = link(hashOf('v-one'));
  await f.store.saveAnalysis(l.contentHash, analysis({ bpm: 140 }));
  await f.store.linkTrack(l);
  const changed = { ...l, contentHash: hashOf('v-two') };
  assert.equal(await f.store.linkTrack(changed), 'pending');
  const pending = await f.store.tracks.findOne({ _id: l.trackId });
  assert.equal(pending?.status, 'pending');
  assert.equal(pending?.tempo, undefined, 'the old summary described other audio');
  assert.equal(pending?.analyzerVersion, undefined);
  assert.equal(await f.store.markFailed(l.trackId, 'x'.repeat(5000)), true);
  const failed = await f.store.tracks.findOne({ _id: l.trackId });
  assert.equal(failed?.status, 'failed');
  assert.equal(failed?.error?.length, 2000);
  await f.store.saveAnalysis(changed.contentHash, analysis({ bpm: 141 }));
  const done = await f.store.tracks.findOne({ _id: l.trackId });
  assert.equal(done?.status, 'done');
  assert.equal(done?.error, null);
  assert.equal(done?.tempo?.bpm, 141);
});

test('an analyser version bump re-analyses: pending with the old values, then the new ones', async () => {
  const hash = hashOf('bump');
  const l = link(hash);
  await f.store.saveAnalysis(hash, analysis({ bpm: 100 }));
  assert.equal(await f.store.linkTrack(l), 'done');
  const v2 = createAnalysisStore(f.store.tracks.db, { analyzerVersion: '2' });
  assert.equal(await v2.hasAnalysis(hash), false, 'unchanged content, new analyser');
  assert.equal(await v2.linkTrack(l), 'pending');
  const meanwhile = await f.store.tracks.findOne({ _id: l.trackId });
  assert.equal(meanwhile?.status, 'pending');
  assert.equal(meanwhile?.tempo?.bpm, 100, 'the previous version stays visible');
  assert.equal(meanwhile?.analyzerVersion, '1');
  await assert.rejects(v2.saveAnalysis(hash, analysis({ version: '1' })), /analyser 1, this store is for 2/);
  const saved = await v2.saveAnalysis(hash, analysis({ bpm: 101, version: '2' }));
  assert.equal(saved.created, true);
  assert.deepEqual(
    saved.completed.map((t) => t.trackId),
    [l.trackId],
  );
  const now = await f.store.tracks.findOne({ _id: l.trackId });
  assert.equal(now?.analyzerVersion, '2');
  assert.equal(now?.tempo?.bpm, 101);
  assert.equal(await f.store.analyses.countDocuments({ contentHash: hash }), 2);
  // Unchanged content at the current version is not re-analysed.
  assert.equal(await v2.linkTrack(l), 'done');
});

test('tracksToAnalyse: unknown, changed and older-version tracks; not pending, failed or current ones', async () => {
  const lib = (contentHash: string) => ({ ...link(contentHash), libraryId: 'lib-catch-up' });
  const current = lib(hashOf('catch-up current'));
  await f.store.saveAnalysis(current.contentHash, analysis());
  await f.store.linkTrack(current);
  const pending = lib(hashOf('catch-up pending'));
  await f.store.linkTrack(pending);
  const failed = lib(hashOf('catch-up failed'));
  await f.store.linkTrack(failed);
  await f.store.markFailed(failed.trackId, 'not audio');
  const changed = lib(hashOf('catch-up old content'));
  await f.store.linkTrack(changed);
  const unknown = lib(hashOf('catch-up unknown'));
  const v2 = createAnalysisStore(f.store.tracks.db, { analyzerVersion: '2' });
  const all = [
    current,
    pending,
    failed,
    { ...changed, contentHash: hashOf('catch-up new content') },
    unknown,
  ];
  assert.deepEqual(
    (await f.store.tracksToAnalyse('lib-catch-up', all)).sort(),
    [changed.trackId, unknown.trackId].sort(),
  );
  // For a newer analyser, the track done by version 1 is due as well.
  assert.deepEqual(
    (await v2.tracksToAnalyse('lib-catch-up', all)).sort(),
    [current.trackId, changed.trackId, unknown.trackId].sort(),
  );
  assert.deepEqual(await f.store.tracksToAnalyse('lib-catch-up', []), []);
});

test('removeTracks forgets tracks, keeps the shared analyses; bad hashes are refused', async () => {
  const hash = hashOf('removed');
  const l = link(hash);
  await f.store.saveAnalysis(hash, analysis());
  await f.store.linkTrack(l);
  assert.equal(await f.store.removeTracks([l.trackId, uuid()]), 1);
  assert.equal(await f.store.removeTracks([l.trackId]), 0);
  assert.deepEqual(await f.store.findTracks([l.trackId]), []);
  assert.equal(await f.store.hasAnalysis(hash), true);
  await assert.rejects(f.store.linkTrack(link('not-a-hash')), TypeError);
  await assert.rejects(f.store.saveAnalysis('ABC', analysis()), TypeError);
});

test('ensureSchema on an empty database: several processes at once, one creates it, all return with it ready', async () => {
  const db = f.client.db(`${f.db.databaseName}_schema`);
  try {
    const stores = Array.from({ length: 4 }, () => createAnalysisStore(db, { analyzerVersion: '1' }));
    await Promise.all(stores.map((s) => s.ensureSchema()));
    const names = (await db.collection('tracks').indexes()).map((i) => i.name).sort();
    assert.deepEqual(names, ['_id_', 'album_status', 'camelot_tempo_id', 'library_status', 'tempo_id']);
    const schema = await db.collection<{ _id: string; version?: number }>('schema').find({}).toArray();
    assert.deepEqual(
      schema.map((d) => [d._id, d.version]),
      [['analysis-store', 2]],
      'the version is recorded and no lock is left behind',
    );
    await stores[0]?.ensureSchema();
  } finally {
    await db.dropDatabase();
  }
});
