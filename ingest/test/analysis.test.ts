// The analysis stage: each committed track is analysed once per content in
// the worker pool, stored in MongoDB, and the import completes only once its
// analyses have ended.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { MongoClient } from 'mongodb';
import { ANALYZER_VERSION, createAnalysisPool, type AnalysisPool } from '@tonegraph/audio-analysis';
import { createAnalysisStore } from '@tonegraph/analysis/store';
import { generateFixtures, type FixtureSet } from '@tonegraph/fixtures';
import { isolation, testServices } from '@tonegraph/testing';
import { startHarness, type IngestHarness } from './harness.ts';

let set: FixtureSet;
let h: IngestHarness;
let mongo: MongoClient;
let pool: AnalysisPool;
const dbName = isolation().mongoDb;
let libraryId: string;

before(async () => {
  set = await generateFixtures(await mkdtemp(path.join(tmpdir(), 'tonegraph-analysis-')), {
    durationSeconds: 6,
  });
  mongo = new MongoClient(testServices().MONGO_URL);
  await mongo.connect();
  const store = createAnalysisStore(mongo.db(dbName), { analyzerVersion: ANALYZER_VERSION });
  await store.ensureSchema();
  pool = createAnalysisPool({ threads: 2, taskTimeoutMs: 60_000 });
  h = await startHarness({ analysis: { store, pool, analyzerVersion: ANALYZER_VERSION, concurrency: 4 } });
  libraryId = await h.addLibrary(set.dir);
});

after(async () => {
  await h?.close();
  await pool?.close();
  await mongo?.db(dbName).dropDatabase();
  await mongo?.close();
  await rm(set.dir, { recursive: true, force: true });
});

interface TrackDoc {
  _id: string;
  status: string;
  contentHash: string;
  tempo?: { bpm: number } | null;
  key?: { camelot: string } | null;
}

test('an import waits for the analysis of every track it read; results land in MongoDB', async () => {
  const job = await h.scan(libraryId, 'FULL');
  assert.equal(job.status, 'COMPLETED');
  assert.equal(job.analysis_total, set.tracks.length, 'every imported track was queued for analysis');
  assert.equal(job.analysis_done, set.tracks.length);
  assert.equal(job.analysis_failed, 0);

  const rows = await h.database.sql<{ id: string; file_path: string; content_hash: string }[]>`
    select id, file_path, content_hash from tracks where library_id = ${libraryId}`;
  const docs = await mongo
    .db(dbName)
    .collection<TrackDoc>('tracks')
    .find({ _id: { $in: rows.map((r) => r.id) } })
    .toArray();
  assert.equal(docs.length, rows.length);
  for (const doc of docs) {
    const row = rows.find((r) => r.id === doc._id)!;
    assert.equal(doc.status, 'done', row.file_path);
    assert.equal(doc.contentHash, row.content_hash);
  }
  // The fixtures carry a known tempo; the analysis of the longest-lived format should find it.
  const wav = set.tracks.find((t) => t.ext === 'wav')!;
  const wavRow = rows.find((r) => r.file_path.endsWith(wav.file))!;
  const wavDoc = docs.find((d) => d._id === wavRow.id)!;
  assert.ok(wavDoc.tempo, 'the WAV fixture has a tempo');
  assert.ok(Math.abs(wavDoc.tempo.bpm - wav.bpm) / wav.bpm < 0.03, `bpm ${wavDoc.tempo.bpm} vs ${wav.bpm}`);
  assert.equal(
    await mongo.db(dbName).collection('analyses').countDocuments(),
    new Set(rows.map((r) => r.content_hash)).size,
  );
});

test('a full rescan reuses the stored analyses: nothing is analysed twice', async () => {
  const before = await mongo
    .db(dbName)
    .collection('analyses')
    .find()
    .project({ _id: 1, analyzedAt: 1 })
    .toArray();
  const job = await h.scan(libraryId, 'FULL');
  assert.equal(job.status, 'COMPLETED');
  assert.equal(job.analysis_done, set.tracks.length);
  const afterDocs = await mongo
    .db(dbName)
    .collection('analyses')
    .find()
    .project({ _id: 1, analyzedAt: 1 })
    .toArray();
  assert.deepEqual(afterDocs, before);
});

test('an incremental rescan of unchanged files whose analyses are current queues no analysis', async () => {
  const job = await h.scan(libraryId, 'INCREMENTAL');
  assert.equal(job.status, 'COMPLETED');
  assert.equal(job.analysis_total, 0);
});

test('unchanged files lacking a current analysis (database reset, older analyser) are analysed by an incremental rescan', async () => {
  const db = mongo.db(dbName);
  const rows = await h.database.sql<{ id: string; content_hash: string }[]>`
    select id, content_hash from tracks where library_id = ${libraryId} order by file_path`;
  // Two tracks whose documents were lost, two done by an older analyser whose results alone remain.
  const lost = rows.slice(0, 2);
  const older = rows.slice(2, 4);
  await db.collection<TrackDoc>('tracks').deleteMany({ _id: { $in: lost.map((r) => r.id) } });
  await db
    .collection<TrackDoc>('tracks')
    .updateMany({ _id: { $in: older.map((r) => r.id) } }, { $set: { analyzerVersion: 'older' } });
  const stale = [...lost, ...older].map((r) => `${r.content_hash}:${ANALYZER_VERSION}`);
  await db.collection<{ _id: string }>('analyses').deleteMany({ _id: { $in: stale } });

  const job = await h.scan(libraryId, 'INCREMENTAL');
  assert.equal(job.status, 'COMPLETED');
  assert.equal(job.analysis_total, 4, 'the four tracks without a current analysis');
  assert.equal(job.analysis_done, 4);
  const docs = await db
    .collection<TrackDoc & { analyzerVersion: string }>('tracks')
    .find({ _id: { $in: [...lost, ...older].map((r) => r.id) } })
    .toArray();
  assert.equal(docs.length, 4);
  for (const doc of docs) {
    assert.equal(doc.status, 'done');
    assert.equal(doc.analyzerVersion, ANALYZER_VERSION);
  }
  assert.equal(
    await db.collection<{ _id: string }>('analyses').countDocuments({ _id: { $in: stale } }),
    new Set(stale).size,
  );
  // Caught up: the next rescan has nothing to do.
  assert.equal((await h.scan(libraryId, 'INCREMENTAL')).analysis_total, 0);
});
