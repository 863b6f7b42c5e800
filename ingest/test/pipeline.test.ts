import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { generateFixtures, type FixtureSet } from '@tonegraph/fixtures';
import { testServices } from '@tonegraph/testing';
import { progressChannel } from '../src/progress.ts';
import { canonicalCatalog, startHarness, type IngestHarness } from './harness.ts';

let set: FixtureSet;
let h: IngestHarness;
let libraryId: string;

before(async () => {
  set = await generateFixtures(await mkdtemp(path.join(tmpdir(), 'tonegraph-ingest-')), {
    durationSeconds: 2,
  });
  h = await startHarness();
  libraryId = await h.addLibrary(set.dir);
});
after(async () => {
  await h?.close();
  await rm(set.dir, { recursive: true, force: true });
});

/** What the user is told for the bad files whose reason is not just "cannot be parsed". */
const REASONS: Partial<Record<string, RegExp>> = {
  'wrong-extension': /contains MP3 audio \(audio\/mpeg\), not FLAC as its extension says; rename it to \.mp3/,
  'oversized-tag': /ID3v2 tag size 262144000 exceeds remaining file size/,
  'zero-byte': /not an audio file/,
  truncated: /truncated/,
};

const broken = () => set.others.filter((o) => o.file.startsWith('Broken/') && o.kind !== 'invalid-name');
const badNames = () => set.others.filter((o) => o.kind === 'invalid-name');

test('a first scan imports every track once and records every bad file as an ImportError', async () => {
  const subscriber = new Redis(testServices().REDIS_URL);
  const events: { status: string; processed: number }[] = [];
  await subscriber.psubscribe(progressChannel(h.redisPrefix, '*'));
  subscriber.on('pmessage', (_p: string, _c: string, payload: string) =>
    events.push(JSON.parse(payload) as { status: string; processed: number }),
  );
  try {
    const job = await h.scan(libraryId, 'FULL');
    const expectedTotal = set.tracks.length + broken().length;
    assert.deepEqual(
      {
        status: job.status,
        total: job.total,
        processed: job.processed,
        failed: job.failed,
        skipped: job.skipped,
      },
      {
        status: 'COMPLETED',
        total: expectedTotal,
        processed: expectedTotal,
        failed: broken().length,
        skipped: 0,
      },
    );
    const { sql } = h.database;
    const tracks = await sql<
      { file_path: string }[]
    >`select file_path from tracks where library_id = ${libraryId}`;
    assert.deepEqual(
      tracks.map((t) => path.relative(set.dir, t.file_path)).sort(),
      set.tracks.map((t) => t.file).sort(),
    );
    const errors = await sql<{ path: string; stage: string; reason: string }[]>`
      select path, stage, reason from import_errors where job_id = ${job.id}`;
    assert.deepEqual(
      errors.map((e) => path.relative(set.dir, e.path)).sort(),
      [...broken(), ...badNames()].map((o) => o.file).sort(),
    );
    for (const e of errors) {
      if (e.path.includes('\uFFFD')) {
        // Found by the scan, never queued: its name cannot be opened as decoded.
        assert.equal(e.stage, 'scan');
        assert.match(e.reason, /not valid UTF-8/);
      } else {
        assert.equal(e.stage, 'metadata');
        assert.ok(e.reason.includes(path.basename(e.path)), e.reason);
        const kind = set.others.find((o) => o.file === path.relative(set.dir, e.path))?.kind;
        if (kind && kind in REASONS) assert.match(e.reason, REASONS[kind]!);
      }
    }
    // Tracks of one album processed at the same moment made one album and one artist.
    const artists = await sql<{ name: string }[]>`select name from artists order by name`;
    assert.deepEqual(
      artists.map((a) => a.name),
      ['Café Société', 'Tonegraph Ensemble'],
    );
    const albums = await sql<{ title: string; n: number }[]>`
      select al.title, count(t.id)::int as n from albums al join tracks t on t.album_id = al.id group by al.title order by al.title`;
    assert.deepEqual(
      [...albums],
      [
        { title: 'Album One', n: 4 },
        { title: 'Album Two', n: 3 },
      ],
    );
    const [featured] = await sql<
      { n: number }[]
    >`select count(*)::int as n from track_artists where role = 'FEATURED'`;
    assert.equal(featured!.n, set.tracks.filter((t) => t.tags.artist.includes('feat.')).length);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(events.length > 0, 'progress events were published');
    assert.equal(events.at(-1)?.status, 'COMPLETED');
  } finally {
    subscriber.disconnect();
  }
});

test('an incremental rescan skips unchanged files and duplicates nothing; a full one rewrites in place', async () => {
  const before = await canonicalCatalog(h.database);
  const incremental = await h.scan(libraryId, 'INCREMENTAL');
  assert.equal(incremental.status, 'COMPLETED');
  assert.equal(incremental.skipped, set.tracks.length);
  assert.equal(incremental.failed, broken().length);
  const full = await h.scan(libraryId, 'FULL');
  assert.equal(full.skipped, 0);
  assert.deepEqual(await canonicalCatalog(h.database), before);
});

test('a moved file keeps its track id; a deleted file loses its track', async () => {
  const { sql } = h.database;
  const moved = set.tracks[1]!;
  const from = path.join(set.dir, moved.file);
  const to = path.join(set.dir, 'Moved', path.basename(moved.file));
  const [original] = await sql<{ id: string }[]>`select id from tracks where file_path = ${from}`;
  await mkdir(path.dirname(to), { recursive: true });
  await rename(from, to);
  const deleted = path.join(set.dir, set.tracks[2]!.file);
  await rm(deleted);
  const job = await h.scan(libraryId);
  assert.equal(job.status, 'COMPLETED');
  const [after] = await sql<{ id: string }[]>`select id from tracks where file_path = ${to}`;
  assert.equal(after?.id, original?.id, 'same track id after the move');
  assert.equal((await sql`select 1 from tracks where file_path = ${deleted}`).length, 0);
  assert.equal((await sql`select 1 from tracks where file_path = ${from}`).length, 0);
});

test('a library whose root disappears goes offline and keeps its tracks', async () => {
  const { sql } = h.database;
  const [count] = await sql<
    { n: number }[]
  >`select count(*)::int as n from tracks where library_id = ${libraryId}`;
  const hidden = `${set.dir}-unmounted`;
  await rename(set.dir, hidden);
  try {
    const job = await h.scan(libraryId);
    assert.equal(job.status, 'FAILED');
    const [lib] = await sql<{ status: string }[]>`select status from libraries where id = ${libraryId}`;
    assert.equal(lib?.status, 'OFFLINE');
    const [still] = await sql<
      { n: number }[]
    >`select count(*)::int as n from tracks where library_id = ${libraryId}`;
    assert.equal(still!.n, count!.n);
    const [error] = await sql<
      { stage: string; reason: string }[]
    >`select stage, reason from import_errors where job_id = ${job.id}`;
    assert.equal(error?.stage, 'scan');
    assert.match(error?.reason ?? '', /not reachable/);
  } finally {
    await rename(hidden, set.dir);
  }
  const back = await h.scan(libraryId);
  assert.equal(back.status, 'COMPLETED');
  const [lib] = await sql<{ status: string }[]>`select status from libraries where id = ${libraryId}`;
  assert.equal(lib?.status, 'ONLINE');
});
