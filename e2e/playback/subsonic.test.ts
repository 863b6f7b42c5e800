// playback: the whole platform with the Subsonic service behind the gateway.
// A library imported through ingest is browsed, searched and streamed by a
// real Subsonic client (npm `subsonic-api`) that knows only the gateway's
// address; a scrobble shows up as the track's play count in GraphQL.
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { SubsonicAPI } from 'subsonic-api';
import { generateLibrary } from '@tonegraph/fixtures/library';
import { probe } from '@tonegraph/streaming/test-support';
import { eventually } from '@tonegraph/testing';
import { gql } from '../support/graphql.ts';
import { startPlatform, type Platform } from '../support/platform.ts';

const FILES = 6;
const root = path.join(tmpdir(), `tonegraph-e2e-playback-${process.pid}`);
let platform: Platform;
let graphql: string;
let api: SubsonicAPI;

before(
  async () => {
    await mkdir(root, { recursive: true });
    await generateLibrary(path.join(root, 'library'), { files: FILES, perAlbum: 3 });
    platform = await startPlatform({
      allowedRoot: root,
      subsonic: true,
      env: { ANALYSIS_THREADS: '1', ANALYSIS_CONCURRENCY: '2' },
    });
    graphql = platform.gateways[0]!.url;
    const { addLibrary } = await gql<{ addLibrary: { id: string } }>(
      graphql,
      'mutation($p: String!) { addLibrary(path: $p, name: "Playback") { id } }',
      { p: path.join(root, 'library') },
    );
    const { scanLibrary } = await gql<{ scanLibrary: { id: string } }>(
      graphql,
      'mutation($id: ID!) { scanLibrary(id: $id, mode: FULL) { id } }',
      { id: addLibrary.id },
    );
    await eventually(
      async () => {
        const { importJob } = await gql<{ importJob: { status: string } }>(
          graphql,
          'query($id: ID!) { importJob(id: $id) { status } }',
          { id: scanLibrary.id },
        );
        return importJob.status === 'COMPLETED';
      },
      { timeoutMs: 300_000, intervalMs: 500, what: 'the import to complete' },
    );
    await gql(graphql, 'mutation { createUser(name: "player", password: "let me listen") { id } }');
    api = new SubsonicAPI({
      url: graphql.replace(/\/graphql$/, ''),
      auth: { username: 'player', password: 'let me listen' },
    });
  },
  { timeout: 600_000 },
);
after(
  async () => {
    await platform?.close();
    await rm(root, { recursive: true, force: true });
  },
  { timeout: 120_000 },
);

test('a Subsonic client finds the imported tracks through the gateway', async () => {
  assert.equal((await api.ping()).status, 'ok');
  const { searchResult3 } = await api.search3({ query: '', songCount: 100 });
  assert.equal(searchResult3.song?.length, FILES);
  const { albumList2 } = await api.getAlbumList2({ type: 'alphabeticalByName' });
  assert.equal(albumList2.album?.length, FILES / 3);
  const { album } = await api.getAlbum({ id: albumList2.album[0]!.id });
  assert.equal(album.song?.length, 3);
});

test("an imported track streams to the client's stream call, as the original and as an MP3 transcode", async () => {
  const { searchResult3 } = await api.search3({ query: '', songCount: 1 });
  const song = searchResult3.song![0]!;
  const original = await api.stream({ id: song.id });
  assert.equal(original.status, 200);
  assert.equal(original.headers.get('content-type'), song.contentType);
  assert.equal(Number(original.headers.get('content-length')), song.size);
  assert.equal((await original.arrayBuffer()).byteLength, song.size);

  const mp3 = await api.stream({ id: song.id, format: 'mp3', maxBitRate: 128 });
  assert.equal(mp3.status, 200);
  const file = path.join(root, 'transcode.mp3');
  await writeFile(file, Buffer.from(await mp3.arrayBuffer()));
  assert.equal((await probe(file)).codec, 'mp3');
});

test('a scrobble is the play count GraphQL shows', async () => {
  const { searchResult3 } = await api.search3({ query: '', songCount: 1 });
  const id = searchResult3.song![0]!.id;
  assert.equal((await api.scrobble({ id })).status, 'ok');
  const { track } = await gql<{ track: { playCount: number } }>(
    graphql,
    'query($id: ID!) { track(id: $id) { playCount } }',
    { id },
  );
  assert.equal(track.playCount, 1);
});
