// The enrichment stage: with fake MusicBrainz and Cover Art Archive servers
// seeded with the fixtures' tags, an import links tracks to MusicBrainz and
// stores album covers; with the fakes down the import completes at once and
// enrichment is deferred, then fills in from the delayed queue once they are
// back; `enrichTracks` re-queues.
import assert from 'node:assert/strict';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { createEnricher, type Enricher, type MbRecording } from '@tonegraph/enrichment';
import { fakeJpeg, fakeMbid, fakeRecording, startFakes, type Fakes } from '@tonegraph/enrichment/fakes';
import { generateFixtures, type FixtureSet } from '@tonegraph/fixtures';
import type { AddressInfo } from 'node:net';
import { createServer } from '@tonegraph/catalog';
import { createEnrichmentPublisher, createScanPublisher } from '@tonegraph/queues';
import { createLogger } from '@tonegraph/logger';
import { eventually, isolation, testServices } from '@tonegraph/testing';
import { startHarness, type IngestHarness } from './harness.ts';

let set: FixtureSet;
let fakes: Fakes;
let redis: Redis;
const cleanup: (() => Promise<unknown>)[] = [];

/** Album title → the release date the fakes give it (its first track's year). */
const releaseDates = new Map<string, string>();

before(async () => {
  set = await generateFixtures(await mkdtemp(path.join(tmpdir(), 'tonegraph-enrichment-')), {
    durationSeconds: 4,
  });
  for (const t of set.tracks)
    if (!releaseDates.has(t.tags.album)) releaseDates.set(t.tags.album, String(t.tags.year));
  const recordings = set.tracks.map((t) => {
    const recording = fakeRecording({
      title: t.tags.title,
      artist: t.tags.artist,
      durationMs: t.durationSeconds * 1000,
      releases: [
        {
          // One release per album, as in MusicBrainz (the fakes would derive one per credited artist).
          id: fakeMbid(`release:${t.tags.albumArtist}:${t.tags.album}`),
          title: t.tags.album,
          trackCount: t.tags.trackTotal,
          date: releaseDates.get(t.tags.album)!,
        },
      ],
    });
    seeded.set(t.file, recording);
    return recording;
  });
  const covers = Object.fromEntries(
    recordings.flatMap((r) => (r.releases ?? []).map((rel) => [rel.id, { data: fakeJpeg() }] as const)),
  );
  fakes = await startFakes({ recordings, covers });
  redis = new Redis(testServices().REDIS_URL);
});

after(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
  await fakes?.close();
  redis?.disconnect();
  await rm(set.dir, { recursive: true, force: true });
});

/** An ingest pipeline with an enricher on the fakes, its own cache prefix and cover folder. */
async function start(): Promise<{ h: IngestHarness; enricher: Enricher; coverDir: string }> {
  const coverDir = await mkdtemp(path.join(tmpdir(), 'tonegraph-covers-'));
  const policy = {
    timeoutMs: 1000,
    retry: { maxAttempts: 2, baseDelayMs: 50, maxDelayMs: 200 },
    breaker: { consecutiveFailures: 3, halfOpenAfterMs: 1000 },
  };
  const enricher = createEnricher({
    musicbrainz: {
      ...policy,
      baseUrl: fakes.musicbrainz.url,
      contact: 'test@example.org',
      ratePerSecond: 50,
    },
    coverArt: { ...policy, baseUrl: fakes.coverArt.url, ratePerSecond: 50 },
    redis,
    keyPrefix: isolation().redisPrefix,
    coverDir,
    sharedRateLimit: false,
  });
  const h = await startHarness({ enrichment: { enricher, concurrency: 8 } });
  cleanup.push(
    () => h.close(),
    () => enricher.close(),
    () => rm(coverDir, { recursive: true, force: true }),
  );
  return { h, enricher, coverDir };
}

interface Row {
  id: string;
  file_path: string;
  title: string;
  enrichment_status: string | null;
  enrichment_score: number | null;
  musicbrainz_recording_id: string | null;
  musicbrainz_title: string | null;
  album_id: string | null;
  enriched_at: string | null;
  album_title: string | null;
  release_id: string | null;
  cover_path: string | null;
  cover_source: string | null;
}

const rowsOf = (h: IngestHarness, libraryId: string) => h.database.sql<Row[]>`
  select t.id, t.file_path, t.title, t.enrichment_status, t.enrichment_score, t.musicbrainz_recording_id,
         t.musicbrainz_title, t.album_id, t.enriched_at, al.title as album_title, al.musicbrainz_release_id as release_id,
         al.cover_path, al.cover_source
    from tracks t left join albums al on al.id = t.album_id
   where t.library_id = ${libraryId} order by t.file_path`;

/** The library's rows once `done` holds for them; the timeout names each track's enrichment status. */
async function waitFor(h: IngestHarness, libraryId: string, done: (rows: Row[]) => boolean, ms = 30_000) {
  let rows: Row[] = [];
  return eventually(
    async () => {
      rows = [...(await rowsOf(h, libraryId))];
      return done(rows) ? rows : undefined;
    },
    {
      timeoutMs: ms,
      intervalMs: 100,
      what: () => `enrichment to settle: ${JSON.stringify(rows.map((r) => r.enrichment_status))}`,
    },
  );
}

/** What the fakes hold for a fixture: the recording and release an import should link it to. */
const seeded = new Map<string, MbRecording>();
const expectedRecording = (t: FixtureSet['tracks'][number]) => seeded.get(t.file)!.id;
const expectedRelease = (t: FixtureSet['tracks'][number]) => seeded.get(t.file)!.releases![0]!.id;

async function assertEnriched(rows: Row[], coverDir: string) {
  assert.equal(rows.length, set.tracks.length);
  for (const t of set.tracks) {
    const row = rows.find((r) => r.file_path.endsWith(t.file));
    assert.ok(row, t.file);
    assert.equal(row.enrichment_status, 'matched', t.file);
    assert.ok(row.enrichment_score! >= 0.85, `${t.file}: score ${row.enrichment_score}`);
    assert.equal(row.musicbrainz_title, t.tags.title, t.file);
    assert.equal(row.musicbrainz_recording_id, expectedRecording(t), t.file);
    assert.equal(row.release_id, expectedRelease(t), `${t.file}: release of ${row.album_title}`);
    assert.ok(row.cover_path, `${t.file}: album ${row.album_title} has a cover`);
    assert.ok(row.cover_source === 'embedded' || row.cover_source === 'coverartarchive');
    await access(path.join(coverDir, row.cover_path));
  }
}

test('an import links matched tracks to MusicBrainz and stores their albums’ covers', async () => {
  const { h, coverDir } = await start();
  const libraryId = await h.addLibrary(set.dir);
  const job = await h.scan(libraryId, 'FULL');
  assert.equal(job.status, 'COMPLETED');
  const rows = await waitFor(
    h,
    libraryId,
    (rs) => rs.length > 0 && rs.every((r) => r.enrichment_status !== 'pending'),
  );
  await assertEnriched(rows, coverDir);

  // enrichTracks on a catalog subgraph over the same database re-queues one album's tracks.
  const album = rows[0]!.album_id!;
  const albumRows = rows.filter((r) => r.album_id === album);
  await h.database
    .sql`update tracks set enrichment_status = null, enriched_at = null where album_id = ${album}`;
  const enrichment = createEnrichmentPublisher(testServices().AMQP_URL, h.names);
  const scans = createScanPublisher(testServices().AMQP_URL, h.names.scans);
  const catalog = await createServer({
    database: h.database,
    publisher: scans,
    enrichment,
    allowedRoots: [],
    log: createLogger({ service: 'catalog-test', level: 'silent' }),
    // The mutation and the fields read here use no subscriptions.
    pubsub: {} as never,
    redisPrefix: h.redisPrefix,
  });
  cleanup.push(
    () => enrichment.close(),
    () => scans.close(),
    () => catalog.stop(),
  );
  await new Promise<void>((resolve) => catalog.httpServer.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(catalog.httpServer.address() as AddressInfo).port}/graphql`;
  const gql = async (query: string, variables: Record<string, unknown>) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  };
  const queued = await gql('mutation ($id: ID) { enrichTracks(albumId: $id) }', { id: album });
  assert.deepEqual(queued, { data: { enrichTracks: albumRows.length } });
  const again = await waitFor(h, libraryId, (rs) =>
    rs.every((r) => r.enrichment_status === 'matched' && r.enriched_at !== null),
  );
  await assertEnriched(again, coverDir);
  assert.equal(
    (await gql('mutation { enrichTracks }', {})).errors?.length,
    1,
    'no argument is a BAD_USER_INPUT',
  );

  // The catalog serves the result: the track's enrichment, the album's cover as a gateway URL.
  const track = albumRows[0]!;
  const read = await gql(
    `query ($id: ID!) { track(id: $id) { enrichment { status score candidates { recordingId } title artistIds enrichedAt }
       album { musicbrainzReleaseId coverArt(size: 500) } } }`,
    { id: track.id },
  );
  const t = (read.data as { track: { enrichment: Record<string, unknown>; album: Record<string, unknown> } })
    .track;
  assert.equal(t.enrichment.status, 'MATCHED');
  assert.ok((t.enrichment.score as number) >= 0.85);
  assert.deepEqual(t.enrichment.candidates, []);
  assert.equal(t.album.musicbrainzReleaseId, track.release_id);
  // The re-run above may have stored the album's cover again from another of its tracks
  // (embedded or archive): compare with what the album holds now.
  const [now] = await h.database.sql<{ cover_path: string }[]>`
    select cover_path from albums where id = ${track.album_id}`;
  assert.equal(t.album.coverArt, `/covers/${encodeURIComponent(now!.cover_path)}`);
});

test('with the services down the import completes, enrichment is deferred, and fills in when they are back', async () => {
  const { h, coverDir } = await start();
  const libraryId = await h.addLibrary(set.dir);
  fakes.musicbrainz.faults = { down: true };
  fakes.coverArt.faults = { down: true };
  try {
    const started = Date.now();
    const job = await h.scan(libraryId, 'FULL');
    assert.equal(job.status, 'COMPLETED', 'the import does not wait for enrichment');
    assert.ok(Date.now() - started < 20_000);
    const deferred = await waitFor(
      h,
      libraryId,
      (rs) => rs.length > 0 && rs.every((r) => r.enrichment_status === 'deferred'),
    );
    assert.ok(deferred.every((r) => r.musicbrainz_recording_id === null && r.cover_path === null));
  } finally {
    fakes.musicbrainz.faults = {};
    fakes.coverArt.faults = {};
  }
  // The delayed queue re-delivers; the breaker's probe succeeds and closes it.
  const rows = await waitFor(
    h,
    libraryId,
    (rs) => rs.every((r) => r.enrichment_status === 'matched'),
    60_000,
  );
  await assertEnriched(rows, coverDir);
});
