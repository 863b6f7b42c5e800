import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { generateFixtures, type FixtureSet } from '@tonegraph/fixtures';
import { PermanentFileError } from '../src/errors.ts';
import { readMetadata } from '../src/metadata/extract.ts';

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
