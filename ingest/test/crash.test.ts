// Crash safety: the ingest process is killed with SIGKILL in the middle of an
// import, several times, and restarted; the catalog must end up matching the
// files on disk exactly, with every file counted once.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import amqp from 'amqplib';
import { createDb, type Database } from '@tonegraph/catalog/db';
import { migrateCatalog } from '@tonegraph/catalog/store';
import { generateLibrary } from '@tonegraph/fixtures/library';
import { createTestDatabase, freePort, isolation, testServices, type TestDatabase } from '@tonegraph/testing';

const FILES = 400;
const iso = isolation();
const scanQueue = iso.queue('scans');
const prefix = `tonegraph.${iso.tag}`;
let root: string;
let files: string[];
let testDb: TestDatabase;
let database: Database;

before(
  async () => {
    root = await mkdtemp(path.join(tmpdir(), 'tonegraph-crash-'));
    ({ files } = await generateLibrary(root, { files: FILES }));
    testDb = await createTestDatabase(testServices().DATABASE_URL);
    database = createDb(testDb.url, { poolSize: 4 });
    await migrateCatalog(database);
  },
  { timeout: 600_000 },
); // 400 generated files: minutes on a loaded machine

after(async () => {
  const conn = await amqp.connect(testServices().AMQP_URL);
  const ch = await conn.createChannel();
  for (const q of [scanQueue, `${prefix}.files`, `${prefix}.files.retry`, `${prefix}.files.dead`])
    await ch.deleteQueue(q).catch(() => undefined);
  await conn.close();
  await database?.close();
  await testDb?.drop();
  await rm(root, { recursive: true, force: true, maxRetries: 5 });
});

async function startIngest(): Promise<ChildProcess> {
  const metricsPort = await freePort();
  return spawn(process.execPath, [path.resolve(import.meta.dirname, '../src/index.ts')], {
    env: {
      ...process.env,
      DATABASE_URL: testDb.url,
      SCAN_QUEUE: scanQueue,
      QUEUE_PREFIX: prefix,
      METRICS_PORT: String(metricsPort),
      INGEST_CONCURRENCY: '16',
      INGEST_ANALYSIS: 'off',
      INGEST_GRAPH: 'off',
      INGEST_WATCH_MODE: 'off',
      LOG_LEVEL: 'silent',
    },
    stdio: 'ignore',
  });
}

const jobState = async (jobId: string) => {
  const [row] = await database.sql<{ status: string; total: number; processed: number; failed: number }[]>`
    select status, total, processed, failed from import_jobs where id = ${jobId}`;
  return row!;
};

test(
  'kill -9 mid-import, three times: nothing lost, nothing duplicated, every file counted once',
  { timeout: 300_000 },
  async (t) => {
    const [lib] = await database.sql<
      { id: string }[]
    >`insert into libraries (name, path) values ('crash', ${root}) returning id`;
    const [job] = await database.sql<
      { id: string }[]
    >`insert into import_jobs (library_id, mode) values (${lib!.id}, 'FULL') returning id`;
    const conn = await amqp.connect(testServices().AMQP_URL);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue(scanQueue, { durable: true });
    ch.sendToQueue(
      scanQueue,
      Buffer.from(JSON.stringify({ jobId: job!.id, libraryId: lib!.id, mode: 'FULL' })),
      { persistent: true },
    );
    await ch.waitForConfirms();
    await conn.close();

    let child = await startIngest();
    const kills: number[] = [];
    try {
      for (let crash = 0; crash < 3; crash++) {
        // Wait until a little more of the import is done, then kill without warning.
        const target = Math.floor(((crash + 1) * FILES) / 5);
        for (let i = 0; i < 600 && (await jobState(job!.id)).processed < target; i++) await sleep(25);
        const { processed } = await jobState(job!.id);
        child.kill('SIGKILL');
        await once(child, 'exit');
        kills.push(processed);
        child = await startIngest();
      }
      let state = await jobState(job!.id);
      for (let i = 0; i < 2400 && state.status !== 'COMPLETED'; i++) {
        await sleep(100);
        state = await jobState(job!.id);
      }
      t.diagnostic(`killed at processed = ${kills.join(', ')} of ${FILES}`);
      assert.ok(
        kills.some((n) => n > 0 && n < FILES),
        'at least one kill landed mid-import',
      );
      assert.deepEqual(state, { status: 'COMPLETED', total: FILES, processed: FILES, failed: 0 });
      const tracks = await database.sql<
        { file_path: string }[]
      >`select file_path from tracks where library_id = ${lib!.id}`;
      assert.deepEqual(tracks.map((r) => r.file_path).sort(), [...files].sort());
      const [dupes] = await database.sql<{ n: number }[]>`
      select count(*)::int as n from (select title, album_artist_id from albums group by 1, 2 having count(*) > 1) d`;
      assert.equal(dupes!.n, 0);
      // generateLibrary puts 10 files in each album folder, each album tagged as such.
      const [albums] = await database.sql<{ n: number }[]>`select count(*)::int as n from albums`;
      assert.equal(albums!.n, FILES / 10);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  },
);
