// The catalog store's track writes against PostgreSQL: a batch upsert is
// idempotent (the same facts twice leave the catalog as once), credits are
// replaced whole, albums are one per (title, album artist), a moved file
// keeps its track, and the reads ingest's graph and enrichment stages make
// return what was written.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  deleteTracks,
  knownFiles,
  loadCreditedTracks,
  loadEnrichmentTrack,
  markEnrichmentGivenUp,
  markEnrichmentPending,
  moveTrack,
  saveEnrichment,
  upsertTracks,
  type FileFacts,
} from '../src/store/index.ts';
import { file, startStore, tags, type StoreFixture } from './store-support.ts';

let s: StoreFixture;
before(async () => {
  s = await startStore();
});
after(() => s?.close());

const upsert = (batch: readonly FileFacts[]) => s.database.db.transaction((tx) => upsertTracks(tx, batch));

/** Every catalog row of the library's tracks, their albums, artists and credits, comparable. */
async function snapshot(libraryId: string) {
  const { sql } = s.database;
  return {
    tracks: await sql<
      { title: string }[]
    >`select id, album_id, album_artist_id, title, file_path, file_size, file_mtime, content_hash,
                             genres, duration, format from tracks where library_id = ${libraryId} order by file_path`,
    albums: await sql<
      { title: string; album_artist_id: string | null }[]
    >`select id, title, album_artist_id, year, compilation, genres from albums
                      where id in (select album_id from tracks where library_id = ${libraryId}) order by title`,
    artists: await sql`select id, name from artists order by name`,
    credits: await sql<
      { track_id: string; name: string; role: string; position: number }[]
    >`select ta.track_id, a.name, ta.role, ta.position from track_artists ta
                       join artists a on a.id = ta.artist_id join tracks t on t.id = ta.track_id
                       where t.library_id = ${libraryId} order by ta.track_id, ta.position`,
  };
}

test('upsertTracks is idempotent: the same batch twice leaves the catalog as once', async () => {
  const libraryId = await s.addLibrary();
  const batch = [
    file(libraryId, '/m/1.flac', tags({ title: 'One', trackNumber: 1 })),
    file(
      libraryId,
      '/m/2.flac',
      tags({
        title: 'Two',
        trackNumber: 2,
        artists: [
          { name: 'Velvet 12', role: 'MAIN' },
          { name: 'Neon 3', role: 'FEATURED' },
        ],
      }),
    ),
    file(libraryId, '/m/3.flac', tags({ title: 'Three', album: 'Hits', compilation: true })),
  ];
  const first = await upsert(batch);
  const before = await snapshot(libraryId);
  const second = await upsert([...batch].reverse());
  assert.deepEqual(await snapshot(libraryId), before);
  assert.deepEqual(second, first, 'the same tracks, by path');
  assert.equal(first.size, 3);
  assert.equal(before.tracks.length, 3);
  // One album per (title, album artist); a compilation's album has no artist.
  assert.deepEqual(
    before.albums.map((a) => [a.title, a.album_artist_id === null]),
    [
      ['Blue Garden', false],
      ['Hits', true],
    ],
  );
  assert.equal(first.get('/m/1.flac')?.albumId, first.get('/m/2.flac')?.albumId);
  assert.deepEqual(
    before.credits
      .filter((c) => c.track_id === first.get('/m/2.flac')?.id)
      .map((c) => [c.name, c.role, c.position]),
    [
      ['Velvet 12', 'MAIN', 0],
      ['Neon 3', 'FEATURED', 1],
    ],
  );
  // The mtime is stored to the millisecond, as a scan compares it.
  const [known] = (await knownFiles(s.database.db, libraryId)).filter((k) => k.path === '/m/1.flac');
  assert.equal(Date.parse(known!.mtime!), 1_764_000_000_123);
  assert.equal(known!.hash, 'hash-of-/m/1.flac');
});

test('upsertTracks replaces a retagged file’s credits whole and keeps its track id', async () => {
  const libraryId = await s.addLibrary();
  const path = '/m/retagged.flac';
  const twoArtists = tags({
    artists: [
      { name: 'Artist A', role: 'MAIN' },
      { name: 'Artist B', role: 'FEATURED' },
    ],
  });
  const [id] = [...(await upsert([file(libraryId, path, twoArtists)])).values()].map((t) => t.id);
  const after = await upsert([
    file(libraryId, path, tags({ title: 'Retitled', artists: [{ name: 'Artist C', role: 'MAIN' }] })),
  ]);
  assert.equal(after.get(path)?.id, id);
  const snap = await snapshot(libraryId);
  assert.deepEqual(
    snap.credits.map((c) => c.name),
    ['Artist C'],
  );
  assert.equal(snap.tracks[0]?.title, 'Retitled');
  // The last facts for a path in one batch win.
  const twice = await upsert([
    file(libraryId, path, tags({ title: 'First' })),
    file(libraryId, path, tags({ title: 'Last' })),
  ]);
  assert.equal(twice.size, 1);
  assert.equal((await snapshot(libraryId)).tracks[0]?.title, 'Last');
});

test('moveTrack keeps the track at its new path; deleteTracks returns the ids it removed', async () => {
  const libraryId = await s.addLibrary();
  const saved = await upsert([file(libraryId, '/m/old.flac'), file(libraryId, '/m/gone.flac')]);
  const id = saved.get('/m/old.flac')!.id;
  await s.database.db.transaction((tx) =>
    moveTrack(tx, id, { path: '/m/new.flac', size: 4242, mtimeMs: 1_764_000_100_000 }),
  );
  const known = await knownFiles(s.database.db, libraryId);
  const moved = known.find((k) => k.id === id);
  assert.deepEqual([moved?.path, moved?.size], ['/m/new.flac', 4242]);
  const removed = await s.database.db.transaction((tx) =>
    deleteTracks(tx, libraryId, ['/m/gone.flac', '/m/never-there.flac']),
  );
  assert.deepEqual(removed, [saved.get('/m/gone.flac')!.id]);
  assert.deepEqual(
    (await knownFiles(s.database.db, libraryId)).map((k) => k.path),
    ['/m/new.flac'],
  );
});

test('loadCreditedTracks reads tracks back with album, album artist and credits in order', async () => {
  const libraryId = await s.addLibrary();
  const saved = await upsert([
    file(
      libraryId,
      '/g/1.flac',
      tags({
        album: 'Graph Album',
        albumArtist: 'Graph Artist',
        artists: [
          { name: 'Guest Z', role: 'FEATURED' },
          { name: 'Graph Artist', role: 'MAIN' },
        ],
      }),
    ),
    file(libraryId, '/g/2.flac', tags({ album: null })),
  ]);
  const ids = [...saved.values()].map((t) => t.id);
  const read = await loadCreditedTracks(s.database.db, [...ids, '00000000-0000-0000-0000-000000000000']);
  const byId = new Map(read.map((t) => [t.id, t]));
  assert.equal(read.length, 2);
  const first = byId.get(saved.get('/g/1.flac')!.id)!;
  assert.deepEqual(
    { title: first.album?.title, artistName: first.album?.artistName, libraryId: first.libraryId },
    { title: 'Graph Album', artistName: 'Graph Artist', libraryId },
  );
  assert.deepEqual(
    first.artists.map((a) => [a.name, a.role]),
    [
      ['Guest Z', 'FEATURED'],
      ['Graph Artist', 'MAIN'],
    ],
  );
  assert.equal(byId.get(saved.get('/g/2.flac')!.id)?.album, null);
  assert.deepEqual(await loadCreditedTracks(s.database.db, []), []);
});

test('saveEnrichment applies a match to the track and its album; a deferral leaves it unenriched', async () => {
  const libraryId = await s.addLibrary();
  const saved = await upsert([
    file(libraryId, '/e/1.flac', tags({ album: 'Enriched Album', isrc: 'GBAYE0000001' })),
  ]);
  const { id } = saved.get('/e/1.flac')!;
  await s.database.db.transaction((tx) => markEnrichmentPending(tx, [id]));
  const track = await loadEnrichmentTrack(s.database.db, id);
  assert.deepEqual(
    {
      title: track?.title,
      filePath: track?.filePath,
      isrc: track?.isrc,
      albumTitle: track?.albumTitle,
      albumTrackCount: track?.albumTrackCount,
      artists: track?.artists,
    },
    {
      title: 'Night Echo',
      filePath: '/e/1.flac',
      isrc: 'GBAYE0000001',
      albumTitle: 'Enriched Album',
      albumTrackCount: 1,
      artists: [{ name: 'Velvet 12', role: 'MAIN' }],
    },
  );
  const row = async () =>
    (
      await s.database.sql`select t.enrichment_status, t.enrichment_score, t.enriched_at, t.musicbrainz_title,
                                  t.musicbrainz_artist_ids, al.musicbrainz_release_id, al.cover_path
                             from tracks t left join albums al on al.id = t.album_id where t.id = ${id}`
    )[0]!;
  assert.equal((await row()).enrichment_status, 'pending');

  await saveEnrichment(s.database.db, track!, { status: 'deferred', score: 0.9, candidates: null });
  assert.deepEqual(
    [(await row()).enrichment_status, (await row()).enrichment_score, (await row()).enriched_at],
    ['deferred', null, null],
  );

  await saveEnrichment(s.database.db, track!, {
    status: 'matched',
    score: 0.97,
    recording: { id: 'rec-1', title: 'Night Echo (Original Mix)', artistCredit: 'Velvet 12' },
    artistIds: ['artist-1'],
    release: { id: 'rel-1', title: 'Blue Garden' },
    cover: { file: 'rel-1.jpg', source: 'coverartarchive' },
  });
  const matched = await row();
  assert.equal(matched.enrichment_status, 'matched');
  assert.equal(matched.musicbrainz_title, 'Night Echo (Original Mix)');
  assert.deepEqual(matched.musicbrainz_artist_ids, ['artist-1']);
  assert.deepEqual([matched.musicbrainz_release_id, matched.cover_path], ['rel-1', 'rel-1.jpg']);

  await markEnrichmentGivenUp(s.database.db, id);
  assert.deepEqual([(await row()).enrichment_status, (await row()).enrichment_score], ['not_found', 0]);
  assert.equal(await loadEnrichmentTrack(s.database.db, '00000000-0000-0000-0000-000000000000'), undefined);
});
