// Import time with external enrichment on (fake MusicBrainz and Cover Art
// Archive with 200 ms latency) against off, on the same generated library,
// each on a fresh catalog. Enrichment is its own queue stage: the import job
// completes without waiting for it, so the import time should not move while
// enrichment proceeds at the services' rate.
//   npm run bench -- enrichment [--files 2000] [--latency 200] [--fast-rate 50] [--wait 600]
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import amqp from 'amqplib';
import { createDb } from '@tonegraph/catalog/db';
import { migrateCatalog } from '@tonegraph/catalog/store';
import { fakeJpeg, fakeMbid, fakeRecording, startFakes, type Fakes } from '@tonegraph/enrichment/fakes';
import { generateLibrary } from '@tonegraph/fixtures/library';
import { createTestDatabase, freePort, isolation, testServices } from '@tonegraph/testing';
import { httpOk, startProc, stopProc } from './support/procs.ts';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    files: { type: 'string', default: '2000' },
    latency: { type: 'string', default: '200' },
    'fast-rate': { type: 'string', default: '50' },
    wait: { type: 'string', default: '600' },
  },
});
const files = Number(values.files);
const latencyMs = Number(values.latency);
const fastRate = Number(values['fast-rate']);
const waitSeconds = Number(values.wait);
const PER_ALBUM = 10;

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
  await generateLibrary(dir, { files, perAlbum: PER_ALBUM });
  await writeFile(marker, String(files));
  console.log(
    `generated ${files} files in ${((performance.now() - started) / 1000).toFixed(1)}s into ${dir}`,
  );
  return dir;
}

/** The fakes seeded with the tags `generateLibrary` writes: every file has its recording, every album its cover. */
async function fakes(): Promise<Fakes> {
  const recordings = [];
  const covers: Record<string, { data: Uint8Array }> = {};
  for (let i = 0; i < files; i++) {
    const album = Math.floor(i / PER_ALBUM);
    const artist = `Artist ${String(album % 97).padStart(2, '0')}`;
    const release = fakeMbid(`release:${artist}:Album ${album}`);
    covers[release] ??= { data: fakeJpeg() };
    recordings.push(
      fakeRecording({
        title: `Track ${i}`,
        artist,
        durationMs: 4000,
        releases: [{ id: release, title: `Album ${album}`, trackCount: PER_ALBUM }],
      }),
    );
  }
  return startFakes({ recordings, covers }, { musicbrainz: { latencyMs }, coverArt: { latencyMs } });
}

interface Counts {
  matched: number;
  candidates: number;
  not_found: number;
  deferred: number;
  pending: number;
}

interface Mode {
  readonly name: string;
  /** MusicBrainz requests per second; undefined: enrichment off. */
  readonly rate?: number;
  /** Wait for every track's enrichment to settle after the import. */
  readonly waitForEnrichment: boolean;
}

async function run(root: string, mode: Mode, fake: Fakes) {
  const services = testServices();
  const database = await createTestDatabase(services.DATABASE_URL);
  const db = createDb(database.url, { poolSize: 2 });
  const iso = isolation();
  const scanQueue = iso.queue('scans');
  const prefix = `tonegraph.${iso.tag}`;
  const port = await freePort();
  const coverDir = await mkdtemp(path.join(os.tmpdir(), 'tonegraph-bench-covers-'));
  const counts = async (): Promise<Counts> => {
    const rows = await db.sql<{ status: string | null; n: number }[]>`
      select enrichment_status as status, count(*)::int as n from tracks group by 1`;
    const c: Counts = { matched: 0, candidates: 0, not_found: 0, deferred: 0, pending: 0 };
    for (const r of rows) if (r.status && r.status in c) c[r.status as keyof Counts] = r.n;
    return c;
  };
  try {
    await migrateCatalog(db);
    const ingest = await startProc(
      'ingest',
      'ingest/src/index.ts',
      {
        DATABASE_URL: database.url,
        SCAN_QUEUE: scanQueue,
        QUEUE_PREFIX: prefix,
        // Own cache and rate-limit keys: nothing carries over from another run.
        REDIS_PREFIX: iso.redisPrefix,
        INGEST_ANALYSIS: 'off',
        INGEST_GRAPH: 'off',
        INGEST_WATCH_MODE: 'off',
        ...(mode.rate === undefined
          ? { INGEST_ENRICHMENT: 'off' }
          : {
              INGEST_ENRICHMENT: 'auto',
              MUSICBRAINZ_CONTACT: 'bench@example.org',
              MUSICBRAINZ_URL: fake.musicbrainz.url,
              MUSICBRAINZ_RATE_PER_SECOND: String(mode.rate),
              COVERART_URL: fake.coverArt.url,
              COVER_DIR: coverDir,
            }),
        METRICS_PORT: String(port),
      },
      httpOk(`http://127.0.0.1:${port}/healthz`),
    );
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
      const mbBefore = fake.musicbrainz.requests.length;
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
      const importSeconds = (performance.now() - started) / 1000;
      const atImport = await counts();
      let enrichedSeconds: number | undefined;
      let final = atImport;
      if (mode.waitForEnrichment) {
        const deadline = performance.now() + waitSeconds * 1000;
        while (performance.now() < deadline) {
          final = await counts();
          if (final.pending === 0 && final.deferred === 0) {
            enrichedSeconds = (performance.now() - started) / 1000;
            break;
          }
          await sleep(500);
        }
      }
      const mbRequests = fake.musicbrainz.requests.length - mbBefore;
      for (const q of [
        scanQueue,
        ...['files', 'analysis', 'graph', 'enrichment'].flatMap((s) => [
          `${prefix}.${s}`,
          `${prefix}.${s}.retry`,
          `${prefix}.${s}.dead`,
        ]),
        `${prefix}.enrichment.delayed`,
      ]) {
        await ch.deleteQueue(q).catch(() => undefined);
      }
      await conn.close();
      return {
        mode: mode.name,
        rate: mode.rate ?? null,
        status,
        files: row!.processed,
        failed: row!.failed,
        importSeconds,
        atImport,
        enrichedSeconds: enrichedSeconds ?? null,
        final,
        mbRequests,
      };
    } finally {
      await stopProc(ingest);
    }
  } finally {
    await db.close();
    await database.drop();
    await rm(coverDir, { recursive: true, force: true });
  }
}

const root = await library();
const fake = await fakes();
const modes: Mode[] = [
  { name: 'enrichment off', waitForEnrichment: false },
  { name: 'enrichment on, MusicBrainz 1/s', rate: 1, waitForEnrichment: false },
  { name: `enrichment on, MusicBrainz ${fastRate}/s`, rate: fastRate, waitForEnrichment: true },
];
const runs = [];
try {
  for (const mode of modes) runs.push(await run(root, mode, fake));
} finally {
  await fake.close();
}
const pct = (n: number, of: number) => `${n} (${((100 * n) / of).toFixed(0)}%)`;
console.log(`${files} files, fake MusicBrainz and Cover Art Archive latency ${latencyMs} ms`);
console.table(
  runs.map((r) => ({
    mode: r.mode,
    'import s': r.importSeconds.toFixed(1),
    'files/s': (r.files / r.importSeconds).toFixed(1),
    'matched at import end': r.rate === null ? '-' : pct(r.atImport.matched, r.files),
    'pending+deferred then': r.rate === null ? '-' : r.atImport.pending + r.atImport.deferred,
    'all enriched after s': r.enrichedSeconds === null ? '-' : r.enrichedSeconds.toFixed(1),
    'matched at end': r.rate === null ? '-' : pct(r.final.matched, r.files),
    'MB requests': r.mbRequests,
  })),
);
await mkdir('bench/results', { recursive: true });
await writeFile(
  'bench/results/enrichment.json',
  `${JSON.stringify({ files, latencyMs, at: new Date().toISOString(), cores: os.availableParallelism(), runs }, null, 2)}\n`,
);
