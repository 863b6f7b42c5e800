import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { generateFixtures, type FixtureSet } from '@tonegraph/fixtures';
import { PermanentFileError } from '../src/errors.ts';
import { readMetadata } from '../src/metadata/extract.ts';
import { createReadBuffers } from '../src/metadata/read-buffers.ts';
import { readAudioFile } from '../src/metadata/read-file.ts';

let set: FixtureSet;
before(async () => {
  set = await generateFixtures(await mkdtemp(path.join(tmpdir(), 'tonegraph-meta-')), { durationSeconds: 3 });
});
after(() => rm(set.dir, { recursive: true, force: true }));

test('tags and format are read from every supported format', async () => {
  for (const fixture of set.tracks) {
    const meta = await readMetadata(path.join(set.dir, fixture.file));
    assert.equal(meta.title, fixture.tags.title, fixture.file);
    assert.equal(meta.artists[0]?.name, 'Tonegraph Ensemble', fixture.file);
    assert.equal(meta.artists[0]?.role, 'MAIN');
    if (fixture.tags.artist.includes('feat.')) {
      assert.deepEqual(meta.artists[1], { name: 'Café Société', role: 'FEATURED' }, fixture.file);
    }
    assert.equal(meta.album, fixture.tags.album, fixture.file);
    assert.equal(meta.trackNumber, fixture.tags.track, fixture.file);
    assert.equal(meta.year, fixture.tags.year, fixture.file);
    assert.deepEqual(meta.genres, [fixture.tags.genre], fixture.file);
    assert.equal(meta.format.format, fixture.ext);
    assert.equal(meta.format.lossless, fixture.lossless, fixture.file);
    assert.ok(Math.abs(meta.format.duration - 3) < 0.1, `${fixture.file}: ${meta.format.duration}`);
    assert.equal(meta.format.channels, 2);
    assert.equal(meta.hasEmbeddedCover, fixture.hasCover, fixture.file);
  }
});

test('files that can never be read are permanent errors, each with a reason', async () => {
  for (const other of set.others.filter((o) => o.file.startsWith('Broken/') && o.kind !== 'invalid-name')) {
    await assert.rejects(readMetadata(path.join(set.dir, other.file)), (error: unknown) => {
      assert.ok(error instanceof PermanentFileError, `${other.file}: ${String(error)}`);
      assert.equal(error.stage, 'metadata');
      assert.match(error.message, new RegExp(path.basename(other.file).replace('.', '\\.')));
      return true;
    });
  }
});

test('a file deleted before it is read is a permanent error that names it', async () => {
  await assert.rejects(
    readMetadata(path.join(set.dir, 'vanished.flac')),
    (error: unknown) => error instanceof PermanentFileError && /vanished\.flac/.test(error.message),
  );
});

const sha256 = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
/** Buffers that read every fixture whole, and none. */
const whole = () => createReadBuffers(64 * 1024 * 1024);
const streamed = () => createReadBuffers(0);

test('a file read whole or streamed gives the tags of the file on disk and the SHA-256 of its content', async () => {
  for (const fixture of set.tracks) {
    const file = path.join(set.dir, fixture.file);
    const expected = await readMetadata(file);
    for (const [how, buffers] of [
      ['whole', whole()],
      ['streamed', streamed()],
    ] as const) {
      const read = await readAudioFile(file, { buffers });
      assert.deepEqual(read.meta, expected, `${fixture.file}, ${how}`);
      assert.equal(read.contentHash, await sha256(file), fixture.file);
      assert.equal(read.size, (await readFile(file)).length);
    }
  }
});

test('a bad file fails with the same reason read whole as streamed', async () => {
  for (const other of set.others.filter((o) => o.file.startsWith('Broken/') && o.kind !== 'invalid-name')) {
    const file = path.join(set.dir, other.file);
    const reasons = [];
    for (const buffers of [whole(), streamed()]) {
      const error = await readAudioFile(file, { buffers }).then(
        () => assert.fail(`${other.file} was read`),
        (e: unknown) => e,
      );
      assert.ok(error instanceof PermanentFileError, `${other.file}: ${String(error)}`);
      reasons.push(error.message);
    }
    assert.equal(reasons[0], reasons[1], other.file);
  }
});

test('a file deleted before it is read is reported as missing, for the pipeline to drop its track', async () => {
  await assert.rejects(
    readAudioFile(path.join(set.dir, 'vanished.flac'), { buffers: whole() }),
    (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT',
  );
});

test('a path replaced by a FIFO is refused at once, not waited on; a file that cannot be opened is permanent', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'tonegraph-fifo-'));
  try {
    const fifo = path.join(dir, 'pipe.flac');
    await promisify(execFile)('mkfifo', [fifo]);
    await assert.rejects(
      readAudioFile(fifo, { buffers: whole() }),
      (error: unknown) =>
        error instanceof PermanentFileError && /no longer a regular file/.test(error.message),
    );
    // Root reads any chmod 000 file; /proc/sys/vm/compact_memory is write-only even for root.
    await assert.rejects(
      readAudioFile('/proc/sys/vm/compact_memory', { buffers: whole() }),
      (error: unknown) =>
        error instanceof PermanentFileError &&
        error.stage === 'read' &&
        /permission denied/.test(error.message),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('read buffers are reused, stay within their budget, and are given back', async () => {
  const buffers = createReadBuffers(4 * 1024 * 1024, { idleMs: 20 });
  const files = set.tracks.map((t) => path.join(set.dir, t.file));
  await Promise.all(files.map((file) => readAudioFile(file, { buffers })));
  // Everything was given back: the whole budget can be taken again (kept buffers make room).
  const taken = [1, 2, 3, 4].map(() => buffers.take(1024 * 1024));
  assert.ok(taken.every(Boolean), 'four 1 MiB buffers fit in 4 MiB');
  assert.equal(buffers.take(1), undefined, 'nothing is left');
  assert.equal(
    buffers.take(1024 * 1024 + 1),
    undefined,
    'more than a quarter of the budget is never read whole',
  );
  // With the budget used up, files are streamed, and read all the same.
  const read = await readAudioFile(files[0]!, { buffers });
  assert.equal(read.contentHash, await sha256(files[0]!));
  for (const b of taken) buffers.give(b!);
  const again = buffers.take(1000 * 1000);
  assert.ok(taken.includes(again), 'a kept buffer of the right size is reused');
  buffers.give(again!);
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.ok(!taken.includes(buffers.take(1000 * 1000)), 'kept buffers are dropped when idle');
});

test('long Ogg Vorbis and Opus files have their exact duration (it is only on the last page)', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'tonegraph-ogg-'));
  try {
    for (const [ext, codec] of [
      ['ogg', 'libvorbis'],
      ['opus', 'libopus'],
    ] as const) {
      const file = path.join(dir, `long.${ext}`);
      await promisify(execFile)('ffmpeg', [
        ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi'],
        ...['-i', 'sine=frequency=440:duration=75', '-ac', '2', '-c:a', codec, file],
      ]);
      for (const buffers of [whole(), streamed()]) {
        const { meta } = await readAudioFile(file, { buffers });
        assert.ok(Math.abs(meta.format.duration - 75) < 0.05, `${ext}: ${meta.format.duration}`);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
