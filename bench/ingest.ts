// Ingest throughput, sequential mode (the baseline) against the asynchronous
// pipeline, on the same generated library, each on a fresh catalog.
//   npm run bench -- ingest [--files 2000]     (BENCH_CPU_PROF=1 writes CPU profiles of the ingest process to /tmp/prof)
// Besides files/s it reports CPU time per file, which the load of a shared
// machine does not change much: of the ingest process, of the PostgreSQL
// backends serving it and of the broker (shared with whatever else uses it).
import { access, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import amqp from 'amqplib';
import { createDb } from '@tonegraph/catalog/db';
import { migrateCatalog } from '@tonegraph/catalog/store';
import { generateLibrary } from '@tonegraph/fixtures/library';
import { createTestDatabase, freePort, isolation, testServices } from '@tonegraph/testing';
import { httpOk, startProc, stopProc } from './support/procs.ts';

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

/** The process's peak RSS since it started (VmHWM) and its RSS now, in MB. */
async function rssMb(pid: number): Promise<{ peak: number; now: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { peak: kb('VmHWM') / 1024, now: kb('VmRSS') / 1024 };
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** User + system CPU time of a process in ms, or 0 when it is gone or not readable. */
async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) * 1000) / TICKS_PER_SECOND;
}

/** Pids of the local stack's RabbitMQ node (beam.smp under `.stack/rabbitmq`); none for a remote broker. */
async function brokerPids(): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes('beam.smp') && cmdline.includes(path.join(process.cwd(), '.stack', 'rabbitmq')))
      pids.push(Number(entry));
  }
  return pids;
}

const sumCpuMs = async (pids: readonly number[]) =>
  (await Promise.all(pids.map(cpuMs))).reduce((a, b) => a + b, 0);

async function run(root: string, sequential: boolean) {
  const services = testServices();
  const database = await createTestDatabase(services.DATABASE_URL);
  const db = createDb(database.url, { poolSize: 2 });
  const iso = isolation();
  const scanQueue = iso.queue('scans');
  const port = await freePort();
  try {
    await migrateCatalog(db);
    const ingest = await startProc(
      'ingest',
      'ingest/src/index.ts',
      {
        DATABASE_URL: database.url,
        SCAN_QUEUE: scanQueue,
        QUEUE_PREFIX: `tonegraph.${iso.tag}`,
        INGEST_SEQUENTIAL: String(sequential),
        // The metadata pipeline alone: `npm run bench -- analysis` measures the analysis.
        INGEST_ANALYSIS: 'off',
        INGEST_GRAPH: 'off',
        INGEST_WATCH_MODE: 'off',
        METRICS_PORT: String(port),
      },
      httpOk(`http://127.0.0.1:${port}/healthz`),
      process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : [],
    );
    const { child } = ingest;
    try {
      const [lib] = await db.sql<
        { id: string }[]
      >`insert into libraries (name, path) values ('bench', ${root}) returning id`;
      const [job] = await db.sql<
        { id: string }[]
      >`insert into import_jobs (library_id, mode) values (${lib!.id}, 'FULL') returning id`;
      const conn = await amqp.connect(services.AMQP_URL);
      const ch = await conn.createConfirmChannel();
      await ch.assertQueue(scanQueue, { durable: true });
      const broker = await brokerPids();
      const cpuBefore = { ingest: await cpuMs(child.pid!), broker: await sumCpuMs(broker) };
      const loadBefore = os.loadavg()[0]!;
      // VmHWM includes start-up (loading and compiling the modules), which
      // peaks higher than a metadata import; RSS sampled during the run shows
      // what the import itself holds.
      let runRss = (await rssMb(child.pid!)).now;
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
        runRss = Math.max(runRss, (await rssMb(child.pid!)).now);
        [row] = await db.sql<{ status: string; processed: number; failed: number }[]>`
          select status, processed, failed from import_jobs where id = ${job!.id}`;
        status = row?.status ?? '';
      }
      const seconds = (performance.now() - started) / 1000;
      // The backends of this run's database served the ingest process alone (and this loop's
      // polling); a connection the pool closed before the end is not counted.
      const backends = await db.sql<{ pid: number }[]>`
        select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`;
      const cpu = {
        ingest: (await cpuMs(child.pid!)) - cpuBefore.ingest,
        postgres: await sumCpuMs(backends.map((b) => b.pid)),
        broker: (await sumCpuMs(broker)) - cpuBefore.broker,
      };
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const peakInFlight = Number(/^tonegraph_ingest_files_in_flight_peak (\d+)/m.exec(metrics)?.[1] ?? 0);
      const rss = (await rssMb(child.pid!)).peak;
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
        /** Highest RSS sampled (every 100 ms) between the scan request and the job's end. */
        peakRssDuringRunMb: runRss,
        peakInFlight,
        /** The machine's 1-minute load average when the run started (other work slows the sequential mode most). */
        loadAverage: loadBefore,
        /** CPU ms per imported file: ingest process, PostgreSQL backends, broker (shared, approximate). */
        cpuMsPerFile: {
          ingest: cpu.ingest / row!.processed,
          postgres: cpu.postgres / row!.processed,
          broker: cpu.broker / row!.processed,
        },
      };
    } finally {
      await stopProc(ingest);
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
  'RSS in run MB': r.peakRssDuringRunMb.toFixed(0),
  'peak in flight': r.peakInFlight,
  'CPU ms/file ingest': r.cpuMsPerFile.ingest.toFixed(2),
  'CPU ms/file postgres': r.cpuMsPerFile.postgres.toFixed(2),
  'CPU ms/file broker': r.cpuMsPerFile.broker.toFixed(2),
  'load avg': r.loadAverage.toFixed(1),
}));
console.table(rows);
const ratio = parallel.filesPerSecond / sequential.filesPerSecond;
console.log(`async / sequential throughput: ${ratio.toFixed(2)}x (target ≥ 5x)`);
const cpuPerFile = (r: typeof parallel) =>
  r.cpuMsPerFile.ingest + r.cpuMsPerFile.postgres + r.cpuMsPerFile.broker;
console.log(
  `async CPU per file (ingest + postgres + broker): ${cpuPerFile(parallel).toFixed(2)} ms; ` +
    `${os.availableParallelism()} cores bound the async mode at ~${((os.availableParallelism() * 1000) / cpuPerFile(parallel)).toFixed(0)} files/s; ` +
    `load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
);
await mkdir('bench/results', { recursive: true });
// The default size keeps its historical name; other sizes get their own file.
await writeFile(
  `bench/results/ingest${files === 2000 ? '' : `-${files}`}.json`,
  `${JSON.stringify({ files, at: new Date().toISOString(), cores: os.availableParallelism(), loadAverage: os.loadavg(), ratio, runs: [sequential, parallel] }, null, 2)}\n`,
);
