// Reads the subgraph serves carry `maxTimeMS` (ANALYSIS_QUERY_TIMEOUT_MS):
// the server stops a read past it, and the client is told QUERY_TIMEOUT
// instead of an internal error. The bound here (1 ms) is far below what
// reading 120 track documents of 200 KB each (a long failure message) takes
// on any MongoDB-wire server: the first batch alone is 100 of them.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { startAnalysis, type Harness } from './harness.ts';

let bounded: Harness;
let unbounded: Harness;
const ids = Array.from({ length: 120 }, () => randomUUID());
const longError = 'undecodable audio: '.padEnd(200_000, 'x');
const ENTITIES =
  'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Track { analysis { status } } } }';
const representations = ids.map((id) => ({ __typename: 'Track', id }));

async function seed(h: Harness) {
  const now = new Date();
  for (let i = 0; i < ids.length; i += 20)
    await h.store.tracks.insertMany(
      ids.slice(i, i + 20).map((_id, k) => ({
        _id,
        contentHash: `${i + k}`.padStart(64, '0'),
        libraryId: 'timeouts',
        albumId: null,
        status: 'failed' as const,
        error: longError,
        analyzerVersion: '1',
        updatedAt: now,
      })),
    );
}

before(async () => {
  bounded = await startAnalysis(1);
  unbounded = await startAnalysis();
  await seed(bounded);
  await seed(unbounded);
});
after(async () => {
  await bounded?.close();
  await unbounded?.close();
});

test('a read past the query time bound is stopped and answered QUERY_TIMEOUT', async () => {
  bounded.resetCommands();
  const res = await bounded.gql(ENTITIES, { r: representations });
  const codes = new Set((res.errors ?? []).map((e) => e.extensions?.code));
  assert.deepEqual([...codes], ['QUERY_TIMEOUT'], JSON.stringify(res.errors?.[0]));
  assert.match(res.errors![0]!.message, /time limit/);
  assert.ok(
    bounded.commands.some((c) => c.name === 'find' && c.collection === 'tracks'),
    'the read was sent (and stopped by the server)',
  );
});

test('without a bound the same read answers', async () => {
  const res = await unbounded.gql<{ _entities: { analysis: { status: string } | null }[] }>(ENTITIES, {
    r: representations,
  });
  assert.equal(res.errors, undefined);
  assert.equal(res.data!._entities.length, ids.length);
  assert.ok(res.data!._entities.every((e) => e.analysis?.status === 'FAILED'));
});
