// streaming: the fixture library (every format) imported by a real ingest
// worker, then every track streamed through the gateway with the URL
// `Track.streamUrl` hands out, as an <audio> element would (no token): the
// original answers a Range request with the file's bytes, an Opus transcode
// decodes with ffprobe, an MP3 asked for as MP3 within its bitrate is the
// file itself, and a changed URL is refused. The catalog signs and the
// gateway verifies with the STREAM_SECRET the platform gives both, as
// `npm start` does.
import assert from 'node:assert/strict';
import { mkdtemp, open as openFile, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { generateFixtures, type FixtureSet } from '@tonegraph/fixtures';
import { fetchRaw, probe } from '@tonegraph/streaming/test-support';
import { eventually } from '@tonegraph/testing';
import { gql } from '../support/graphql.ts';
import { startPlatform, type Platform } from '../support/platform.ts';

let root: string;
let fixtures: FixtureSet;
let platform: Platform;

before(
  async () => {
    root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'tonegraph-e2e-streaming-')));
    fixtures = await generateFixtures(path.join(root, 'library'), { durationSeconds: 6 });
    platform = await startPlatform({ allowedRoot: root });
  },
  { timeout: 600_000 },
);
after(
  async () => {
    await platform?.close();
    if (root) await rm(root, { recursive: true, force: true });
  },
  { timeout: 120_000 },
);

interface Track {
  id: string;
  title: string;
  file: { path: string; format: string; size: number };
  original: string;
  opus: string;
  mp3: string;
}

test(
  'every imported track streams from its Track.streamUrl, original and transcoded',
  { timeout: 600_000 },
  async () => {
    const graphql = platform.gateways[0]!.url;
    const origin = new URL(graphql).origin;
    const { addLibrary } = await gql<{ addLibrary: { id: string } }>(
      graphql,
      `mutation($path: String!) { addLibrary(path: $path, name: "streaming") { id } }`,
      { path: path.join(root, 'library') },
    );
    const { scanLibrary } = await gql<{ scanLibrary: { id: string } }>(
      graphql,
      `mutation($id: ID!) { scanLibrary(id: $id, mode: FULL) { id } }`,
      { id: addLibrary.id },
    );
    await eventually(
      async () => {
        const { importJob } = await gql<{ importJob: { status: string } }>(
          graphql,
          `query($id: ID!) { importJob(id: $id) { status } }`,
          { id: scanLibrary.id },
        );
        assert.notEqual(importJob.status, 'FAILED');
        return importJob.status === 'COMPLETED';
      },
      { what: 'the import completed', timeoutMs: 300_000, intervalMs: 500 },
    );

    const { tracks } = await gql<{ tracks: { edges: { node: Track }[] } }>(
      graphql,
      `{ tracks(first: 50) { edges { node { id title file { path format size }
        original: streamUrl opus: streamUrl(format: OPUS, maxBitRate: 96) mp3: streamUrl(format: MP3, maxBitRate: 320) } } } }`,
    );
    const nodes = tracks.edges.map((e) => e.node);
    assert.equal(nodes.length, fixtures.tracks.length);

    for (const track of nodes) {
      const what = `${track.title} (${track.file.format})`;
      const ranged = await fetchRaw(`${origin}${track.original}`, { headers: { range: 'bytes=100-1123' } });
      assert.equal(ranged.status, 206, what);
      assert.equal(ranged.headers['content-range'], `bytes 100-1123/${track.file.size}`, what);
      const handle = await openFile(track.file.path);
      const expected = Buffer.alloc(1024);
      await handle.read(expected, 0, 1024, 100);
      await handle.close();
      assert.ok(ranged.body.equals(expected), `${what}: the file's own bytes`);

      const opus = await fetchRaw(`${origin}${track.opus}`);
      assert.equal(opus.status, 200, what);
      assert.equal(opus.headers['content-type'], 'audio/ogg', what);
      const out = path.join(root, `${track.id}.opus`);
      await writeFile(out, opus.body);
      const probed = await probe(out);
      // An .opus file within 96 kb/s may be its own original; every other file (Vorbis too) is transcoded.
      assert.equal(probed.codec, 'opus', what);
      assert.ok(Math.abs(probed.duration - 6) < 0.5, `${what}: ${probed.duration} s`);
    }

    // The MP3 (192 kb/s) asked for as MP3 within 320 kb/s: the file itself, with ranges.
    const mp3 = nodes.find((t) => t.file.format === 'mp3')!;
    const asMp3 = await fetchRaw(`${origin}${mp3.mp3}`, { method: 'HEAD' });
    assert.equal(asMp3.headers['accept-ranges'], 'bytes');
    assert.equal(asMp3.headers['content-length'], String(mp3.file.size));

    // A URL changed to another track is refused, though the platform runs without authentication.
    const other = nodes.find((t) => t.id !== mp3.id)!;
    const tampered = await fetchRaw(`${origin}${mp3.original.replace(mp3.id, other.id)}`);
    assert.equal(tampered.status, 403);
  },
);
