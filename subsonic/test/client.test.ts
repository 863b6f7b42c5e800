// The Subsonic endpoints through a real client library (npm `subsonic-api`,
// token + salt authentication, JSON), as a player uses them: browse from
// artists down to a song, search, album lists, covers, stars, scrobbles (and the
// play count they leave in GraphQL), playlists, similar songs from the
// library graph, scans, and a stream that ffprobe decodes.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SubsonicAPI } from 'subsonic-api';
import { probe } from '@tonegraph/streaming/test-support';
import { ALBUMS, TRACKS_PER_ALBUM, startFixture, type Fixture } from './support.ts';

let f: Fixture;
let api: SubsonicAPI;
let admin: SubsonicAPI;
before(async () => {
  f = await startFixture({ graph: true });
  api = new SubsonicAPI({ url: f.url, auth: { username: f.listener.name, password: f.listener.password } });
  admin = new SubsonicAPI({
    url: f.url,
    auth: { username: f.admin.name, password: f.admin.password },
    post: true,
  });
});
after(() => f?.close());

const ok = <T extends { status: string }>(r: T): T => {
  assert.equal(r.status, 'ok', JSON.stringify(r));
  return r;
};
const blueId = async () => {
  const { albumList2 } = ok(await api.getAlbumList2({ type: 'alphabeticalByName' }));
  return albumList2.album!.find((a) => a.name === ALBUMS[0].title)!.id;
};

describe('system', () => {
  test('ping, license and the OpenSubsonic extensions (apiKeyAuthentication, formPost)', async () => {
    ok(await api.ping());
    assert.equal(ok(await api.getLicense()).license.valid, true);
    const { openSubsonicExtensions } = ok(await api.getOpenSubsonicExtensions());
    assert.deepEqual(openSubsonicExtensions.map((e) => e.name).sort(), [
      'apiKeyAuthentication',
      'formPost',
      'transcodeOffset',
    ]);
  });

  test('the library is a music folder', async () => {
    const { musicFolders } = ok(await api.getMusicFolders());
    assert.deepEqual(
      musicFolders.musicFolder?.map((m) => m.name),
      ['Fixture'],
    );
  });

  test('an API key works through the client too', async () => {
    const keyed = new SubsonicAPI({ url: f.url, auth: { apiKey: f.apiKey } });
    ok(await keyed.ping());
  });
});

describe('browse', () => {
  test('artists → artist → album → song', async () => {
    const { artists } = ok(await api.getArtists());
    const all = artists.index!.flatMap((i) => i.artist ?? []);
    assert.deepEqual(all.map((a) => a.name).sort(), ['Neon 3', 'Velvet 12']);
    const velvet = all.find((a) => a.name === 'Velvet 12')!;
    assert.equal(velvet.albumCount, 1);
    const { artist } = ok(await api.getArtist({ id: velvet.id }));
    assert.deepEqual(
      artist.album?.map((a) => [a.name, a.songCount, a.year]),
      [['Blue Garden', 4, 1998]],
    );
    const { album } = ok(await api.getAlbum({ id: artist.album[0]!.id }));
    assert.deepEqual(
      album.song?.map((s) => s.title),
      Array.from({ length: TRACKS_PER_ALBUM }, (_, i) => `Blue Garden ${i + 1}`),
    );
    const { song } = ok(await api.getSong({ id: album.song[1]!.id }));
    assert.equal(song.title, 'Blue Garden 2');
    assert.equal(song.suffix, 'mp3');
    assert.equal(song.contentType, 'audio/mpeg');
    assert.equal(song.artist, 'Velvet 12');
    assert.equal(song.albumId, album.id);
    assert.equal(song.duration, 4);
  });

  test('getIndexes and getMusicDirectory walk the same tree as folders', async () => {
    const { indexes } = ok(await api.getIndexes());
    const neon = indexes.index!.flatMap((i) => i.artist ?? []).find((a) => a.name === 'Neon 3')!;
    const artistDir = ok(await api.getMusicDirectory({ id: neon.id })).directory;
    assert.deepEqual(
      artistDir.child?.map((c) => [c.title, c.isDir]),
      [['Red Harbour', true]],
    );
    const albumDir = ok(await api.getMusicDirectory({ id: artistDir.child[0]!.id })).directory;
    assert.equal(albumDir.child?.length, TRACKS_PER_ALBUM);
    assert.ok(albumDir.child?.every((c) => !c.isDir && c.suffix === 'flac'));
  });

  test('search3 finds by words of titles and names; an empty query lists everything', async () => {
    const hit = ok(await api.search3({ query: 'harbour 3' })).searchResult3;
    assert.deepEqual(
      hit.song?.map((s) => s.title),
      ['Red Harbour 3'],
    );
    const folderHit = ok(await api.search2({ query: 'blue garden' })).searchResult2;
    assert.deepEqual(
      folderHit.album?.map((a) => [a.title, a.isDir]),
      [['Blue Garden', true]],
    );
    assert.equal(folderHit.song?.length, 4);
    const byName = ok(await api.search3({ query: 'velvet' })).searchResult3;
    assert.deepEqual(
      byName.artist?.map((a) => a.name),
      ['Velvet 12'],
    );
    const everything = ok(await api.search3({ query: '', songCount: 100 })).searchResult3;
    assert.equal(everything.song?.length, ALBUMS.length * TRACKS_PER_ALBUM);
    assert.equal(everything.album?.length, ALBUMS.length);
  });

  test('getAlbumList2 orders by name, artist, year and genre; getRandomSongs draws from the library', async () => {
    const names = async (args: Parameters<SubsonicAPI['getAlbumList2']>[0]) =>
      ok(await api.getAlbumList2(args)).albumList2.album?.map((a) => a.name) ?? [];
    assert.deepEqual(await names({ type: 'alphabeticalByName' }), ['Blue Garden', 'Red Harbour']);
    assert.deepEqual(await names({ type: 'alphabeticalByArtist' }), ['Red Harbour', 'Blue Garden']);
    assert.deepEqual(await names({ type: 'byYear', fromYear: 2010, toYear: 1990 }), [
      'Red Harbour',
      'Blue Garden',
    ]);
    assert.deepEqual(await names({ type: 'byGenre', genre: 'techno' }), ['Red Harbour']);
    assert.equal((await names({ type: 'newest' })).length, 2);
    assert.equal((await names({ type: 'random', size: 1 })).length, 1);
    // The folder-based variant: the same albums, as directories.
    const folders = ok(await api.getAlbumList({ type: 'alphabeticalByName' })).albumList.album ?? [];
    assert.deepEqual(
      folders.map((a) => [a.title, a.isDir]),
      [
        ['Blue Garden', true],
        ['Red Harbour', true],
      ],
    );
    const { randomSongs } = ok(await api.getRandomSongs({ size: 3, genre: 'House' }));
    assert.equal(randomSongs.song?.length, 3);
    assert.ok(randomSongs.song?.every((s) => s.album === 'Blue Garden'));
  });
});

describe('covers', () => {
  test("an album's stored cover is its coverArt id, and getCoverArt serves the file", async () => {
    const album = await blueId();
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 7)]);
    await mkdir(path.join(f.libraryRoot, '.covers'), { recursive: true });
    await writeFile(path.join(f.libraryRoot, '.covers', 'blue.jpg'), jpeg);
    // As ingest's enrichment stage records a cover.
    await f.catalog.database
      .sql`update albums set cover_path = 'blue.jpg', cover_source = 'embedded' where id = ${album}`;
    const { album: withCover } = ok(await api.getAlbum({ id: album }));
    assert.equal(withCover.coverArt, album);
    assert.ok(withCover.song?.every((s) => s.coverArt === album));
    const res = await api.getCoverArt({ id: withCover.coverArt, size: 300 });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/jpeg');
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), jpeg);
  });
});

describe('listening', () => {
  test('star and unstar a song, an album and an artist; getStarred2 and the starred list follow', async () => {
    const song = f.tracks.get('Red Harbour 1')!;
    const album = await blueId();
    const { artists } = ok(await api.getArtists());
    const neon = artists.index!.flatMap((i) => i.artist ?? []).find((a) => a.name === 'Neon 3')!;
    ok(await api.star({ id: song, albumId: album, artistId: neon.id }));
    const starred = ok(await api.getStarred2()).starred2;
    assert.deepEqual(
      starred.song?.map((s) => s.id),
      [song],
    );
    assert.deepEqual(
      starred.album?.map((a) => a.id),
      [album],
    );
    assert.deepEqual(
      starred.artist?.map((a) => a.id),
      [neon.id],
    );
    const asFolders = ok(await api.getStarred()).starred;
    assert.deepEqual(
      [asFolders.song?.map((x) => x.id), asFolders.album?.map((a) => a.id)],
      [[song], [album]],
    );
    assert.ok(ok(await api.getSong({ id: song })).song.starred);
    assert.deepEqual(
      ok(await api.getAlbumList2({ type: 'starred' })).albumList2.album?.map((a) => a.id),
      [album],
    );
    // Another user's stars are theirs.
    assert.deepEqual(ok(await admin.getStarred2()).starred2.song ?? [], []);
    ok(await api.unstar({ id: song, albumId: album, artistId: neon.id }));
    const after = ok(await api.getStarred2()).starred2;
    assert.deepEqual([after.song ?? [], after.album ?? [], after.artist ?? []], [[], [], []]);
  });

  test('scrobbles count plays (now-playing notices do not), seen in GraphQL and the frequent list', async () => {
    const song = f.tracks.get('Blue Garden 3')!;
    ok(await api.scrobble({ id: song, submission: false }));
    ok(await api.scrobble({ id: song, time: Date.UTC(2026, 10, 1) }));
    ok(await admin.scrobble({ id: song, submission: true }));
    assert.equal(ok(await api.getSong({ id: song })).song.playCount, 1);
    const res = await f.catalog.gql<{ track: { playCount: number; lastPlayed: string } }>(
      'query($id: ID!) { track(id: $id) { playCount lastPlayed } }',
      { id: song },
    );
    assert.equal(res.data?.track.playCount, 2);
    assert.ok(Date.parse(res.data.track.lastPlayed) > Date.UTC(2026, 10, 2));
    assert.deepEqual(
      ok(await api.getAlbumList2({ type: 'frequent' })).albumList2.album?.map((a) => a.name),
      ['Blue Garden'],
    );
    assert.deepEqual(
      ok(await api.getAlbumList2({ type: 'recent' })).albumList2.album?.map((a) => a.name),
      ['Blue Garden'],
    );
  });
});

describe('playlists', () => {
  test('create, read, update (add, remove by index, rename) and delete', async () => {
    const [a, b, c] = ['Blue Garden 1', 'Red Harbour 2', 'Blue Garden 4'].map((t) => f.tracks.get(t)!);
    const created = ok(await api.createPlaylist({ name: 'Evening', songId: [a!, b!] })).playlist;
    assert.deepEqual(
      created.entry?.map((e) => e.id),
      [a, b],
    );
    assert.equal(created.owner, f.listener.name);
    ok(
      await api.updatePlaylist({
        playlistId: created.id,
        name: 'Night',
        songIdToAdd: [c!],
        songIndexToRemove: [0],
      }),
    );
    const { playlist } = ok(await api.getPlaylist({ id: created.id }));
    assert.equal(playlist.name, 'Night');
    assert.deepEqual(
      playlist.entry?.map((e) => e.id),
      [b, c],
    );
    assert.equal(playlist.songCount, 2);
    const listed = ok(await api.getPlaylists()).playlists.playlist ?? [];
    assert.deepEqual(
      listed.map((p) => p.name),
      ['Night'],
    );
    // Private: another user neither sees it nor may change it.
    assert.deepEqual(ok(await admin.getPlaylists()).playlists.playlist ?? [], []);
    const refused = await admin.deletePlaylist({ id: created.id });
    assert.equal(refused.status, 'failed');
    const gql = await f.catalog.gql<{
      playlist: { name: string; tracks: { id: string }[]; owner: { name: string } };
    }>('query($id: ID!) { playlist(id: $id) { name owner { name } tracks { id } } }', { id: created.id });
    assert.deepEqual(gql.data?.playlist, {
      name: 'Night',
      owner: { name: f.listener.name },
      tracks: [{ id: b }, { id: c }],
    });
    ok(await api.deletePlaylist({ id: created.id }));
    assert.equal((await api.getPlaylist({ id: created.id })).status, 'failed');
  });
});

describe('similar songs, scans and streams', () => {
  test('getSimilarSongs2 of an artist recommends from the library graph: like theirs, not theirs', async () => {
    const { artists } = ok(await api.getArtists());
    const velvet = artists.index!.flatMap((i) => i.artist ?? []).find((a) => a.name === 'Velvet 12')!;
    // Velvet 12's tracks are the seeds; the one other track with their tempo and key is recommended.
    const byArtist = ok(await api.getSimilarSongs2({ id: velvet.id, count: 10 })).similarSongs2.song ?? [];
    assert.deepEqual(
      byArtist.map((s) => s.title),
      ['Red Harbour 1'],
    );
    // A song's: its album's other tracks, the two sharing tempo and key (equal scores: either order) first.
    const bySong = ok(
      await api.getSimilarSongs2({ id: f.tracks.get('Red Harbour 2')!, count: 3 }),
    ).similarSongs2;
    const titles = bySong.song?.map((s) => s.title) ?? [];
    assert.deepEqual(titles.slice(0, 2).sort(), ['Red Harbour 3', 'Red Harbour 4']);
    assert.equal(titles[2], 'Red Harbour 1');
  });

  test('startScan queues a scan (admins only) and getScanStatus reports it', async () => {
    const { scanStatus } = ok(await admin.startScan());
    assert.equal(scanStatus.scanning, true);
    assert.equal(scanStatus.count, ALBUMS.length * TRACKS_PER_ALBUM);
    assert.equal(ok(await api.getScanStatus()).scanStatus.scanning, true);
    const jobs = await f.catalog.database.sql<{ status: string }[]>`select status from import_jobs`;
    assert.deepEqual(
      jobs.map((j) => j.status),
      ['QUEUED'],
    );
  });

  test('stream serves the original with Range requests and an Opus transcode that ffprobe decodes', async () => {
    const id = f.tracks.get('Red Harbour 1')!;
    const original = await api.stream({ id });
    assert.equal(original.status, 200);
    assert.equal(original.headers.get('content-type'), 'audio/flac');
    const bytes = Buffer.from(await original.arrayBuffer());
    assert.equal(bytes.subarray(0, 4).toString('latin1'), 'fLaC');
    const ranged = await fetch(original.url, { headers: { range: 'bytes=0-3' } });
    assert.equal(ranged.status, 206);
    assert.equal(Buffer.from(await ranged.arrayBuffer()).toString('latin1'), 'fLaC');

    const opus = await api.custom('stream.view', { id, format: 'opus', maxBitRate: 96 });
    assert.equal(opus.status, 200);
    const file = path.join(f.libraryRoot, 'transcode.ogg');
    await writeFile(file, Buffer.from(await opus.arrayBuffer()));
    assert.equal((await probe(file)).codec, 'opus');

    // transcodeOffset: the transcode starts 2 s into the 4 s track.
    const late = await api.custom('stream.view', { id, format: 'mp3', timeOffset: 2 });
    const lateFile = path.join(f.libraryRoot, 'late.mp3');
    await writeFile(lateFile, Buffer.from(await late.arrayBuffer()));
    const { duration } = await probe(lateFile);
    assert.ok(Math.abs(duration - 2) < 0.3, String(duration));

    const download = await api.download({ id: f.tracks.get('Blue Garden 1')! });
    assert.equal(download.headers.get('content-type'), 'audio/mpeg');
  });
});
