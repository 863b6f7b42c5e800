import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { albumLoudness } from '@tonegraph/audio-analysis';
import { startAnalysis, type Harness } from './harness.ts';
import { analysis, hashOf, histogramAt, uuid } from './fixtures.ts';

let h: Harness;
const trackIds: string[] = [];

before(async () => {
  h = await startAnalysis();
  // Ten contents, each shared by ten tracks (duplicate files), linked ten at a time.
  for (let i = 0; i < 10; i++) {
    const contentHash = hashOf(`entity-${i}`);
    await h.store.saveAnalysis(contentHash, analysis({ bpm: 100 + i, camelot: i % 2 ? '8A' : '8B' }));
    const ids = Array.from({ length: 10 }, () => uuid());
    await Promise.all(
      ids.map((trackId) => h.store.linkTrack({ trackId, contentHash, libraryId: 'lib', albumId: null })),
    );
    trackIds.push(...ids);
  }
});
after(() => h?.close());

const ENTITIES = `query ($r: [_Any!]!) {
  _entities(representations: $r) {
    ... on Track { id analysis { status tempo { bpm } key { camelot mode name } loudness { integratedLufs } } }
  }
}`;

type Entities = {
  _entities: { id: string; analysis: { status: string; tempo: { bpm: number } | null } | null }[];
};

const finds = (collection: string) =>
  h.commands.filter((c) => c.name === 'find' && c.collection === collection).length;

for (const n of [10, 100]) {
  test(`${n} track representations are resolved with one find`, async () => {
    const ids = trackIds.slice(0, n);
    h.resetCommands();
    const res = await h.gql<Entities>(ENTITIES, { r: ids.map((id) => ({ __typename: 'Track', id })) });
    assert.equal(res.errors, undefined);
    assert.equal(res.data?._entities.length, n);
    assert.deepEqual(
      res.data?._entities.map((e) => e.id),
      ids,
    );
    assert.ok(res.data?._entities.every((e) => e.analysis?.status === 'DONE'));
    assert.deepEqual(
      h.commands.map((c) => c.name),
      ['find'],
      `one command for ${n} entities`,
    );
    assert.equal(finds('tracks'), 1);
  });
}

test('an unknown track resolves with a null analysis', async () => {
  const res = await h.gql<Entities>(ENTITIES, {
    r: [
      { __typename: 'Track', id: uuid() },
      { __typename: 'Track', id: trackIds[0] },
    ],
  });
  assert.equal(res.errors, undefined);
  assert.equal(res.data?._entities[0]?.analysis, null);
  assert.equal(res.data?._entities[1]?.analysis?.tempo?.bpm, 100);
});

test('waveforms are loaded only when asked for, in one batch, at the nearest resolution', async () => {
  const ids = trackIds.slice(0, 20);
  h.resetCommands();
  await h.gql(ENTITIES, { r: ids.map((id) => ({ __typename: 'Track', id })) });
  assert.equal(finds('analysis_data'), 0, 'no waveform asked, no analysis data read');
  h.resetCommands();
  const res = await h.gql<{
    _entities: { analysis: { waveform: { points: number; min: number[]; max: number[] } } }[];
  }>(
    `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Track { analysis {
      waveform(points: 1000) { points min max } small: waveform(points: 64) { points max } } } } }`,
    { r: ids.map((id) => ({ __typename: 'Track', id })) },
  );
  assert.equal(res.errors, undefined);
  assert.equal(finds('tracks'), 1);
  assert.equal(finds('analysis_data'), 1, 'one batched read for every waveform of the request');
  const w = res.data!._entities[0]!.analysis.waveform;
  assert.equal(w.points, 1000);
  assert.equal(w.max.length, 1000);
  // Reduced from the 4096-point ramp: each point's max is the max of its span, as stored:
  // 8 bits, mins rounded down and maxes up (the drawn envelope holds the real one).
  assert.equal(w.max[999], Math.ceil((4095 / 4096) * 127) / 127);
  assert.equal(w.min[0], Math.floor((-3 / 4096) * 127) / 127, 'min of the first span (points 0–3)');
  assert.equal(w.max[500], Math.ceil((2051 / 4096) * 127) / 127, 'max of span 500 (points 2048–2051)');
  const bad = await h.gql(`{ _entities(representations: [{ __typename: "Track", id: "${trackIds[0]}" }]) {
    ... on Track { analysis { waveform(points: 0) { points } } } } }`);
  assert.equal(bad.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
});

test('album loudness pools the gating blocks of the album and applies the relative gate', () => {
  // Equal blocks at −10 and −20 LUFS: both pass the relative gate.
  const both = albumLoudness([histogramAt(-10, 500), histogramAt(-20, 500)])!;
  assert.ok(Math.abs(both - (-10 + 10 * Math.log10(1.1 / 2))) < 1e-9, `got ${both}`);
  // A quiet track at −40 LUFS falls under the relative gate (about −23): the album is −10 LUFS.
  assert.ok(Math.abs(albumLoudness([histogramAt(-10, 500), histogramAt(-40, 500)])! + 10) < 1e-9);
  assert.equal(albumLoudness([]), null);
});

test('replayGain albumGainDb and albumPeak come from the album’s analysed tracks', async () => {
  const albumId = uuid();
  const tracks = [
    { lufs: -10, peak: 0.95 },
    { lufs: -40, peak: 0.2 },
    { lufs: -12, peak: 0.5, pending: true },
  ].map((t, i) => ({ ...t, trackId: uuid(), contentHash: hashOf(`album-${i}`) }));
  for (const t of tracks) {
    if (!t.pending) await h.store.saveAnalysis(t.contentHash, analysis({ lufs: t.lufs, peak: t.peak }));
    await h.store.linkTrack({ trackId: t.trackId, contentHash: t.contentHash, libraryId: 'lib', albumId });
  }
  h.resetCommands();
  const res = await h.gql<{ _entities: { analysis: { replayGain: Record<string, number> | null } }[] }>(
    `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Track { analysis {
      replayGain { trackGainDb trackPeak albumGainDb albumPeak } } } } }`,
    { r: tracks.slice(0, 2).map((t) => ({ __typename: 'Track', id: t.trackId })) },
  );
  assert.equal(res.errors, undefined);
  const [loud, quiet] = res.data!._entities.map((e) => e.analysis.replayGain!);
  assert.equal(loud?.trackGainDb, -8);
  assert.equal(quiet?.trackGainDb, 22);
  // The −40 LUFS track is gated out: the album plays at −10 LUFS, gain −8 dB.
  assert.ok(Math.abs(loud.albumGainDb! + 8) < 1e-9, `albumGainDb ${loud?.albumGainDb}`);
  assert.equal(quiet?.albumGainDb, loud?.albumGainDb);
  assert.equal(loud?.albumPeak, 0.95);
  // Entities (1) + the album's tracks (1) + their histograms (1), for both tracks together.
  assert.deepEqual(
    h.commands.map((c) => `${c.name} ${String(c.collection)}`),
    ['find tracks', 'find tracks', 'find analysis_data'],
  );
});
