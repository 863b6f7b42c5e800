import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startAnalysis, type Harness } from './harness.ts';
import { analysis, hashOf, uuid } from './fixtures.ts';

let h: Harness;
const tempoLibrary = uuid();
const harmonicLibrary = uuid();
/** Harmonic fixture tracks by name. */
const ids: Record<string, string> = {};

async function addTrack(libraryId: string, name: string, options: Parameters<typeof analysis>[0]) {
  const contentHash = hashOf(`${libraryId}:${name}`);
  const trackId = uuid();
  await h.store.saveAnalysis(contentHash, analysis(options));
  await h.store.linkTrack({ trackId, contentHash, libraryId, albumId: null });
  ids[name] = trackId;
  return trackId;
}

before(async () => {
  h = await startAnalysis();
  // Tempo paging: 24 contents at 60–87.5 BPM with repeated values, each in two tracks.
  for (let i = 0; i < 24; i++) {
    const contentHash = hashOf(`tempo-${i}`);
    await h.store.saveAnalysis(contentHash, analysis({ bpm: 60 + (i % 12) * 2.5 }));
    for (let copy = 0; copy < 2; copy++)
      await h.store.linkTrack({ trackId: uuid(), contentHash, libraryId: tempoLibrary, albumId: null });
  }
  const fixtures: [string, number | null, string | null][] = [
    ['ref', 120, '8A'],
    ['sameKey', 121, '8A'],
    ['relative', 120, '8B'],
    ['adjacentDown', 118, '7A'],
    ['adjacentUp', 126, '9A'],
    ['wheelOther', 120, '12A'],
    ['tooFast', 130, '8A'],
    ['farKey', 120, '3A'],
    ['noKey', 120, null],
    ['slower', 113, '8A'],
    ['wrap', 121, '1A'],
  ];
  for (const [name, bpm, camelot] of fixtures) await addTrack(harmonicLibrary, name, { bpm, camelot });
  const pending = {
    trackId: uuid(),
    contentHash: hashOf('pending'),
    libraryId: harmonicLibrary,
    albumId: null,
  };
  await h.store.linkTrack(pending);
  ids.pending = pending.trackId;
  const failed = { ...pending, trackId: uuid(), contentHash: hashOf('failed') };
  await h.store.linkTrack(failed);
  await h.store.markFailed(failed.trackId, 'truncated file');
});
after(() => h?.close());

type Page = {
  tracksByTempo: {
    totalCount: number;
    edges: { cursor: string; node: { id: string; analysis: { tempo: { bpm: number } } } }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
};
const PAGE = `query ($min: Float!, $max: Float!, $first: Int, $after: String) {
  tracksByTempo(min: $min, max: $max, first: $first, after: $after) {
    totalCount edges { cursor node { id analysis { tempo { bpm } } } } pageInfo { hasNextPage endCursor }
  }
}`;

test('tracksByTempo pages through a tempo range in order, without duplicates or gaps', async () => {
  const seen: { id: string; bpm: number }[] = [];
  let after: string | null = null;
  let pages = 0;
  for (;;) {
    const res: { data?: Page; errors?: unknown } = await h.gql<Page>(PAGE, {
      min: 65,
      max: 80,
      first: 7,
      after,
    });
    assert.equal(res.errors, undefined);
    const conn = res.data!.tracksByTempo;
    assert.equal(conn.totalCount, 28, 'BPM 65, 67.5 … 80: 7 values × 2 contents × 2 tracks');
    seen.push(...conn.edges.map((e) => ({ id: e.node.id, bpm: e.node.analysis.tempo.bpm })));
    pages++;
    if (!conn.pageInfo.hasNextPage) break;
    after = conn.pageInfo.endCursor;
  }
  assert.equal(pages, 4);
  assert.equal(seen.length, 28);
  assert.equal(new Set(seen.map((s) => s.id)).size, 28);
  assert.ok(seen.every((s) => s.bpm >= 65 && s.bpm <= 80));
  const order = [...seen].sort((a, b) => a.bpm - b.bpm || (a.id < b.id ? -1 : 1));
  assert.deepEqual(seen, order, 'by BPM, then id');
});

test('tracksByTempo rejects bad arguments with BAD_USER_INPUT', async () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ min: 130, max: 120 }, /"min" \(130\) must not be greater than "max" \(120\)/],
    [{ min: 60, max: 90, first: 101 }, /"first" must be between 0 and 100, got 101/],
    [{ min: -1, max: 90 }, /"min" must be a BPM between 0 and 1000/],
    [{ min: 60, max: 90, after: 'bogus' }, /"after" is not a cursor/],
  ];
  for (const [variables, message] of cases) {
    const res = await h.gql(PAGE, variables);
    assert.equal(res.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(variables));
    assert.match(res.errors?.[0]?.message ?? '', message);
  }
});

type Matches = {
  harmonicMatches: { track: { id: string }; score: number; relation: string; bpmDifferencePercent: number }[];
};
const MATCHES = `query ($id: ID!, $tol: Float, $first: Int) {
  harmonicMatches(trackId: $id, bpmTolerance: $tol, first: $first) {
    track { id } score relation bpmDifferencePercent
  }
}`;
const nameOf = (id: string) => Object.keys(ids).find((k) => ids[k] === id);

test('harmonicMatches finds Camelot neighbours within the tempo tolerance, best first', async () => {
  const res = await h.gql<Matches>(MATCHES, { id: ids.ref });
  assert.equal(res.errors, undefined);
  const got = res.data!.harmonicMatches;
  assert.deepEqual(
    got.map((m) => [nameOf(m.track.id), m.relation]),
    [
      ['sameKey', 'SAME_KEY'],
      ['relative', 'RELATIVE'],
      ['adjacentDown', 'ADJACENT'],
      ['adjacentUp', 'ADJACENT'],
      ['slower', 'SAME_KEY'],
    ],
  );
  assert.ok(Math.abs(got[0]!.score - (1 - (0.5 * (100 / 120)) / 6)) < 1e-9);
  assert.ok(Math.abs(got[3]!.bpmDifferencePercent - 5) < 1e-9);
  // A 1 % tolerance leaves two, and weighs the 0.8 % tempo difference more than the relative key.
  const top = await h.gql<Matches>(MATCHES, { id: ids.ref, first: 5, tol: 1 });
  assert.deepEqual(
    top.data!.harmonicMatches.map((m) => nameOf(m.track.id)),
    ['relative', 'sameKey'],
  );
  const first = await h.gql<Matches>(MATCHES, { id: ids.ref, first: 1 });
  assert.deepEqual(
    first.data!.harmonicMatches.map((m) => nameOf(m.track.id)),
    ['sameKey'],
  );
  // The wheel wraps: 12A neighbours 1A and 11A.
  const wrap = await h.gql<Matches>(MATCHES, { id: ids.wheelOther });
  assert.deepEqual(
    wrap.data!.harmonicMatches.map((m) => [nameOf(m.track.id), m.relation]),
    [['wrap', 'ADJACENT']],
  );
  const none = await h.gql<Matches>(MATCHES, { id: ids.noKey });
  assert.deepEqual(none.data!.harmonicMatches, [], 'no key, no matches');
});

test('harmonicMatches explains bad arguments', async () => {
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ id: uuid() }, 'NOT_FOUND', /No analysis is known for track/],
    [{ id: 'nope' }, 'BAD_USER_INPUT', /"trackId" is not a valid id/],
    [{ id: ids.pending }, 'ANALYSIS_NOT_READY', /is pending/],
    [{ id: ids.ref, first: 500 }, 'BAD_USER_INPUT', /"first" must be between 0 and 100/],
    [{ id: ids.ref, tol: 0 }, 'BAD_USER_INPUT', /"bpmTolerance" must be more than 0/],
  ];
  for (const [variables, code, message] of cases) {
    const res = await h.gql(MATCHES, variables);
    assert.equal(res.errors?.[0]?.extensions?.code, code, JSON.stringify(variables));
    assert.match(res.errors?.[0]?.message ?? '', message);
  }
});

test('analysisStats counts statuses, tempo ranges and keys, per library or overall', async () => {
  const STATS = `query ($lib: ID, $size: Int) { analysisStats(libraryId: $lib) {
    total pending analyzing done failed
    tempoHistogram(bucketSize: $size) { minBpm maxBpm count }
    keyDistribution { camelot name count }
  } }`;
  const res = await h.gql<{ analysisStats: Record<string, unknown> }>(STATS, { lib: harmonicLibrary });
  assert.equal(res.errors, undefined);
  assert.deepEqual(res.data!.analysisStats, {
    total: 13,
    pending: 1,
    analyzing: 0,
    done: 11,
    failed: 1,
    tempoHistogram: [
      { minBpm: 110, maxBpm: 120, count: 2 },
      { minBpm: 120, maxBpm: 130, count: 8 },
      { minBpm: 130, maxBpm: 140, count: 1 },
    ],
    keyDistribution: [
      { camelot: '1A', name: 'G# minor', count: 1 },
      { camelot: '3A', name: 'A# minor', count: 1 },
      { camelot: '7A', name: 'D minor', count: 1 },
      { camelot: '8A', name: 'A minor', count: 4 },
      { camelot: '8B', name: 'C major', count: 1 },
      { camelot: '9A', name: 'E minor', count: 1 },
      { camelot: '12A', name: 'C# minor', count: 1 },
    ],
  });
  const all = await h.gql<{ analysisStats: { total: number; done: number; tempoHistogram: unknown[] } }>(
    STATS,
    {
      size: 50,
    },
  );
  assert.equal(all.data!.analysisStats.total, 13 + 48);
  assert.equal(all.data!.analysisStats.done, 11 + 48);
  assert.deepEqual(all.data!.analysisStats.tempoHistogram, [
    { minBpm: 50, maxBpm: 100, count: 48 },
    { minBpm: 100, maxBpm: 150, count: 11 },
  ]);
  const bad = await h.gql(STATS, { lib: 'x' });
  assert.equal(bad.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
});
