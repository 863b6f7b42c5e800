// The local FerretDB's pushdown (tools/ferretdb/pushdown.patch) returns what
// FerretDB itself finds without it: the same random queries run on two
// collections holding the same documents, one with indexes (conditions and
// sorts pushed down to SQLite) and one without (FerretDB filters and sorts
// every document, as upstream does). Values of mixed types — numbers,
// strings, booleans, dates, null, missing — sit on the indexed paths, so a
// pushed-down condition that let through too little, or a sort that SQLite
// orders differently, shows up as a difference. On MongoDB (docker compose)
// this compares MongoDB with itself, which passes too.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { MongoClient, type Collection, type Document, type Filter, type Sort } from 'mongodb';
import { isolation, testServices } from '@tonegraph/testing';

const { mongoDb } = isolation();
let client: MongoClient;
let indexed: Collection<Document>;
let plain: Collection<Document>;

/** A small deterministic generator, so that a failure can be replayed. */
function random(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
  };
}

const r = random(20261202);
const strings = ['a', 'ab', 'b', 'B', 'ba', 'é', 'z', ' '];
const scalar = (): unknown =>
  r.pick([
    () => r.int(20),
    () => r.int(200) / 10,
    () => -r.int(5),
    () => r.pick(strings),
    () => r.pick([true, false]),
    () => new Date(1_700_000_000_000 + r.int(20) * 1000),
    () => null,
  ])();
const bound = (): unknown => r.pick([() => r.int(20), () => r.int(200) / 10, () => r.pick(strings)])();

before(async () => {
  client = new MongoClient(testServices().MONGO_URL, { serverSelectionTimeoutMS: 10_000 });
  await client.connect();
  const db = client.db(mongoDb);
  indexed = db.collection('indexed');
  plain = db.collection('plain');
  const docs = Array.from({ length: 400 }, (_, i) => {
    const doc: Document = { _id: `d${String(i).padStart(3, '0')}` };
    if (r.next() < 0.9) doc.a = scalar();
    if (r.next() < 0.8) doc.b = { c: scalar() };
    doc.s = r.pick(strings);
    return doc;
  });
  await indexed.insertMany(docs);
  await plain.insertMany(docs);
  for (const [name, key] of [
    ['a_id', { a: 1, _id: 1 }],
    ['bc_a', { 'b.c': 1, a: 1 }],
    ['s', { s: 1 }],
  ] as const)
    await indexed.createIndexes([{ key, name }]);
});

after(async () => {
  await client?.db(mongoDb).dropDatabase();
  await client?.close();
});

/** A query as this test builds it: any shape a client may send. */
type Query = Record<string, unknown>;

function condition(): Query {
  const path = r.pick(['a', 'b.c', 's', '_id']);
  if (path === '_id') {
    const ids = Array.from({ length: 1 + r.int(4) }, () => `d${String(r.int(420)).padStart(3, '0')}`);
    return r.pick<Query>([
      { _id: ids[0] },
      { _id: { $in: ids } },
      { _id: { $ne: ids[0] } },
      { _id: { $gt: ids[0] } },
    ]);
  }
  const op = r.pick(['eq', '$gt', '$gte', '$lt', '$lte', '$in', 'range', '$ne']);
  if (op === 'eq') return { [path]: bound() };
  if (op === '$in') return { [path]: { $in: [bound(), bound(), bound()] } };
  if (op === 'range') {
    const lo = r.int(15);
    return { [path]: { $gte: lo, $lt: lo + r.int(8) } };
  }
  return { [path]: { [op]: bound() } };
}

function filter(): Filter<Document> {
  const parts = Array.from({ length: 1 + r.int(2) }, (): Query =>
    r.next() < 0.25 ? { $or: [condition(), condition()] } : condition(),
  );
  if (parts.length === 1) return parts[0]!;
  // Side by side in one document (a later path replaces an earlier one), or under $and.
  return r.next() < 0.5 ? parts.reduce<Query>((all, p) => ({ ...all, ...p }), {}) : { $and: parts };
}

test('400 random queries find the same documents in the same order with and without pushdown', async () => {
  for (let i = 0; i < 400; i++) {
    const f = filter();
    const sort = r.pick<Sort | undefined>([
      undefined,
      { a: 1, _id: 1 },
      { a: -1, _id: 1 },
      { 'b.c': 1, _id: 1 },
      { _id: -1 },
    ]);
    // Without a sort, which documents a limit keeps is up to the server: limits go with sorts.
    const limit = sort ? r.pick([0, 1, 5, 50]) : 0;
    const run = async (c: Collection<Document>) => {
      let cursor = c.find(f);
      if (sort) cursor = cursor.sort(sort);
      if (limit) cursor = cursor.limit(limit);
      const ids = (await cursor.toArray()).map((d) => String(d._id));
      return sort ? ids : ids.sort();
    };
    const [got, want] = await Promise.all([run(indexed), run(plain)]);
    assert.deepEqual(
      got,
      want,
      `query ${i}: ${JSON.stringify(f)} sort ${JSON.stringify(sort)} limit ${limit}`,
    );
    const [n, m] = await Promise.all([indexed.countDocuments(f), plain.countDocuments(f)]);
    assert.equal(n, m, `count ${i}: ${JSON.stringify(f)}`);
  }
});
