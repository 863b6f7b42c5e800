// The graph stage: committed tracks are mirrored into Neo4j, deletions follow.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Driver } from 'neo4j-driver';
import { generateFixtures, type FixtureSet } from '@tonegraph/fixtures';
import { createDriver } from '@tonegraph/library-graph/driver';
import { createGraphSync, type GraphSync } from '@tonegraph/library-graph/sync';
import { eventually, testServices } from '@tonegraph/testing';
import { startHarness, type IngestHarness } from './harness.ts';

let set: FixtureSet;
let h: IngestHarness;
let driver: Driver;
let sync: GraphSync;
let libraryId: string;

before(async () => {
  set = await generateFixtures(await mkdtemp(path.join(tmpdir(), 'tonegraph-graph-')), {
    durationSeconds: 1,
  });
  driver = createDriver(testServices().NEO4J_URL, { poolSize: 5 });
  sync = createGraphSync(driver);
  await sync.ensureSchema();
  h = await startHarness({ graph: { sync, concurrency: 2 } });
  libraryId = await h.addLibrary(set.dir);
});

after(async () => {
  // The catalog's ids are fresh UUIDs, so this run's nodes are exactly its tracks.
  const ids = await catalogTrackIds().catch(() => []);
  await sync?.removeTracks([...ids, ...removed]);
  await h?.close();
  await sync?.close();
  await driver?.close();
  await rm(set.dir, { recursive: true, force: true });
});

const removed: string[] = [];
const catalogTrackIds = async () =>
  (await h.database.sql<{ id: string }[]>`select id from tracks where library_id = ${libraryId}`).map(
    (r) => r.id,
  );

async function graphTracks(ids: readonly string[]): Promise<Map<string, string[]>> {
  const { records } = await driver.executeQuery(
    `MATCH (t:Track) WHERE t.id IN $ids
     OPTIONAL MATCH (t)-[:PERFORMED_BY]->(a:Artist)
     RETURN t.id AS id, collect(a.id) AS artists`,
    { ids },
  );
  return new Map(records.map((r) => [r.get('id') as string, r.get('artists') as string[]]));
}

test('imported tracks reach the library graph with their artists', async () => {
  const job = await h.scan(libraryId, 'FULL');
  assert.equal(job.status, 'COMPLETED');
  const ids = await catalogTrackIds();
  assert.equal(ids.length, set.tracks.length);
  const nodes = await eventually(
    async () => {
      const g = await graphTracks(ids);
      return g.size === ids.length ? g : undefined;
    },
    { what: 'every track in the graph', timeoutMs: 30_000 },
  );
  const credits = await h.database.sql<{ track_id: string; artist_id: string }[]>`
    select ta.track_id, ta.artist_id from track_artists ta join tracks t on t.id = ta.track_id
    where t.library_id = ${libraryId}`;
  for (const id of ids) {
    const expected = credits
      .filter((c) => c.track_id === id)
      .map((c) => c.artist_id)
      .sort();
    assert.deepEqual([...new Set(nodes.get(id))].sort(), [...new Set(expected)].sort(), `credits of ${id}`);
  }
});

test('a deleted file leaves the graph too; a full rescan changes nothing else', async () => {
  const victim = set.tracks[0]!;
  const [row] = await h.database.sql<{ id: string }[]>`
    select id from tracks where file_path = ${path.join(set.dir, victim.file)}`;
  await rm(path.join(set.dir, victim.file));
  removed.push(row!.id);
  const job = await h.scan(libraryId, 'FULL');
  assert.equal(job.status, 'COMPLETED');
  await eventually(async () => (await graphTracks([row!.id])).size === 0, {
    what: 'the removal',
    timeoutMs: 30_000,
  });
  const ids = await catalogTrackIds();
  assert.equal((await graphTracks(ids)).size, ids.length);
});
