import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createGraphSync, type TrackGraphInput } from '../src/sync.ts';
import { createFixture, startLibraryGraph, type Harness } from './harness.ts';

let h: Harness;
before(async () => {
  h = await startLibraryGraph();
});
after(() => h.close());

interface Ids {
  similarTracks: { id: string }[];
  similarToConnection: { edges: { properties: { score: number }; node: { id: string } }[] };
}

async function similarOf(id: string) {
  const res = await h.gql<{ _entities: Ids[] }>(
    `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Track {
       similarTracks(limit: 10) { id }
       similarToConnection(sort: [{ edge: { score: DESC } }]) { edges { properties { score } node { id } } }
     } } }`,
    { reps: [{ __typename: 'Track', id }] },
  );
  assert.deepEqual(res.errors, undefined);
  return res.data!._entities[0]!;
}

function handBuilt() {
  const f = createFixture();
  const ann = { id: f.artist('Ann'), name: 'Ann', role: 'main' as const };
  const bob = { id: f.artist('Bob'), name: 'Bob', role: 'main' as const };
  const house = [f.genre('House')];
  const seed = f.track({
    title: 'seed',
    artists: [ann],
    genres: house,
    features: { bpm: 128, camelot: '8A', integratedLufs: -8 },
  });
  // Same everything: 1.0.
  const twin = f.track({
    title: 'twin',
    artists: [ann],
    genres: house,
    features: { bpm: 128, camelot: '8A', integratedLufs: -8 },
  });
  // Close tempo, adjacent key, 1 LU apart, same genre, other artist: ≈ 0.78.
  const near = f.track({
    title: 'near',
    artists: [bob],
    genres: house,
    features: { bpm: 129, camelot: '9A', integratedLufs: -9 },
  });
  // Close tempo only: ≈ 0.26.
  const tempo = f.track({
    title: 'tempo',
    artists: [bob],
    genres: [f.genre('Techno')],
    features: { bpm: 126, camelot: '3B', integratedLufs: -14 },
  });
  // Same key and loudness but far in tempo and nothing shared: not a candidate.
  const far = f.track({
    title: 'far',
    artists: [bob],
    genres: [],
    features: { bpm: 90, camelot: '8A', integratedLufs: -8 },
  });
  return { f, seed, twin, near, tempo, far, all: [seed, twin, near, tempo, far] };
}

test('similar tracks come best first: tempo, key, loudness, genres and artists', async (t) => {
  const { f, seed, twin, near, tempo, far, all } = handBuilt();
  t.after(() => h.cleanupLibrary(f.libraryId));
  await h.sync.upsertTracks(all);
  const result = await similarOf(seed.id);
  assert.deepEqual(
    result.similarTracks.map((t) => t.id),
    [twin.id, near.id, tempo.id],
  );
  const scores = result.similarToConnection.edges.map((e) => e.properties.score);
  assert.equal(scores[0], 1);
  assert.ok(Math.abs(scores[1]! - 0.78) < 0.01, `near scored ${scores[1]}`);
  assert.ok(Math.abs(scores[2]! - 0.26) < 0.01, `tempo scored ${scores[2]}`);
  assert.ok(!result.similarTracks.some((t) => t.id === far.id));

  // New features: `tempo` now matches the seed's (0.75: no genre or artist
  // shared), `near` moves off key and loudness (≈ 0.46). The seed's list follows.
  await h.sync.updateSimilarity([tempo.id, near.id], {
    [tempo.id]: { bpm: 128, camelot: '8A', integratedLufs: -8 },
    [near.id]: { bpm: 129, camelot: '3B', integratedLufs: -14 },
  });
  assert.deepEqual(
    (await similarOf(seed.id)).similarTracks.map((t) => t.id),
    [twin.id, tempo.id, near.id],
  );
  // Recommendations from two seeds exclude the seeds.
  const recs = await h.gql<{ recommendations: { id: string }[] }>(
    'query($s: [ID!]!) { recommendations(seedTrackIds: $s, limit: 5) { id } }',
    { s: [seed.id, twin.id] },
  );
  assert.deepEqual(
    recs.data?.recommendations.map((t) => t.id),
    [tempo.id, near.id],
  );
});

test('each track keeps at most top-K similarity edges; removals refill lists', async (t) => {
  const f = createFixture();
  t.after(() => h.cleanupLibrary(f.libraryId));
  const sync = createGraphSync(h.driver, { similarity: { topK: 3 } });
  const artist = { id: f.artist('Ann'), name: 'Ann', role: 'main' as const };
  const tracks: TrackGraphInput[] = Array.from({ length: 8 }, (_, i) =>
    f.track({
      title: `t${i}`,
      artists: [artist],
      genres: [f.genre('House')],
      features: { bpm: 120 + i * 0.5, camelot: '8A', integratedLufs: -8 },
    }),
  );
  for (const t of tracks) await sync.upsertTracks([t]);
  const degrees = async () => {
    const { records } = await h.driver.executeQuery(
      'MATCH (t:Track {libraryId: $lib}) RETURN t.id AS id, COUNT { (t)-[:SIMILAR_TO]->() } AS out',
      { lib: f.libraryId },
    );
    return new Map(records.map((r) => [r.get('id') as string, Number(r.get('out'))]));
  };
  for (const [id, out] of await degrees()) assert.equal(out, 3, `track ${id} has ${out} edges`);
  await sync.removeTracks([tracks[1]!.id]);
  for (const [id, out] of await degrees())
    assert.equal(out, 3, `after removal, track ${id} has ${out} edges`);
});
