// trackFile: the file a track streams from, only while its real path lies
// inside its library's real root. Symlinks leading out of the library, paths
// with ".." that leave it, files gone, unknown and malformed ids are all
// null, and a malformed id never reaches PostgreSQL.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createDb } from '../src/db/client.ts';
import { trackFile } from '../src/store/index.ts';
import { startStore, type StoreFixture } from './store-support.ts';

let s: StoreFixture;
let dir: string;
let root: string;
let libraryId: string;

before(async () => {
  s = await startStore();
  // Real: the expected paths are real paths (a tmpdir may itself be a symlink, as on macOS).
  dir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'tonegraph-track-file-')));
  root = path.join(dir, 'library');
  await mkdir(path.join(root, 'Album'), { recursive: true });
  await mkdir(path.join(dir, 'outside'));
  await writeFile(path.join(root, 'Album', 'inside.flac'), 'inside');
  await writeFile(path.join(dir, 'outside', 'secret.flac'), 'outside');
  await symlink(path.join(dir, 'outside', 'secret.flac'), path.join(root, 'Album', 'link-out.flac'));
  await symlink(path.join(root, 'Album', 'inside.flac'), path.join(root, 'Album', 'link-in.flac'));
  const [row] = await s.database.sql<{ id: string }[]>`
    insert into libraries (name, path) values ('Streamed', ${root}) returning id`;
  libraryId = row!.id;
});

after(async () => {
  await s?.close();
  await rm(dir, { recursive: true, force: true });
});

async function addTrack(filePath: string): Promise<string> {
  const [row] = await s.database.sql<{ id: string }[]>`
    insert into tracks (library_id, title, file_path, file_size, format, bitrate, duration, file_mtime)
    values (${libraryId}, ${path.basename(filePath)}, ${filePath}, 6, 'flac', 900000, 12.5,
            '2026-11-01T10:00:00Z')
    returning id`;
  return row!.id;
}

test('a file inside its library root: real path, size, mtime, format, bitrate, duration', async () => {
  const id = await addTrack(path.join(root, 'Album', 'inside.flac'));
  assert.deepEqual(await trackFile(s.database.db, id), {
    trackId: id,
    path: path.join(root, 'Album', 'inside.flac'),
    size: 6,
    mtime: new Date('2026-11-01T10:00:00Z'),
    format: 'flac',
    bitrate: 900000,
    duration: 12.5,
  });
  // Upper-case ids are the same UUID.
  assert.equal((await trackFile(s.database.db, id.toUpperCase()))?.trackId, id);
});

test('a symlink staying inside the library resolves to its target', async () => {
  const id = await addTrack(path.join(root, 'Album', 'link-in.flac'));
  assert.equal((await trackFile(s.database.db, id))?.path, path.join(root, 'Album', 'inside.flac'));
});

test('a symlink pointing outside the library root is null', async () => {
  const id = await addTrack(path.join(root, 'Album', 'link-out.flac'));
  assert.equal(await trackFile(s.database.db, id), null);
});

test('a path that leaves the root through ".." is null', async () => {
  const id = await addTrack(`${root}/Album/../../outside/secret.flac`);
  assert.equal(await trackFile(s.database.db, id), null);
});

test('a file gone from the disk is null', async () => {
  const id = await addTrack(path.join(root, 'Album', 'deleted.flac'));
  assert.equal(await trackFile(s.database.db, id), null);
});

test('unknown and malformed ids are null, and malformed ones send no SQL', async () => {
  assert.equal(await trackFile(s.database.db, '00000000-0000-4000-8000-000000000000'), null);
  const seen: string[] = [];
  const counted = createDb(s.databaseUrl, { poolSize: 1, onQuery: (q) => seen.push(q) });
  try {
    for (const id of [
      '',
      'not-a-uuid',
      '../../etc/passwd',
      "x' or '1'='1",
      '00000000-0000-4000-8000-00000000000g',
    ]) {
      assert.equal(await trackFile(counted.db, id), null, id);
    }
    assert.deepEqual(seen, []);
  } finally {
    await counted.close();
  }
});
