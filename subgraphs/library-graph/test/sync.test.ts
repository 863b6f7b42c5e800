import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Driver } from 'neo4j-driver';
import type { TrackGraphInput } from '../src/sync.ts';
import { createFixture, startLibraryGraph, type Harness } from './harness.ts';

let h: Harness;
before(async () => {
  h = await startLibraryGraph();
});
after(() => h.close());

/** Every node reachable from the library's tracks in two hops, and every edge among them. */
async function snapshot(driver: Driver, libraryId: string) {
  const { records } = await driver.executeQuery(
    `MATCH (t:Track {libraryId: $libraryId})
     OPTIONAL MATCH (t)-[*0..2]-(n)
     WITH collect(DISTINCT n) AS nodes
     UNWIND nodes AS n
     OPTIONAL MATCH (n)-[r]->(m) WHERE m IN nodes
     WITH nodes, r ORDER BY elementId(r)
     RETURN size(nodes) AS nodes,
            collect(type(r) + ':' + coalesce(toString(r.role), '') + coalesce(toString(r.count), '') + coalesce(toString(r.score), '')) AS edges`,
    { libraryId },
  );
  const row = records[0];
  return {
    nodes: Number(row?.get('nodes') ?? 0),
    edges: ((row?.get('edges') as string[] | undefined) ?? []).sort(),
  };
}

async function exists(driver: Driver, label: string, key: string, value: string): Promise<boolean> {
  const { records } = await driver.executeQuery(`MATCH (n:${label} {${key}: $value}) RETURN count(n) AS n`, {
    value,
  });
  return Number(records[0]?.get('n')) > 0;
}

async function collaborations(driver: Driver, artistId: string): Promise<Record<string, number>> {
  const { records } = await driver.executeQuery(
    'MATCH (:Artist {id: $artistId})-[c:COLLABORATED_WITH]-(o:Artist) RETURN o.name AS name, c.count AS count',
    { artistId },
  );
  return Object.fromEntries(records.map((r) => [r.get('name') as string, Number(r.get('count'))]));
}

function smallLibrary() {
  const f = createFixture();
  const credit = (name: string, role: 'main' | 'featured' | 'remixer' | 'composer' = 'main') => ({
    id: f.artist(name),
    name,
    role,
  });
  const album = { id: randomUUID(), title: 'First', artistId: f.artist('Ann'), artistName: 'Ann' };
  const tracks: TrackGraphInput[] = [
    f.track({
      title: 'one',
      album,
      artists: [credit('Ann'), credit('Bob', 'featured')],
      genres: [f.genre('House')],
      features: { bpm: 124, camelot: '8A', integratedLufs: -9 },
    }),
    f.track({
      title: 'two',
      album,
      artists: [credit('Ann'), credit('Bob', 'featured'), credit('Cid', 'remixer')],
      genres: [f.genre('house'), f.genre('Deep')],
      features: { bpm: 125, camelot: '9A', integratedLufs: -8 },
    }),
    f.track({ title: 'three', artists: [credit('Cid')], genres: [f.genre('Techno')] }),
  ];
  return { f, album, tracks, credit };
}

test('upserting the same batch twice leaves the same graph', async (t) => {
  const { f, tracks } = smallLibrary();
  t.after(() => h.cleanupLibrary(f.libraryId));
  await h.sync.upsertTracks(tracks);
  const first = await snapshot(h.driver, f.libraryId);
  const again = await h.sync.upsertTracks(tracks);
  const second = await snapshot(h.driver, f.libraryId);
  assert.deepEqual(second, first);
  assert.equal(again.similarityUpdated, 0, 'nothing changed, so no similarity recomputation');
  // 3 tracks, library, album, 3 artists, 3 genres (House/house merged).
  assert.equal(first.nodes, 11);
  assert.deepEqual(await collaborations(h.driver, f.artist('Ann')), { Bob: 2, Cid: 1 });
});

test('changed credits, album and genres replace the old edges and leave no orphans', async (t) => {
  const { f, album, tracks, credit } = smallLibrary();
  t.after(() => h.cleanupLibrary(f.libraryId));
  await h.sync.upsertTracks(tracks);
  const [one, two, three] = tracks as [TrackGraphInput, TrackGraphInput, TrackGraphInput];
  const newAlbum = { id: randomUUID(), title: 'Second', artistId: f.artist('Dee'), artistName: 'Dee' };
  // Bob is dropped from track two, Cid's remix credit moves to track one, track three gets an album.
  await h.sync.upsertTracks([
    { ...one, artists: [credit('Ann'), credit('Bob', 'featured'), credit('Cid', 'remixer')] },
    { ...two, artists: [credit('Ann')], genres: [f.genre('Deep')] },
    { ...three, album: newAlbum, genres: [] },
  ]);
  assert.deepEqual(await collaborations(h.driver, f.artist('Ann')), { Bob: 1, Cid: 1 });
  assert.deepEqual(await collaborations(h.driver, f.artist('Bob')), { Ann: 1, Cid: 1 });
  assert.equal(
    await exists(h.driver, 'Genre', 'key', f.genre('techno').toLowerCase()),
    false,
    'unused genre removed',
  );
  assert.equal(await exists(h.driver, 'Genre', 'key', f.genre('house').toLowerCase()), true);
  assert.equal(await exists(h.driver, 'Album', 'id', album.id), true);
  // Moving every track off the first album removes it; its artist Ann still performs.
  await h.sync.upsertTracks([
    { ...one, album: newAlbum },
    { ...two, album: newAlbum },
  ]);
  assert.equal(await exists(h.driver, 'Album', 'id', album.id), false, 'album without tracks removed');
  assert.equal(await exists(h.driver, 'Artist', 'id', f.artist('Ann')), true);
});

test('removing tracks removes what only they used and recounts collaborations', async (t) => {
  const { f, album, tracks } = smallLibrary();
  t.after(() => h.cleanupLibrary(f.libraryId));
  await h.sync.upsertTracks(tracks);
  const [one, two, three] = tracks as [TrackGraphInput, TrackGraphInput, TrackGraphInput];
  assert.equal(await h.sync.removeTracks([two.id, randomUUID()]), 1);
  assert.deepEqual(await collaborations(h.driver, f.artist('Ann')), { Bob: 1 });
  assert.equal(await exists(h.driver, 'Genre', 'key', f.genre('deep').toLowerCase()), false);
  assert.equal(await exists(h.driver, 'Artist', 'id', f.artist('Cid')), true, 'Cid still has track three');
  await h.sync.removeTracks([one.id]);
  for (const name of ['Ann', 'Bob']) {
    assert.equal(await exists(h.driver, 'Artist', 'id', f.artist(name)), false, `${name} removed`);
  }
  assert.equal(await exists(h.driver, 'Album', 'id', album.id), false);
  assert.equal(await exists(h.driver, 'Library', 'id', f.libraryId), true, 'track three is still in it');
  await h.sync.removeTracks([three.id]);
  assert.equal(await exists(h.driver, 'Library', 'id', f.libraryId), false);
  assert.equal(await exists(h.driver, 'Artist', 'id', f.artist('Cid')), false);
  assert.deepEqual(await snapshot(h.driver, f.libraryId), { nodes: 0, edges: [] });
});
