import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { promisify } from 'node:util';
import {
  CoverRejectedError,
  createCoverArt,
  createHostClient,
  extractEmbeddedCover,
  storeEmbeddedCover,
  type HostClient,
} from '../src/index.ts';
import { fakeJpeg, fakeMbid, startFakes, type Fakes } from './fakes/index.ts';
import { FAST_POLICY, useTempDir } from './helpers.ts';

const run = promisify(execFile);
const withCover = fakeMbid('release:with-cover');
const pngCover = fakeMbid('release:png-cover');
const hugeCover = fakeMbid('release:huge-cover');
const hugeChunked = fakeMbid('release:huge-chunked');
const noCover = fakeMbid('release:no-cover');

describe('covers', () => {
  const tmp = useTempDir();
  let fakes: Fakes;
  let host: HostClient;
  const jpeg = fakeJpeg(4096);
  before(async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
    fakes = await startFakes({
      covers: {
        [withCover]: { data: jpeg },
        [pngCover]: { data: png, contentType: 'image/png' },
        [hugeCover]: { data: fakeJpeg(64 * 1024) },
        [hugeChunked]: { data: fakeJpeg(64 * 1024), chunked: true },
      },
    });
    host = createHostClient({
      name: 'coverartarchive',
      baseUrl: fakes.coverArt.url,
      userAgent: 'Tonegraph/0.1.0 ( test )',
      rate: { perSecond: 50 },
      followRedirects: true,
      ...FAST_POLICY,
    });
  });
  after(async () => {
    await host.close();
    await fakes.close();
  });
  beforeEach(() => {
    fakes.coverArt.requests.length = 0;
    fakes.images.requests.length = 0;
  });
  const coverArt = (size: 500 | 1200 = 500, maxBytes = 16 * 1024) =>
    createCoverArt(host, { coverDir: path.join(tmp(), 'covers'), size, maxBytes });

  test('the front thumbnail is fetched through the redirect and stored as <release>-<size>.jpg', async () => {
    const stored = await coverArt(1200).front(withCover);
    assert.equal(stored?.path, path.join(tmp(), 'covers', `${withCover}-1200.jpg`));
    assert.equal(stored?.source, 'coverartarchive');
    assert.deepEqual(new Uint8Array(await readFile(stored.path)), jpeg);
    assert.equal(fakes.coverArt.requests[0]?.url, `/release/${withCover}/front-1200`);
    assert.equal(fakes.images.requests[0]?.url, `/images/${withCover}-1200.jpg`);
    const leftovers = (await readdir(path.join(tmp(), 'covers'))).filter((f) => f.endsWith('.tmp'));
    assert.deepEqual(leftovers, []);
  });

  test('a cover already on disk costs no request', async () => {
    await coverArt(500).front(withCover);
    const again = await coverArt(500).front(withCover);
    assert.ok(again);
    assert.equal(fakes.coverArt.requests.length, 1);
  });

  test('a release without a cover is undefined, not an error', async () => {
    assert.equal(await coverArt().front(noCover), undefined);
  });

  test('a cover that is not a JPEG is refused and nothing is written', async () => {
    await assert.rejects(
      coverArt().front(pngCover),
      (e: unknown) => e instanceof CoverRejectedError && e.reason === 'content-type',
    );
    const files = await readdir(path.join(tmp(), 'covers'));
    assert.ok(!files.some((f) => f.startsWith(pngCover)), files.join(', '));
  });

  test('a cover over the size limit is refused and nothing is written', async () => {
    await assert.rejects(
      coverArt(500, 16 * 1024).front(hugeCover),
      (e: unknown) => e instanceof CoverRejectedError && e.reason === 'too-large',
    );
    const files = await readdir(path.join(tmp(), 'covers'));
    assert.ok(!files.some((f) => f.startsWith(hugeCover)), files.join(', '));
  });

  test('a cover over the size limit sent without Content-Length is cut off while streaming', async () => {
    await assert.rejects(
      coverArt(500, 16 * 1024).front(hugeChunked),
      (e: unknown) => e instanceof CoverRejectedError && e.reason === 'too-large',
    );
    const files = await readdir(path.join(tmp(), 'covers'));
    assert.ok(!files.some((f) => f.startsWith(hugeChunked)), files.join(', '));
  });

  test('the embedded cover of an MP3 is extracted and stored under the release id', async () => {
    const dir = tmp();
    const picture = path.join(dir, 'front.jpg');
    const mp3 = path.join(dir, 'tagged.mp3');
    await run('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'color=c=red:s=64x64',
      '-frames:v',
      '1',
      picture,
    ]);
    await run('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:duration=1',
      '-i',
      picture,
      '-map',
      '0:a',
      '-map',
      '1:v',
      '-c:a',
      'libmp3lame',
      '-c:v',
      'copy',
      '-id3v2_version',
      '3',
      '-metadata:s:v',
      'title=Album cover',
      '-metadata:s:v',
      'comment=Cover (front)',
      mp3,
    ]);
    const stored = await extractEmbeddedCover(mp3, { coverDir: path.join(dir, 'covers'), key: withCover });
    assert.equal(stored?.source, 'embedded');
    assert.equal(stored?.path, path.join(dir, 'covers', `${withCover}-embedded.jpg`));
    assert.deepEqual(await readFile(stored.path), await readFile(picture));

    const plain = path.join(dir, 'plain.mp3');
    await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', plain]);
    assert.equal(await extractEmbeddedCover(plain, { coverDir: path.join(dir, 'covers') }), undefined);
  });

  test('an embedded picture without a release id is named by its hash; a non-image is ignored', async () => {
    const stored = await storeEmbeddedCover({ data: jpeg }, { coverDir: path.join(tmp(), 'covers') });
    assert.match(path.basename(stored!.path), /^sha1-[0-9a-f]{40}-embedded\.jpg$/);
    assert.equal(
      await storeEmbeddedCover({ data: new TextEncoder().encode('GIF89a...') }, { coverDir: tmp() }),
      undefined,
    );
  });
});
