import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { generateFixtures, type FixtureSet } from '@tonegraph/fixtures';
import { walkLibrary, type SkippedEntry } from '../src/scanner/walk.ts';

let set: FixtureSet;
before(async () => {
  set = await generateFixtures(await mkdtemp(path.join(tmpdir(), 'tonegraph-walk-')), { durationSeconds: 1 });
  await mkdir(path.join(set.dir, 'Links'));
  await symlink(set.dir, path.join(set.dir, 'Links', 'loop'));
  await symlink(path.join(set.dir, 'missing.flac'), path.join(set.dir, 'Links', 'dangling.flac'));
});
after(() => rm(set.dir, { recursive: true, force: true }));

test('finds every audio file once, and says why each other entry was skipped', async () => {
  const skipped: SkippedEntry[] = [];
  const found: string[] = [];
  for await (const file of walkLibrary(set.dir, { onSkip: (s) => skipped.push(s) })) {
    assert.ok(file.size >= 0 && file.mtimeMs > 0);
    found.push(path.relative(set.dir, file.path));
  }
  const audioOthers = set.others
    .filter((o) => o.kind !== 'hidden' && o.kind !== 'not-audio' && o.kind !== 'invalid-name')
    .map((o) => o.file);
  assert.deepEqual(found.sort(), [...set.tracks.map((t) => t.file), ...audioOthers].sort());
  const reasons = Object.fromEntries(skipped.map((s) => [path.relative(set.dir, s.path), s.reason]));
  assert.equal(reasons['Album One/.hidden.flac'], 'hidden');
  assert.equal(reasons['Album One/notes.txt'], 'not-audio');
  assert.equal(reasons['cover.png'], 'not-audio');
  assert.equal(reasons['Links/loop'], 'symlink-loop');
  assert.equal(reasons['Links/dangling.flac'], 'broken-link');
  assert.equal(reasons['Broken/bad-\uFFFD\uFFFD.mp3'], 'invalid-name');
});

test('a root that does not exist is reported, not thrown', async () => {
  const skipped: SkippedEntry[] = [];
  const found = [];
  for await (const file of walkLibrary(path.join(set.dir, 'gone'), { onSkip: (s) => skipped.push(s) }))
    found.push(file);
  assert.equal(found.length, 0);
  assert.equal(skipped[0]?.reason, 'unreadable');
});
