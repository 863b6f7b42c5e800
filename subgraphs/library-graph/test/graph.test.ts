import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { TrackGraphInput } from '../src/sync.ts';
import { createFixture, startLibraryGraph, type Harness } from './harness.ts';

let h: Harness;
const f = createFixture();
const tracks: TrackGraphInput[] = [];

// A chain of collaborations Ann–Bob–Cid–Dee, Ann–Eve on the side, Zed alone;
// plus 100 solo tracks by Ann on one album for the batching checks.
before(async () => {
  h = await startLibraryGraph();
  const credit = (name: string) => ({ id: f.artist(name), name, role: 'main' as const });
  const album = { id: randomUUID(), title: 'Many', artistId: f.artist('Ann'), artistName: 'Ann' };
  tracks.push(
    f.track({ artists: [credit('Ann'), credit('Bob')] }),
    f.track({ artists: [credit('Bob'), credit('Cid')] }),
    f.track({ artists: [credit('Cid'), credit('Dee')] }),
    f.track({ artists: [credit('Ann'), credit('Eve')] }),
    f.track({ artists: [credit('Zed')] }),
    ...Array.from({ length: 100 }, (_, i) =>
      f.track({ title: `solo ${i}`, album, artists: [credit('Ann')], genres: [f.genre('Jazz')] }),
    ),
  );
  await h.sync.upsertTracks(tracks);
  // @neo4j/graphql asks the server for its version on its first request.
  await h.gql('{ __typename }');
  await h.gql('query($a: ID!) { artistPath(fromId: $a, toId: $a) { id } }', { a: f.artist('Ann') });
});
after(async () => {
  await h.cleanupLibrary(f.libraryId);
  await h.close();
});

async function path(from: string, to: string): Promise<string[]> {
  const res = await h.gql<{ artistPath: { id: string }[] }>(
    'query($from: ID!, $to: ID!) { artistPath(fromId: $from, toId: $to) { id } }',
    { from: f.artist(from), to: f.artist(to) },
  );
  assert.deepEqual(res.errors, undefined);
  return res.data!.artistPath.map((a) => a.id);
}

test('artistPath is the shortest chain of collaborations, ends included', async () => {
  const ids = (...names: string[]) => names.map((n) => f.artist(n));
  assert.deepEqual(await path('Eve', 'Dee'), ids('Eve', 'Ann', 'Bob', 'Cid', 'Dee'));
  assert.deepEqual(await path('Dee', 'Ann'), ids('Dee', 'Cid', 'Bob', 'Ann'));
  assert.deepEqual(await path('Ann', 'Ann'), ids('Ann'));
  assert.deepEqual(await path('Ann', 'Zed'), []);
});

for (const n of [10, 100]) {
  test(`_entities with ${n} track representations is one Cypher query`, async () => {
    const reps = tracks.slice(5, 5 + n).map((t) => ({ __typename: 'Track', id: t.id }));
    h.queries.reset();
    const res = await h.gql<{ _entities: ({ id: string; appearsOn: { id: string }[] } | null)[] }>(
      `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Track {
         __typename id appearsOn { __typename id } performersConnection { edges { properties { role } node { id } } } } } }`,
      { reps },
    );
    assert.deepEqual(res.errors, undefined);
    assert.deepEqual(
      res.data!._entities.map((e) => e?.id),
      reps.map((r) => r.id),
      'in the order of the representations',
    );
    assert.equal(h.queries.statements.length, 1, h.queries.statements.join('\n---\n'));
  });
}

test('_entities over two types with ids the graph does not hold yet: one query per type, empty entities for those', async () => {
  const reps = [
    { __typename: 'Track', id: tracks[0]!.id },
    { __typename: 'Artist', id: f.artist('Bob') },
    { __typename: 'Track', id: randomUUID() },
    { __typename: 'Artist', id: f.artist('Cid') },
  ];
  h.queries.reset();
  const res = await h.gql<{ _entities: ({ id: string; similarTracks?: unknown[] } | null)[] }>(
    `query($reps: [_Any!]!) { _entities(representations: $reps) {
       ... on Track { id similarTracks(limit: 3) { id } similarToConnection { totalCount edges { node { id } } } }
       ... on Artist { id collaborators { id } } } }`,
    { reps },
  );
  assert.deepEqual(res.errors, undefined);
  assert.deepEqual(
    res.data!._entities.map((e) => e?.id ?? null),
    [reps[0]!.id, reps[1]!.id, reps[2]!.id, reps[3]!.id],
  );
  // A catalog track the graph has not synced yet: empty relationships, not null.
  assert.deepEqual(res.data!._entities[2], {
    id: reps[2]!.id,
    similarTracks: [],
    similarToConnection: { totalCount: 0, edges: [] },
  });
  assert.equal(h.queries.statements.length, 2);
});

test('a nested generated query is one Cypher statement', async () => {
  h.queries.reset();
  const res = await h.gql<{ _entities: { credits: { appearsOn: { trackNodes: { id: string }[] }[] }[] }[] }>(
    `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Artist {
       relatedArtists(limit: 3) { id }
       credits(limit: 5) { id genreNodes { name } appearsOn { id trackNodes(limit: 3) { id } creditedTo { id } } }
       collaboratorsConnection { edges { properties { count } node { id releases { id } } } }
     } } }`,
    { reps: [{ __typename: 'Artist', id: f.artist('Ann') }] },
  );
  assert.deepEqual(res.errors, undefined);
  const credits = res.data!._entities[0]!.credits;
  assert.equal(credits.length, 5);
  assert.equal(h.queries.statements.length, 1);
});
