// A database or the broker restarting in the middle of an import: the import
// waits for it, resumes, and ends with the catalog matching the disk exactly.
// The servers restarted are private ones (tools/stack's private stack), so the
// shared stack keeps serving every other test.
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
import { startPrivateStack, type PrivateStack, type ServiceName } from '@tonegraph/stack/private';
import { eventually, freePort, isolation } from '@tonegraph/testing';

const FILES = 200;
const iso = isolation();
const scanQueue = iso.queue('scans');
let stack: PrivateStack;
let database: Database;
let root: string;
let ingest: ChildProcess | undefined;
let metricsPort: number;

before(
  async () => {
    root = await mkdtemp(path.join(tmpdir(), 'tonegraph-restart-'));
    stack = await startPrivateStack(['postgres', 'rabbitmq']);
    database = createDb(stack.env.DATABASE_URL!, { poolSize: 4 });
    await migrateCatalog(database);
    ingest = spawn(process.execPath, [path.resolve(import.meta.dirname, '../src/index.ts')], {
      env: {
        ...process.env,
        DATABASE_URL: stack.env.DATABASE_URL,
        AMQP_URL: stack.env.AMQP_URL,
        SCAN_QUEUE: scanQueue,
        QUEUE_PREFIX: `tonegraph.${iso.tag}`,
        METRICS_PORT: String((metricsPort = await freePort())),
        INGEST_CONCURRENCY: '16',
        INGEST_ANALYSIS: 'off',
        INGEST_GRAPH: 'off',
        INGEST_MAX_RETRIES: '2',
        INGEST_RETRY_DELAY_MS: '300',
        INGEST_WATCH_MODE: 'off',
        LOG_LEVEL: 'silent',
      },
      stdio: 'ignore',
    });
  },
  { timeout: 300_000 },
);

after(async () => {
  if (ingest && ingest.exitCode === null) {
    ingest.kill('SIGTERM');
    await once(ingest, 'exit');
  }
  await database?.close();
  await stack?.destroy();
  await rm(root, { recursive: true, force: true });
});

const jobState = async (jobId: string) => {
  const [row] = await database.sql<{ status: string; total: number; processed: number; failed: number }[]>`
    select status, total, processed, failed from import_jobs where id = ${jobId}`;
  return row!;
};

async function importWithRestart(name: ServiceName) {
  const dir = path.join(root, name);
  const { files } = await generateLibrary(dir, { files: FILES });
  const [lib] = await database.sql<{ id: string }[]>`
    insert into libraries (name, path) values (${name}, ${dir}) returning id`;
  const [job] = await database.sql<{ id: string }[]>`
    insert into import_jobs (library_id, mode) values (${lib!.id}, 'FULL') returning id`;
  const conn = await amqp.connect(stack.env.AMQP_URL!);
  const ch = await conn.createConfirmChannel();
  await ch.assertQueue(scanQueue, { durable: true });
  ch.sendToQueue(
    scanQueue,
    Buffer.from(JSON.stringify({ jobId: job!.id, libraryId: lib!.id, mode: 'FULL' })),
    {
      persistent: true,
    },
  );
  await ch.waitForConfirms();
  await conn.close();

  const at = await eventually(
    async () => {
      const s = await jobState(job!.id);
      return s.processed >= FILES / 4 ? s.processed : undefined;
    },
    { timeoutMs: 120_000, retryErrors: true },
  );
  assert.ok(at !== undefined && at < FILES, `the restart lands mid-import (processed ${at})`);
  await stack.stop(name);
  await sleep(1000);
  await stack.start(name);

  const state = await eventually(
    async () => {
      const s = await jobState(job!.id);
      return s.status === 'COMPLETED' ? s : undefined;
    },
    { timeoutMs: 180_000, retryErrors: true },
  );
  assert.deepEqual(state, { status: 'COMPLETED', total: FILES, processed: FILES, failed: 0 });
  const tracks = await database.sql<{ file_path: string }[]>`
    select file_path from tracks where library_id = ${lib!.id}`;
  assert.deepEqual(tracks.map((r) => r.file_path).sort(), [...files].sort(), 'every file once');
  const [errors] = await database.sql<{ n: number }[]>`
    select count(*)::int as n from import_errors where job_id = ${job!.id}`;
  assert.equal(errors!.n, 0, 'no file was given up on');
  return at;
}

test(
  'RabbitMQ restarted mid-import: durable queues keep the work, the consumer reconnects, nothing lost',
  { timeout: 300_000 },
  async (t) => {
    const at = await importWithRestart('rabbitmq');
    t.diagnostic(`RabbitMQ restarted at ${at} of ${FILES} files`);
  },
);

test(
  'PostgreSQL restarted mid-import: files wait out the outage without using their retries, nothing lost',
  { timeout: 300_000 },
  async (t) => {
    const at = await importWithRestart('postgres');
    t.diagnostic(`PostgreSQL restarted at ${at} of ${FILES} files`);
  },
);

test('/metrics shows the queue depths and what each stage handled', async () => {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
  const prefix = `tonegraph.${iso.tag}`;
  const depth = (queue: string) =>
    value(
      new RegExp(`^tonegraph_ingest_queue_depth\\{queue="${queue.replaceAll('.', '\\.')}"\\} (\\d+)$`, 'm'),
    );
  // Every file was handled: nothing waits or was dead-lettered.
  for (const queue of [`${prefix}.files`, `${prefix}.files.retry`, `${prefix}.files.dead`])
    assert.equal(depth(queue), 0, queue);
  // The other stages' queues are reported too (those stages are off here).
  for (const queue of [`${prefix}.analysis`, `${prefix}.graph`])
    assert.ok(Number.isInteger(depth(queue)), queue);
  assert.ok(value(/^tonegraph_ingest_files_total\{result="done"\} (\d+)$/m) >= 2 * FILES);
  assert.ok(value(/^tonegraph_ingest_files_in_flight_peak (\d+)$/m) > 1);
  assert.match(text, /^tonegraph_ingest_file_duration_seconds_count \d+$/m);
});
