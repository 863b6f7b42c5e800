import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { freePort } from '@tonegraph/testing';
import { createDriver } from '../src/driver.ts';
import { createGraphSync, type TrackGraphInput } from '../src/sync.ts';
import { createFixture } from './harness.ts';
import { startPrivateNeo4j, type PrivateNeo4j } from './private-neo4j.ts';

const batches = 20;
const perBatch = 20;

test('a Neo4j restart in the middle of a sync loses nothing', { timeout: 300_000 }, async (t) => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'tonegraph-neo4j-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  let neo: PrivateNeo4j = await startPrivateNeo4j(dataDir, port);
  t.after(() => neo.stop());
  // The driver's own retries give up after 1 s, so the restart (seconds) is
  // outlasted by the sync's retry loop, which is what this test is about.
  const driver = createDriver(neo.url, { poolSize: 20, transactionRetryMs: 1_000 });
  t.after(() => driver.close());
  let retries = 0;
  const sync = createGraphSync(driver, { retry: { retryForMs: 120_000, onRetry: () => void retries++ } });
  await sync.ensureSchema();

  // 30 artists; each track has two of them, so collaborations span batches.
  const f = createFixture();
  const artistOf = (i: number) => ({ id: f.artist(`a${i % 30}`), name: `a${i % 30}`, role: 'main' as const });
  const tracks: TrackGraphInput[] = Array.from({ length: batches * perBatch }, (_, i) =>
    f.track({
      title: `t${i}`,
      artists: i % 30 === (i * 7 + 3) % 30 ? [artistOf(i)] : [artistOf(i), artistOf(i * 7 + 3)],
      genres: [f.genre(`g${i % 5}`)],
      features: { bpm: 100 + (i % 40), camelot: `${(i % 12) + 1}A`, integratedLufs: -6 - (i % 8) },
    }),
  );
  const expectedPairs = new Map<string, number>();
  for (const track of tracks) {
    const [a, b] = track.artists;
    if (!a || !b) continue;
    const key = [a.id, b.id].sort().join('|');
    expectedPairs.set(key, (expectedPairs.get(key) ?? 0) + 1);
  }

  let done = 0;
  const started = Date.now();
  const syncing = (async () => {
    for (let i = 0; i < batches; i++) {
      await sync.upsertTracks(tracks.slice(i * perBatch, (i + 1) * perBatch));
      done++;
    }
  })();
  while (done < 3) await new Promise((resolve) => setTimeout(resolve, 20));
  const stoppedAt = Date.now();
  await neo.stop();
  const doneAtStop = done;
  neo = await startPrivateNeo4j(dataDir, port);
  const restartedAfterMs = Date.now() - stoppedAt;
  await syncing;
  t.diagnostic(
    `stopped after ${doneAtStop}/${batches} batches, back in ${restartedAfterMs} ms, ${retries} retries`,
  );

  t.diagnostic(`sync of ${tracks.length} tracks took ${Date.now() - started} ms`);
  assert.ok(doneAtStop < batches, 'the restart happened before the sync finished');
  assert.ok(retries > 0, 'the sync saw the restart and retried');
  const { records } = await driver.executeQuery(
    `MATCH (t:Track {libraryId: $lib})
     RETURN count(t) AS tracks,
            sum(COUNT { (t)-[:PERFORMED_BY]->() }) AS credits,
            sum(COUNT { (t)-[:HAS_GENRE]->() }) AS genres,
            sum(CASE WHEN t.simStale THEN 1 ELSE 0 END) AS stale,
            sum(CASE WHEN EXISTS { (t)-[:SIMILAR_TO]->() } THEN 1 ELSE 0 END) AS withSimilar`,
    { lib: f.libraryId },
  );
  const row = records[0]!;
  assert.equal(Number(row.get('tracks')), tracks.length);
  assert.equal(
    Number(row.get('credits')),
    tracks.reduce((n, track) => n + track.artists.length, 0),
  );
  assert.equal(Number(row.get('genres')), tracks.length);
  assert.equal(Number(row.get('stale')), 0, 'every similarity computation finished');
  assert.equal(Number(row.get('withSimilar')), tracks.length);
  const pairs = await driver.executeQuery(
    'MATCH (a:Artist)-[c:COLLABORATED_WITH]->(b:Artist) RETURN a.id AS a, b.id AS b, c.count AS n',
  );
  const actual = new Map(
    pairs.records.map((r) => [[r.get('a'), r.get('b')].sort().join('|'), Number(r.get('n'))]),
  );
  assert.deepEqual(actual, expectedPairs);
});
