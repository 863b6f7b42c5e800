// The streamer against real files and a real ffmpeg: originals honour Range,
// If-Range, ETag/If-None-Match and HEAD as `send` implements them (first
// bytes, middle, suffix, out of range → 416 with `bytes */size`); transcodes
// decode with ffprobe as the requested codec near the requested bitrate,
// stop their ffmpeg when the client leaves, and are bounded (503 +
// Retry-After past the limit).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { generateFixtures, type FixtureSet } from '@tonegraph/fixtures';
import { eventually } from '@tonegraph/testing';
import type { TrackFile } from '../src/index.ts';
import {
  ffmpegChildren,
  fetchRaw,
  open,
  pausedTranscode,
  probe,
  startStreamServer,
  trackFileOf,
  writeLongFlac,
} from './support.ts';

let dir: string;
let fixtures: FixtureSet;
let server: Awaited<ReturnType<typeof startStreamServer>>;
const files = new Map<string, TrackFile>();
let flacBytes: Buffer;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tonegraph-streaming-'));
  fixtures = await generateFixtures(path.join(dir, 'fixtures'), { durationSeconds: 8 });
  const flac = fixtures.tracks.find((t) => t.ext === 'flac')!;
  const mp3 = fixtures.tracks.find((t) => t.ext === 'mp3')!;
  files.set('flac', await trackFileOf('flac', path.join(fixtures.dir, flac.file), 900_000));
  files.set('mp3', await trackFileOf('mp3', path.join(fixtures.dir, mp3.file), 192_000));
  // Long enough that a transcode still runs, blocked on a full pipe, when the client leaves.
  const long = path.join(dir, 'long.flac');
  await writeLongFlac(long, 900);
  files.set('long', await trackFileOf('long', long, 300_000, 900));
  flacBytes = await readFile(files.get('flac')!.path);
  server = await startStreamServer(files, { maxTranscodes: 1 });
});

after(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

test('serves the whole original with its type, length, validators and Accept-Ranges', async () => {
  const res = await fetchRaw(`${server.url}/flac`);
  assert.equal(res.status, 200);
  assert.equal(res.headers['content-type'], 'audio/flac');
  assert.equal(res.headers['content-length'], String(flacBytes.length));
  assert.equal(res.headers['accept-ranges'], 'bytes');
  assert.ok(res.headers.etag);
  assert.ok(res.headers['last-modified']);
  assert.match(String(res.headers['cache-control']), /no-transform/);
  assert.ok(res.body.equals(flacBytes));
});

test('answers Range requests: first bytes, a middle slice, a suffix', async () => {
  const size = flacBytes.length;
  const cases: [string, number, number][] = [
    ['bytes=0-99', 0, 99],
    ['bytes=1000-4999', 1000, 4999],
    ['bytes=-500', size - 500, size - 1],
    [`bytes=${size - 10}-`, size - 10, size - 1],
  ];
  for (const [range, start, end] of cases) {
    const res = await fetchRaw(`${server.url}/flac`, { headers: { range } });
    assert.equal(res.status, 206, range);
    assert.equal(res.headers['content-range'], `bytes ${start}-${end}/${size}`, range);
    assert.equal(res.headers['content-length'], String(end - start + 1), range);
    assert.ok(res.body.equals(flacBytes.subarray(start, end + 1)), range);
  }
});

test('a range outside the file is 416 with Content-Range bytes */size', async () => {
  const size = flacBytes.length;
  for (const range of [`bytes=${size}-`, `bytes=${size + 100}-${size + 200}`]) {
    const res = await fetchRaw(`${server.url}/flac`, { headers: { range } });
    assert.equal(res.status, 416, range);
    assert.equal(res.headers['content-range'], `bytes */${size}`);
    const body = JSON.parse(res.body.toString()) as { errors: { extensions: { code: string } }[] };
    assert.equal(body.errors[0]!.extensions.code, 'RANGE_NOT_SATISFIABLE');
  }
});

test('If-None-Match with the ETag is 304; If-Range serves the range only while the ETag matches', async () => {
  const { headers } = await fetchRaw(`${server.url}/flac`, { method: 'HEAD' });
  const etag = String(headers.etag);
  const notModified = await fetchRaw(`${server.url}/flac`, { headers: { 'if-none-match': etag } });
  assert.equal(notModified.status, 304);
  assert.equal(notModified.body.length, 0);
  const changed = await fetchRaw(`${server.url}/flac`, { headers: { 'if-none-match': '"something-else"' } });
  assert.equal(changed.status, 200);

  const same = await fetchRaw(`${server.url}/flac`, { headers: { range: 'bytes=0-9', 'if-range': etag } });
  assert.equal(same.status, 206);
  assert.equal(same.body.length, 10);
  const stale = await fetchRaw(`${server.url}/flac`, {
    headers: { range: 'bytes=0-9', 'if-range': 'W/"stale"' },
  });
  assert.equal(stale.status, 200);
  assert.equal(stale.body.length, flacBytes.length);
  const failed = await fetchRaw(`${server.url}/flac`, { headers: { 'if-match': '"not-it"' } });
  assert.equal(failed.status, 412);
});

test('HEAD of an original gives the headers of a GET and no body', async () => {
  const res = await fetchRaw(`${server.url}/flac`, { method: 'HEAD' });
  assert.equal(res.status, 200);
  assert.equal(res.headers['content-length'], String(flacBytes.length));
  assert.equal(res.headers['content-type'], 'audio/flac');
  assert.equal(res.body.length, 0);
});

test('an MP3 asked for as MP3 within its bitrate is served as it is', async () => {
  const res = await fetchRaw(`${server.url}/mp3?format=mp3&maxBitRate=320`);
  assert.equal(res.status, 200);
  assert.equal(res.headers['accept-ranges'], 'bytes');
  assert.ok(res.body.equals(await readFile(files.get('mp3')!.path)));
});

for (const [format, codec, kbps] of [
  ['opus', 'opus', 96],
  ['mp3', 'mp3', 128],
] as const) {
  test(`a ${format} transcode decodes as ${codec} near ${kbps} kb/s, chunked, without ranges`, async () => {
    const res = await fetchRaw(`${server.url}/flac?format=${format}&maxBitRate=${kbps}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], format === 'opus' ? 'audio/ogg' : 'audio/mpeg');
    assert.equal(res.headers['accept-ranges'], 'none');
    assert.equal(res.headers['content-length'], undefined);
    assert.equal(res.headers['transfer-encoding'], 'chunked');
    const out = path.join(dir, `out.${format}`);
    await writeFile(out, res.body);
    const probed = await probe(out);
    assert.equal(probed.codec, codec);
    assert.ok(Math.abs(probed.duration - 8) < 0.5, `duration ${probed.duration}`);
    const ratio = probed.bitRate / (kbps * 1000);
    assert.ok(ratio > 0.75 && ratio < 1.25, `bit rate ${probed.bitRate} for ${kbps} kb/s`);
  });
}

test('timeOffset starts a transcode that far in', async () => {
  const res = await fetchRaw(`${server.url}/flac?format=mp3&timeOffset=5`);
  assert.equal(res.status, 200);
  const out = path.join(dir, 'offset.mp3');
  await writeFile(out, res.body);
  const { duration } = await probe(out);
  assert.ok(Math.abs(duration - 3) < 0.5, `duration ${duration}`);
});

test('HEAD of a transcode describes it, with the duration left after timeOffset, without running ffmpeg', async () => {
  const res = await fetchRaw(`${server.url}/long?format=opus&timeOffset=60`, { method: 'HEAD' });
  assert.equal(res.status, 200);
  assert.equal(res.headers['content-type'], 'audio/ogg');
  assert.equal(res.headers['accept-ranges'], 'none');
  assert.equal(res.headers['x-content-duration'], '840.00');
  assert.equal(server.streamer.activeTranscodes, 0);
  assert.deepEqual(await ffmpegChildren(), []);
});

test('a file ffmpeg cannot read is a 502 TRANSCODE_FAILED, not an empty 200', async () => {
  const broken = fixtures.others.find((o) => o.kind === 'text-as-audio')!;
  files.set('broken', await trackFileOf('broken', path.join(fixtures.dir, broken.file)));
  const res = await fetchRaw(`${server.url}/broken?format=opus`);
  assert.equal(res.status, 502);
  const body = JSON.parse(res.body.toString()) as { errors: { extensions: { code: string } }[] };
  assert.equal(body.errors[0]!.extensions.code, 'TRANSCODE_FAILED');
  await eventually(() => server.streamer.activeTranscodes === 0, { what: 'the failed ffmpeg counted out' });
});

test('ffmpeg is gone once the client leaves mid-stream', async () => {
  const { res, pid } = await pausedTranscode(`${server.url}/long?format=opus`);
  // Still running, blocked on the full pipe: 15 minutes of audio do not fit in the buffers.
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.deepEqual(await ffmpegChildren(), [pid]);
  assert.equal(server.streamer.activeTranscodes, 1);
  res.destroy();
  await eventually(async () => (await ffmpegChildren()).length === 0, { what: `ffmpeg ${pid} gone` });
  await eventually(() => server.streamer.activeTranscodes === 0, { what: 'the transcode counted out' });
});

test('past the transcode limit a request is 503 with Retry-After; originals still flow', async () => {
  const { res: first } = await pausedTranscode(`${server.url}/long?format=mp3`);
  const refused = await fetchRaw(`${server.url}/flac?format=opus`);
  assert.equal(refused.status, 503);
  assert.equal(refused.headers['retry-after'], '5');
  const body = JSON.parse(refused.body.toString()) as { errors: { extensions: { code: string } }[] };
  assert.equal(body.errors[0]!.extensions.code, 'TRANSCODES_BUSY');
  assert.equal((await fetchRaw(`${server.url}/flac`, { headers: { range: 'bytes=0-9' } })).status, 206);
  first.destroy();
  await eventually(() => server.streamer.activeTranscodes === 0, { what: 'the first transcode ended' });
  assert.equal((await fetchRaw(`${server.url}/flac?format=opus`)).status, 200);
});

test('close() ends every running ffmpeg', async () => {
  const other = await startStreamServer(files);
  const res = await open(`${other.url}/long?format=opus`);
  res.pause();
  await eventually(() => other.streamer.activeTranscodes === 1, { what: 'a transcode running' });
  await other.close();
  assert.equal(other.streamer.activeTranscodes, 0);
  assert.deepEqual(await ffmpegChildren(), []);
  res.destroy();
});
