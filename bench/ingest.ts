// Ingest throughput, sequential mode (the baseline) against the asynchronous
// pipeline, on the same generated library, each on a fresh catalog.
//   npm run bench -- ingest [--files 2000]     (BENCH_CPU_PROF=1 writes CPU profiles of the ingest process to /tmp/prof)
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import amqp from 'amqplib';
import { createDb, migrateDb } from '@tonegraph/catalog/db';
import { generateLibrary } from '@tonegraph/fixtures/library';
import { createTestDatabase, freePort, isolation, testServices } from '@tonegraph/testing';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { files: { type: 'string', default: '2000' } },
});
const files = Number(values.files);

async function library(): Promise<string> {
  const dir = path.join(os.tmpdir(), `tonegraph-bench-library-${files}`);
  const marker = path.join(dir, '.complete');
  if (
    await access(marker).then(
      () => true,
      () => false,
    )
  )
    return dir;
  const started = performance.now();
  await generateLibrary(dir, { files });
  await writeFile(marker, String(files));
  console.log(
    `generated ${files} files in ${((performance.now() - started) / 1000).toFixed(1)}s into ${dir}`,
  );
  return dir;
}

async function peakRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

async function run(root: string, sequential: boolean) {
  const services = testServices();
  const database = await createTestDatabase(services.DATABASE_URL);
  const db = createDb(database.url, { poolSize: 2 });
  const iso = isolation();
  const scanQueue = iso.queue('scans');
  const port = await freePort();
  try {
    await migrateDb(db);
    const child = spawn(
      process.execPath,
      [
        ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : []),
        'ingest/src/index.ts',
      ],
      {
        env: {
          ...process.env,
          DATABASE_URL: database.url,
          SCAN_QUEUE: scanQueue,
          QUEUE_PREFIX: `tonegraph.${iso.tag}`,
          INGEST_SEQUENTIAL: String(sequential),
          // The metadata pipeline alone: `npm run bench -- analysis` measures the analysis.
          INGEST_ANALYSIS: 'off',
          INGEST_GRAPH: 'off',
          INGEST_WATCH_MODE: 'off',
          METRICS_PORT: String(port),
          LOG_LEVEL: 'warn',
        },
        stdio: 'inherit',
      },
    );
    try {
      for (
        let i = 0;
        !(await fetch(`http://127.0.0.1:${port}/healthz`).then(
          (r) => r.ok,
          () => false,
        ));
        i++
      ) {
        if (i > 100) throw new Error('ingest did not start');
        await sleep(200);
      }
      const [lib] = await db.sql<
        { id: string }[]
      >`insert into libraries (name, path) values ('bench', ${root}) returning id`;
      const [job] = await db.sql<
        { id: string }[]
      >`insert into import_jobs (library_id, mode) values (${lib!.id}, 'FULL') returning id`;
      const conn = await amqp.connect(services.AMQP_URL);
      const ch = await conn.createConfirmChannel();
      await ch.assertQueue(scanQueue, { durable: true });
      const started = performance.now();
      ch.sendToQueue(
        scanQueue,
        Buffer.from(JSON.stringify({ jobId: job!.id, libraryId: lib!.id, mode: 'FULL' })),
        { persistent: true },
      );
      await ch.waitForConfirms();
      let status = '';
      let row: { status: string; processed: number; failed: number } | undefined;
      while (status !== 'COMPLETED' && status !== 'FAILED') {
        await sleep(100);
        [row] = await db.sql<{ status: string; processed: number; failed: number }[]>`
          select status, processed, failed from import_jobs where id = ${job!.id}`;
        status = row?.status ?? '';
      }
      const seconds = (performance.now() - started) / 1000;
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const peakInFlight = Number(/^tonegraph_ingest_files_in_flight_peak (\d+)/m.exec(metrics)?.[1] ?? 0);
      const rss = await peakRss(child.pid!);
      for (const q of [
        scanQueue,
        `tonegraph.${iso.tag}.files`,
        `tonegraph.${iso.tag}.files.retry`,
        `tonegraph.${iso.tag}.files.dead`,
      ]) {
        await ch.deleteQueue(q).catch(() => undefined);
      }
      await conn.close();
      return {
        mode: sequential ? 'sequential' : 'async',
        status,
        files: row!.processed,
        failed: row!.failed,
        seconds,
        filesPerSecond: row!.processed / seconds,
        peakRssMb: rss,
        peakInFlight,
      };
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  } finally {
    await db.close();
    await database.drop();
  }
}

const root = await library();
const sequential = await run(root, true);
const parallel = await run(root, false);
const rows = [sequential, parallel].map((r) => ({
  mode: r.mode,
  files: r.files,
  failed: r.failed,
  seconds: r.seconds.toFixed(1),
  'files/s': r.filesPerSecond.toFixed(1),
  'peak RSS MB': r.peakRssMb.toFixed(0),
  'peak in flight': r.peakInFlight,
}));
console.table(rows);
const ratio = parallel.filesPerSecond / sequential.filesPerSecond;
console.log(`async / sequential throughput: ${ratio.toFixed(2)}x (target ≥ 5x)`);
await mkdir('bench/results', { recursive: true });
await writeFile(
  'bench/results/ingest.json',
  `${JSON.stringify({ files, at: new Date().toISOString(), cores: os.availableParallelism(), ratio, runs: [sequential, parallel] }, null, 2)}\n`,
);
