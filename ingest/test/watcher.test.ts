import assert from 'node:assert/strict';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { watch } from 'chokidar';
import { createScanPublisher, type ScanPublisher } from '@tonegraph/queues';
import { createLogger } from '@tonegraph/logger';
import { eventually, testServices } from '@tonegraph/testing';
import { createWatchSupervisor, type WatchSupervisor } from '../src/watcher/index.ts';
import { startHarness, type IngestHarness } from './harness.ts';

let h: IngestHarness;
let publisher: ScanPublisher;
const dirs: string[] = [];
const log = createLogger({ service: 'watcher-test', level: 'silent' });

before(async () => {
  h = await startHarness();
  publisher = createScanPublisher(testServices().AMQP_URL, h.names.scans);
});
after(async () => {
  await publisher?.close();
  await h?.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A short mono 16-bit WAV whose samples depend on `seed`, so every file has its own content hash. */
function wav(seed: number): Buffer {
  const samples = 4000;
  const b = Buffer.alloc(44 + samples * 2);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + samples * 2, 4);
  b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(8000, 24);
  b.writeUInt32LE(16000, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36);
  b.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++)
    b.writeInt16LE(Math.round(8000 * Math.sin((i * (seed + 1)) / 10)), 44 + i * 2);
  return b;
}

async function library(): Promise<{ dir: string; id: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tonegraph-watch-'));
  dirs.push(dir);
  return { dir, id: await h.addLibrary(dir) };
}

const trackPaths = async (libraryId: string) =>
  (
    await h.database.sql<{ file_path: string }[]>`
      select file_path from tracks where library_id = ${libraryId} order by file_path`
  ).map((r) => path.basename(r.file_path));

const libraryRow = async (id: string) =>
  (
    await h.database.sql<{ watch_mode: string; watch_reason: string | null }[]>`
      select watch_mode, watch_reason from libraries where id = ${id}`
  )[0]!;

const jobCount = async (id: string) =>
  (
    await h.database.sql<{ n: number }[]>`select count(*)::int as n from import_jobs where library_id = ${id}`
  )[0]!.n;

const finishedJobs = async (id: string) =>
  (
    await h.database.sql<{ n: number }[]>`
      select count(*)::int as n from import_jobs where library_id = ${id} and status in ('COMPLETED', 'FAILED')`
  )[0]!.n;

function supervise(overrides: Partial<Parameters<typeof createWatchSupervisor>[0]> = {}): WatchSupervisor {
  return createWatchSupervisor({
    db: h.database.db,
    log,
    mode: 'auto',
    pollIntervalMs: 60_000,
    refreshMs: 200,
    debounceMs: 200,
    writeFinishMs: 200,
    scans: publisher,
    ...overrides,
  });
}

test('file-system events become incremental scans: added and deleted files reach the catalog', async () => {
  const lib = await library();
  await writeFile(path.join(lib.dir, 'one.wav'), wav(1));
  const sup = supervise();
  try {
    await sup.refresh();
    assert.equal((await libraryRow(lib.id)).watch_mode, 'EVENTS');
    // The scan on start catches up with what changed while nobody watched.
    await eventually(async () => (await trackPaths(lib.id)).length === 1, {
      what: 'the catch-up scan',
      timeoutMs: 30_000,
    });

    await writeFile(path.join(lib.dir, 'two.wav'), wav(2));
    await writeFile(path.join(lib.dir, 'notes.txt'), 'not audio');
    await eventually(async () => (await trackPaths(lib.id)).join() === 'one.wav,two.wav', {
      what: 'the added file',
      timeoutMs: 30_000,
    });
    await unlink(path.join(lib.dir, 'one.wav'));
    await eventually(async () => (await trackPaths(lib.id)).join() === 'two.wav', {
      what: 'the deleted file',
      timeoutMs: 30_000,
    });
  } finally {
    await sup.close();
  }
  assert.deepEqual(await libraryRow(lib.id), {
    watch_mode: 'OFF',
    watch_reason: 'the ingest watcher stopped',
  });
});

test('an exhausted watch limit falls back to polling, says why, and still picks up changes', async () => {
  const lib = await library();
  const exhausted: typeof watch = (paths, options) => {
    const w = watch(paths, options);
    w.once('ready', () => {
      const error = Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), {
        code: 'ENOSPC',
      });
      w.emit('error', error);
    });
    return w;
  };
  const sup = supervise({ createWatcher: exhausted, pollIntervalMs: 500, scanOnStart: false });
  try {
    await sup.refresh();
    const row = await eventually(
      async () => {
        const r = await libraryRow(lib.id);
        return r.watch_mode === 'POLLING' ? r : undefined;
      },
      { what: 'the fallback', timeoutMs: 30_000 },
    );
    assert.match(row.watch_reason ?? '', /watch limit is exhausted.*max_user_watches/);
    // Events may have been missed before the failure: one scan right away…
    await eventually(async () => (await finishedJobs(lib.id)) >= 1, {
      what: 'the catch-up scan',
      timeoutMs: 30_000,
    });
    // …then periodic ones.
    await writeFile(path.join(lib.dir, 'late.wav'), wav(3));
    await eventually(async () => (await trackPaths(lib.id)).join() === 'late.wav', {
      what: 'the polled file',
      timeoutMs: 30_000,
    });
  } finally {
    await sup.close();
  }
});

test('changes while a scan is running re-arm the watcher: one scan after the running one, not a pile-up', async () => {
  const lib = await library();
  const sup = supervise({ scanOnStart: false });
  try {
    await sup.refresh();
    await h.database
      .sql`insert into import_jobs (library_id, mode, status) values (${lib.id}, 'FULL', 'RUNNING')`;
    await writeFile(path.join(lib.dir, 'a.wav'), wav(4));
    await writeFile(path.join(lib.dir, 'b.wav'), wav(5));
    await sleep(1500); // past the debounce and several refreshes
    assert.equal(await jobCount(lib.id), 1, 'no scan is queued while one runs');
    await h.database.sql`update import_jobs set status = 'COMPLETED' where library_id = ${lib.id}`;
    await eventually(async () => (await trackPaths(lib.id)).join() === 'a.wav,b.wav', {
      what: 'both files',
      timeoutMs: 30_000,
    });
    assert.equal(await jobCount(lib.id), 2, 'exactly one scan covered both changes');
  } finally {
    await sup.close();
  }
});

test('configured polling and unreachable roots are reported in the library status', async () => {
  const polled = await library();
  const gone = await library();
  await rm(gone.dir, { recursive: true });
  const sup = supervise({ mode: 'polling', scanOnStart: false });
  try {
    await sup.refresh();
    assert.deepEqual(await libraryRow(polled.id), {
      watch_mode: 'POLLING',
      watch_reason: 'polling configured (INGEST_WATCH_MODE=polling)',
    });
    const row = await libraryRow(gone.id);
    assert.equal(row.watch_mode, 'POLLING');
    assert.match(row.watch_reason ?? '', /unreachable \(ENOENT\)/);
  } finally {
    await sup.close();
  }
});
