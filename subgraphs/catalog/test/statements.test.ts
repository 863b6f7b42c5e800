import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { seedCatalog } from '../src/seed.ts';
import { startCatalog, type Harness } from './harness.ts';

let h: Harness;
before(async () => {
  h = await startCatalog();
  await seedCatalog(h.database.db, { tracks: 400, albums: 60, artists: 40, seed: 5 });
});
after(() => h?.close());

async function statementsFor(query: string, variables?: Record<string, unknown>): Promise<number> {
  h.resetStatements();
  const res = await h.gql(query, variables);
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  return h.statements.length;
}

const TRACKS = `query ($n: Int) { tracks(first: $n) { edges { node {
  title album { title albumArtist { name } trackCount } albumArtist { name } artists { role artist { name trackCount } } library { name }
} } } }`;

test('a page of N tracks with album and artists costs the same statements for N = 10 and N = 100', async (t) => {
  const ten = await statementsFor(TRACKS, { n: 10 });
  const hundred = await statementsFor(TRACKS, { n: 100 });
  t.diagnostic(`statements: N=10 → ${ten}, N=100 → ${hundred}`);
  assert.equal(hundred, ten);
  // page, albums, album track counts, credits+artists, artist track counts, artists (album artists), libraries
  assert.ok(ten <= 8, `expected a handful of statements, got ${ten}`);
});

test('_entities with N track representations costs the same statements for N = 10 and N = 100', async (t) => {
  const ids = (await h.database.sql<{ id: string }[]>`select id from tracks order by id limit 100`).map(
    (r) => r.id,
  );
  const query = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Track { title album { title } artists { artist { name } } } } }`;
  const reps = (n: number) => ids.slice(0, n).map((id) => ({ __typename: 'Track', id }));
  const ten = await statementsFor(query, { r: reps(10) });
  const hundred = await statementsFor(query, { r: reps(100) });
  t.diagnostic(`_entities statements: N=10 → ${ten}, N=100 → ${hundred}`);
  assert.equal(hundred, ten);
  assert.equal(ten, 3);
});

test('the statements of a page are the same text whatever the number of ids, so each is prepared once per connection', async () => {
  const ids = (await h.database.sql<{ id: string }[]>`select id from tracks order by id limit 100`).map(
    (r) => r.id,
  );
  const query = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Track { title album { title trackCount } artists { artist { name trackCount } } } } }`;
  const texts = async (n: number) => {
    h.resetStatements();
    const res = await h.gql(query, { r: ids.slice(0, n).map((id) => ({ __typename: 'Track', id })) });
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    return [...h.statements].sort();
  };
  const seven = await texts(7);
  assert.ok(seven.length >= 5, `tracks, albums, credits and both counts: ${seven.length} statements`);
  assert.deepEqual(await texts(100), seven);
});
