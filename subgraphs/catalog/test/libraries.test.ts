import assert from 'node:assert/strict';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import amqp from 'amqplib';
import { testServices } from '@tonegraph/testing';
import { startCatalog, type Harness } from './harness.ts';

let h: Harness;
let base: string;
let root: string;

before(async () => {
  base = await realpath(await mkdtemp(path.join(tmpdir(), 'tonegraph-libs-')));
  root = path.join(base, 'music');
  await mkdir(path.join(root, 'jazz', 'bop'), { recursive: true });
  await mkdir(path.join(root, 'house'), { recursive: true });
  await mkdir(path.join(base, 'outside'), { recursive: true });
  await writeFile(path.join(root, 'song.flac'), 'not really audio');
  await symlink(path.join(base, 'outside'), path.join(root, 'escape'));
  await symlink(path.join(root, 'house'), path.join(root, 'house-link'));
  h = await startCatalog({ allowedRoots: [root] });
});
after(async () => {
  await h?.close();
  await rm(base, { recursive: true, force: true });
});

const ADD =
  'mutation ($path: String!, $name: String!) { addLibrary(path: $path, name: $name) { id path status } }';
const add = (p: string, name = 'Lib') =>
  h.gql<{ addLibrary: { id: string; path: string; status: string } }>(ADD, { path: p, name });
const codeOf = async (p: string) => (await add(p)).errors?.[0]?.extensions?.code;

test('addLibrary rejects every bad path with its own code', async () => {
  assert.equal(await codeOf('music/jazz'), 'LIBRARY_PATH_INVALID');
  assert.equal(await codeOf(`${root}/jazz/../../outside`), 'LIBRARY_PATH_TRAVERSAL');
  assert.equal(await codeOf(path.join(root, 'missing')), 'LIBRARY_PATH_NOT_FOUND');
  assert.equal(await codeOf(path.join(root, 'song.flac')), 'LIBRARY_PATH_NOT_DIRECTORY');
  assert.equal(await codeOf(path.join(base, 'outside')), 'LIBRARY_PATH_OUTSIDE_ROOTS');
  assert.equal(
    await codeOf(path.join(root, 'escape')),
    'LIBRARY_PATH_OUTSIDE_ROOTS',
    'a symlink escaping the root',
  );
  const blank = await h.gql(ADD, { path: path.join(root, 'jazz'), name: '  ' });
  assert.equal(blank.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
});

test(
  'addLibrary rejects an unreadable directory',
  { skip: process.getuid?.() === 0 && 'root reads every directory' },
  async () => {
    const { chmod } = await import('node:fs/promises');
    const locked = path.join(root, 'locked');
    await mkdir(locked);
    await chmod(locked, 0o000);
    try {
      assert.equal(await codeOf(locked), 'LIBRARY_PATH_UNREADABLE');
    } finally {
      await chmod(locked, 0o755);
    }
  },
);

test('addLibrary stores the real path and refuses duplicates and overlaps', async () => {
  const jazz = await add(path.join(root, 'jazz'), 'Jazz');
  assert.equal(jazz.errors, undefined, JSON.stringify(jazz.errors));
  assert.equal(jazz.data!.addLibrary.path, path.join(root, 'jazz'));
  assert.equal(jazz.data!.addLibrary.status, 'ONLINE');
  assert.equal(await codeOf(path.join(root, 'jazz')), 'LIBRARY_ALREADY_EXISTS');
  assert.equal(await codeOf(path.join(root, 'jazz', 'bop')), 'LIBRARY_OVERLAPS');
  assert.equal(await codeOf(root), 'LIBRARY_OVERLAPS');
  const viaLink = await add(path.join(root, 'house-link'), 'House');
  assert.equal(viaLink.data?.addLibrary.path, path.join(root, 'house'), 'a link inside the root resolves');
  assert.equal(await codeOf(path.join(root, 'house')), 'LIBRARY_ALREADY_EXISTS');
});

test('removeLibrary deletes the library with its tracks', async () => {
  await mkdir(path.join(root, 'gone'));
  const { data } = await add(path.join(root, 'gone'), 'Gone');
  const id = data!.addLibrary.id;
  await h.database
    .sql`insert into tracks (library_id, title, file_path, file_size, format) values (${id}, 'x', '/gone/x.mp3', 1, 'mp3')`;
  const res = await h.gql<{ removeLibrary: string }>('mutation ($id: ID!) { removeLibrary(id: $id) }', {
    id,
  });
  assert.equal(res.data?.removeLibrary, id);
  const [row] = await h.database.sql<
    { n: number }[]
  >`select count(*)::int as n from tracks where library_id = ${id}`;
  assert.equal(row!.n, 0);
  const again = await h.gql('mutation ($id: ID!) { removeLibrary(id: $id) }', { id });
  assert.equal(again.errors?.[0]?.extensions?.code, 'NOT_FOUND');
});

test('scanLibrary creates a job and queues a persistent scan request', async () => {
  await mkdir(path.join(root, 'scan'));
  const { data } = await add(path.join(root, 'scan'), 'Scan');
  const libraryId = data!.addLibrary.id;
  const res = await h.gql<{ scanLibrary: { id: string; status: string; mode: string } }>(
    'mutation ($id: ID!) { scanLibrary(id: $id, mode: FULL) { id status mode } }',
    { id: libraryId },
  );
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  assert.equal(res.data!.scanLibrary.status, 'QUEUED');
  const conn = await amqp.connect(testServices().AMQP_URL);
  try {
    const ch = await conn.createChannel();
    const msg = await ch.get(h.scanQueue);
    assert.ok(msg, 'a message is on the scan queue');
    assert.equal(msg.properties.deliveryMode, 2);
    const body = JSON.parse(msg.content.toString()) as Record<string, unknown>;
    assert.deepEqual(
      { ...body, requestedAt: typeof body.requestedAt },
      {
        jobId: res.data!.scanLibrary.id,
        libraryId,
        mode: 'FULL',
        requestedAt: 'string',
      },
    );
    ch.ack(msg);
    await ch.deleteQueue(h.scanQueue);
  } finally {
    await conn.close();
  }
});

test('scanLibrary fails with QUEUE_UNAVAILABLE and marks the job FAILED when the broker is down', async () => {
  const down = await startCatalog({ allowedRoots: [root], amqpUrl: 'amqp://guest:guest@127.0.0.1:1' });
  try {
    await mkdir(path.join(root, 'offline'), { recursive: true });
    const added = await down.gql<{ addLibrary: { id: string } }>(ADD, {
      path: path.join(root, 'offline'),
      name: 'Offline',
    });
    const res = await down.gql('mutation ($id: ID!) { scanLibrary(id: $id) { id } }', {
      id: added.data!.addLibrary.id,
    });
    assert.equal(res.errors?.[0]?.extensions?.code, 'QUEUE_UNAVAILABLE');
    const jobId = res.errors?.[0]?.extensions?.jobId as string;
    const [job] = await down.database.sql<
      { status: string }[]
    >`select status from import_jobs where id = ${jobId}`;
    assert.equal(job?.status, 'FAILED');
    const missing = await down.gql(
      'mutation { scanLibrary(id: "00000000-0000-0000-0000-000000000000") { id } }',
    );
    assert.equal(missing.errors?.[0]?.extensions?.code, 'NOT_FOUND');
  } finally {
    await down.close();
  }
});
