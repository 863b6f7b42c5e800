import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { MongoClient, MongoServerError } from 'mongodb';
import { isolation, testServices } from '@tonegraph/testing';

const { mongoDb } = isolation();
let client: MongoClient;

before(async () => {
  client = new MongoClient(testServices().MONGO_URL, { maxPoolSize: 20, serverSelectionTimeoutMS: 10_000 });
  await client.connect();
});

after(async () => {
  await client?.db(mongoDb).dropDatabase();
  await client?.close();
});

test('insert, find with a filter, and a unique index that is enforced', async () => {
  const analyses = client.db(mongoDb).collection<{ hash: string; bpm: number; key: string }>('analyses');
  await analyses.createIndex({ hash: 1 }, { unique: true });
  await analyses.createIndex({ bpm: 1, key: 1 });
  await analyses.insertMany([
    { hash: 'a', bpm: 120, key: '8A' },
    { hash: 'b', bpm: 174, key: '5A' },
    { hash: 'c', bpm: 124, key: '8B' },
  ]);
  const house = await analyses
    .find({ bpm: { $gte: 118, $lte: 128 } })
    .sort({ bpm: 1 })
    .toArray();
  assert.deepEqual(
    house.map((d) => d.hash),
    ['a', 'c'],
  );
  const names = (await analyses.indexes()).map((i) => i.name);
  assert.ok(names.includes('hash_1') && names.includes('bpm_1_key_1'), `indexes: ${names.join(', ')}`);
  await assert.rejects(analyses.insertOne({ hash: 'a', bpm: 1, key: '1A' }), MongoServerError);
});

test('an aggregation groups and sorts', async () => {
  const plays = client.db(mongoDb).collection<{ genre: string; n: number }>('plays');
  await plays.insertMany([
    { genre: 'house', n: 2 },
    { genre: 'techno', n: 5 },
    { genre: 'house', n: 4 },
  ]);
  const rows = await plays
    .aggregate<{ _id: string; total: number }>([
      { $group: { _id: '$genre', total: { $sum: '$n' } } },
      { $sort: { total: -1 } },
    ])
    .toArray();
  assert.deepEqual(rows, [
    { _id: 'house', total: 6 },
    { _id: 'techno', total: 5 },
  ]);
});

test('an update command of 150 updates that match existing documents answers, every one applied', async () => {
  const counters = client.db(mongoDb).collection<{ _id: string; n: number }>('counters');
  const ops = (n: number) =>
    Array.from({ length: 150 }, (_, i) => ({
      updateOne: { filter: { _id: `c${i}` }, update: { $set: { n } }, upsert: true },
    }));
  await counters.bulkWrite(ops(1), { ordered: false });
  const result = await counters.bulkWrite(ops(2), { ordered: false });
  assert.equal(result.matchedCount, 150);
  assert.equal(await counters.countDocuments({ n: 2 }), 150);
});
