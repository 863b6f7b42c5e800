// The track export at scale: GET /export/tracks.ndjson read at full speed,
// from the catalog subgraph directly (the baseline) and through the gateway
// without and with the analysis join, at N/10 and then N tracks in the same
// run, sampling the resident memory of every process during each export.
// Memory is flat when the peaks at N are those at N/10.
//   npm run bench -- export [--tracks 1000000] [--analysis 1000] [--targets direct,plain,joined]
// The catalog is seeded with seedCatalog (N/10 tracks: names, albums,
// credits), then grown to N with `insert … select` copies of those rows
// (seedCatalog holds every row in memory and inserts 1,000 at a time).
// Analysis summaries exist for `--analysis` tracks spread over the id range:
// the stack's FerretDB scans the whole collection for every `_entities`
// fetch, so the joined export's speed there says more about FerretDB than
// about the gateway (MongoDB looks the ids up in the _id index).
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import { ANALYZER_VERSION } from '@tonegraph/audio-analysis';
import { createAnalysisStore, type TrackDocument } from '@tonegraph/analysis/store';
import { createDb, type Database } from '@tonegraph/catalog/db';
import { migrateCatalog } from '@tonegraph/catalog/store';
import { seedCatalog } from '@tonegraph/catalog/seed';
import { createTestDatabase, freePort, isolation, testServices } from '@tonegraph/testing';
import { cpuSeconds, httpOk, load1, rssMb, startProc, stopAll } from './support/procs.ts';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    tracks: { type: 'string', default: '1000000' },
    analysis: { type: 'string', default: '1000' },
    targets: { type: 'string', default: 'direct,plain,joined' },
  },
});
const total = Number(values.tracks);
const analysed = Number(values.analysis);
const sizes = [Math.ceil(total / 10), total];
const PATH = '/export/tracks.ndjson';

const services = testServices();
const iso = isolation();
const database = await createTestDatabase(services.DATABASE_URL);
const mongo = new MongoClient(services.MONGO_URL);
const secret = randomBytes(24).toString('hex');
const seconds = (since: number) => (performance.now() - since) / 1000;

/** Grows the seeded library to `size` tracks with copies of its first rows (credits included). */
async function grow(db: Database, libraryId: string, size: number): Promise<void> {
  const sql = db.sql;
  const started = performance.now();
  const [{ base } = { base: 0 }] = await sql<{ base: number }[]>`
    select count(*)::int as base from tracks where library_id = ${libraryId} and file_path not like '%#%'`;
  for (let copy = 1; ; copy++) {
    const [{ n } = { n: 0 }] = await sql<{ n: number }[]>`select count(*)::int as n from tracks`;
    if (n >= size) break;
    await sql`
      with copied as (
        insert into tracks (library_id, album_id, album_artist_id, title, disc_number, track_number, duration,
          genres, year, file_path, file_size, format, codec, container, bitrate, sample_rate, channels,
          bits_per_sample, lossless, content_hash)
        select library_id, album_id, album_artist_id, title, disc_number, track_number + ${copy * 1000}, duration,
          genres, year, file_path || '#' || ${copy}, file_size, format, codec, container, bitrate, sample_rate,
          channels, bits_per_sample, lossless, md5(random()::text) || md5(random()::text)
        from tracks
        where library_id = ${libraryId} and file_path not like '%#%'
        order by file_path
        limit ${Math.min(base, size - n)}
        returning id, file_path)
      insert into track_artists (track_id, artist_id, role, position)
      select c.id, ta.artist_id, ta.role, ta.position
      from copied c
      join tracks o on o.library_id = ${libraryId} and o.file_path = split_part(c.file_path, '#', 1)
      join track_artists ta on ta.track_id = o.id`;
    process.stdout.write(`\r  grown to ${Math.min(size, n + base)} tracks (${seconds(started).toFixed(0)}s)`);
  }
  await sql`analyze tracks, track_artists`;
  console.log(`\ngrew the catalog to ${size} tracks in ${seconds(started).toFixed(1)}s`);
}

/** Summaries for `count` tracks spread over the whole id range, as ingest's analysis stage leaves them. */
async function seedAnalysis(db: Database, count: number): Promise<void> {
  const started = performance.now();
  const tracks = await db.sql<{ id: string; library_id: string; album_id: string | null }[]>`
    select id, library_id, album_id from tracks order by md5(id::text) limit ${count}`;
  await mongo.connect();
  const store = createAnalysisStore(mongo.db(iso.mongoDb), { analyzerVersion: ANALYZER_VERSION });
  await store.ensureSchema();
  const docs: TrackDocument[] = tracks.map((t, i) => {
    const bpm = 70 + ((i * 37) % 110) + 0.5;
    return {
      _id: t.id,
      contentHash: randomBytes(32).toString('hex'),
      libraryId: t.library_id,
      albumId: t.album_id,
      status: 'done',
      error: null,
      analyzerVersion: ANALYZER_VERSION,
      updatedAt: new Date(),
      tempo: { bpm, confidence: 0.8 },
      tempoBucket: Math.floor(bpm),
      key: { tonic: 'A', mode: 'minor', name: 'A minor', camelot: '8A', openKey: '1m', confidence: 0.7 },
      loudness: { integratedLufs: -9, loudnessRangeLu: 6, truePeakDbtp: -0.5, samplePeakDbfs: -0.6 },
      replayGain: { trackGainDb: -9, trackPeak: 0.95 },
      durationSeconds: 180 + (i % 120),
      analyzedAt: new Date(),
    };
  });
  for (let i = 0; i < docs.length; i += 2000) await store.tracks.insertMany(docs.slice(i, i + 2000));
  console.log(`stored ${docs.length} analysis summaries in ${seconds(started).toFixed(1)}s`);
}

/** Failed analysis fetches of the gateway so far, by reason (from its /metrics). */
async function analysisFetchErrors(gatewayPort: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${gatewayPort}/metrics`)).text();
  const errors: Record<string, number> = {};
  const line =
    /^tonegraph_gateway_subgraph_fetch_errors_total\{subgraph="analysis",reason="([^"]+)"\} (\d+)/gm;
  for (const m of text.matchAll(line)) errors[m[1]!] = Number(m[2]);
  return errors;
}

interface Pids {
  readonly gateway: number;
  readonly catalog: number;
  readonly analysis: number;
}

interface Run {
  target: string;
  tracks: number;
  rows: number;
  /** Lines with an analysis object, and lines with `analysisError`. */
  joined: number;
  analysisErrors: number;
  /** Failed analysis fetches during the export, by reason (the gateway's fetch error counter). */
  analysisFetchErrors: Record<string, number>;
  seconds: number;
  bytes: number;
  rowsPerSecond: number;
  mbPerSecond: number;
  rssStartMb: Record<keyof Pids, number>;
  rssPeakMb: Record<keyof Pids, number>;
  /** CPU used during the export; `postgres`: the database's backends serving the catalog. */
  cpuSeconds: Record<keyof Pids | 'postgres', number>;
  load1Before: string;
  load1After: string;
}

/** Reads an export at full speed: counts lines and bytes, checks the end, samples every process. */
async function exportOnce(
  target: string,
  url: string,
  headers: Record<string, string>,
  pids: Pids,
  tracks: number,
  gateway: { port: number; tail(): string },
) {
  const names = Object.keys(pids) as (keyof Pids)[];
  const fetchErrorsBefore = await analysisFetchErrors(gateway.port);
  /** One reading per process. */
  const sample = async (read: (pid: number) => Promise<number>): Promise<Record<keyof Pids, number>> => {
    const [gateway, catalog, analysis] = await Promise.all([
      read(pids.gateway),
      read(pids.catalog),
      read(pids.analysis),
    ]);
    return { gateway, catalog, analysis };
  };
  const rssOf = () => sample(rssMb);
  /** CPU seconds of the client backends of the bench database (not autovacuum), by pid; one gone: 0. */
  const backendsCpu = async () => {
    const backends = await db.sql<{ pid: number }[]>`
      select pid from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'`;
    const entries = await Promise.all(
      backends.map(async ({ pid }) => [pid, await cpuSeconds(pid).catch(() => 0)] as const),
    );
    return new Map(entries);
  };
  const pgBefore = await backendsCpu();
  const cpuOf = () => sample(cpuSeconds);
  const rssStart = await rssOf();
  const peak = { ...rssStart };
  const cpuBefore = await cpuOf();
  const load1Before = load1();
  const sampler = setInterval(() => {
    void rssOf().then((now) => {
      for (const n of names) peak[n] = Math.max(peak[n], now[n]);
    });
  }, 250);
  const started = performance.now();
  let rows = 0;
  let bytes = 0;
  let last: Buffer = Buffer.alloc(0);
  const counter = (pattern: string) => {
    const needle = Buffer.from(pattern);
    let carry: Buffer = Buffer.alloc(0);
    let count = 0;
    // The previous chunk's last bytes are searched again: a match split across chunks still counts, once.
    return {
      add(chunk: Buffer) {
        const text = carry.length ? Buffer.concat([carry, chunk]) : chunk;
        for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + needle.length)) count++;
        carry = text.subarray(Math.max(0, text.length - needle.length + 1));
      },
      get count() {
        return count;
      },
    };
  };
  const joined = counter('"analysis":{');
  const missing = counter('"analysisError":');
  try {
    await new Promise<void>((resolve, reject) => {
      const req = request(url, { headers, agent: false }, (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`${target}: HTTP ${res.statusCode}`));
          res.resume();
          return;
        }
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) rows++;
          last = chunk;
          joined.add(chunk);
          missing.add(chunk);
        });
        res.on('end', resolve);
        res.on('error', reject);
        res.on('aborted', () =>
          reject(new Error(`${target}: the response was cut: ${last.toString().slice(-300)}`)),
        );
      });
      req.on('error', reject);
      req.end();
    });
  } finally {
    clearInterval(sampler);
  }
  const elapsed = seconds(started);
  const cpuAfter = await cpuOf();
  const fetchErrorsAfter = await analysisFetchErrors(gateway.port);
  const fetchErrors = Object.fromEntries(
    Object.entries(fetchErrorsAfter)
      .map(([reason, n]) => [reason, n - (fetchErrorsBefore[reason] ?? 0)] as const)
      .filter(([, n]) => n > 0),
  );
  let pgCpu = 0;
  for (const [pid, cpu] of await backendsCpu()) pgCpu += cpu - (pgBefore.get(pid) ?? 0);
  const tail = last.toString('utf8').trimEnd().split('\n').at(-1) ?? '';
  if (rows !== tracks || tail.startsWith('{"error"'))
    throw new Error(`${target}: ${rows} of ${tracks} rows; ${tail}`);
  const run: Run = {
    target,
    tracks,
    rows,
    joined: joined.count,
    analysisErrors: missing.count,
    analysisFetchErrors: fetchErrors,
    seconds: elapsed,
    bytes,
    rowsPerSecond: rows / elapsed,
    mbPerSecond: bytes / 1e6 / elapsed,
    rssStartMb: rssStart,
    rssPeakMb: peak,
    cpuSeconds: {
      gateway: cpuAfter.gateway - cpuBefore.gateway,
      catalog: cpuAfter.catalog - cpuBefore.catalog,
      analysis: cpuAfter.analysis - cpuBefore.analysis,
      postgres: pgCpu,
    },
    load1Before,
    load1After: load1(),
  };
  console.log(
    `${target} @ ${tracks}: ${rows} rows in ${elapsed.toFixed(1)}s (${run.rowsPerSecond.toFixed(0)} rows/s, ` +
      `${run.mbPerSecond.toFixed(1)} MB/s; ${run.joined} with analysis, ${run.analysisErrors} analysisError); peak RSS gateway ${peak.gateway.toFixed(0)}, catalog ${peak.catalog.toFixed(0)}, ` +
      `analysis ${peak.analysis.toFixed(0)} MiB; load ${run.load1After}`,
  );
  if (Object.keys(fetchErrors).length > 0) {
    const warning = gateway
      .tail()
      .split('\n')
      .findLast((l) => l.includes('analysis fetch failed'));
    console.log(`  analysis fetch errors: ${JSON.stringify(fetchErrors)}; last: ${warning?.slice(0, 400)}`);
  }
  return run;
}

const mib = (n: number) => n.toFixed(0);
const row = (r: Run) => ({
  target: r.target,
  rows: r.rows,
  seconds: r.seconds.toFixed(1),
  'rows/s': r.rowsPerSecond.toFixed(0),
  MB: (r.bytes / 1e6).toFixed(0),
  'with analysis': r.target.endsWith('true') ? `${r.joined} (${r.analysisErrors} analysisError)` : '–',
  'MB/s': r.mbPerSecond.toFixed(1),
  'gateway RSS start→peak MiB':
    r.target === 'catalog direct' ? '–' : `${mib(r.rssStartMb.gateway)}→${mib(r.rssPeakMb.gateway)}`,
  'catalog RSS start→peak MiB': `${mib(r.rssStartMb.catalog)}→${mib(r.rssPeakMb.catalog)}`,
  'analysis RSS start→peak MiB': `${mib(r.rssStartMb.analysis)}→${mib(r.rssPeakMb.analysis)}`,
  'CPU s gw/cat/an/pg': [
    r.cpuSeconds.gateway,
    r.cpuSeconds.catalog,
    r.cpuSeconds.analysis,
    r.cpuSeconds.postgres,
  ]
    .map((c) => c.toFixed(1))
    .join('/'),
  load: `${r.load1Before}→${r.load1After}`,
});

const db = createDb(database.url, { poolSize: 4 });
try {
  await migrateCatalog(db);
  const started = performance.now();
  const base = sizes[0]!;
  const { libraryId } = await seedCatalog(db.db, {
    tracks: base,
    albums: Math.min(5000, Math.ceil(base / 10)),
    artists: Math.min(2000, Math.ceil(base / 25)),
  });
  console.log(`seeded ${base} tracks in ${seconds(started).toFixed(1)}s`);
  await seedAnalysis(db, Math.min(analysed, base));

  const ports = { catalog: await freePort(), analysis: await freePort(), gateway: await freePort() };
  const common = {
    DATABASE_URL: database.url,
    MONGO_DB: iso.mongoDb,
    REDIS_PREFIX: iso.redisPrefix,
    SUBGRAPH_SECRET: secret,
  };
  const catalog = await startProc(
    'catalog',
    'subgraphs/catalog/src/index.ts',
    { ...common, PORT: String(ports.catalog) },
    httpOk(`http://127.0.0.1:${ports.catalog}/health`),
  );
  const analysis = await startProc(
    'analysis',
    'subgraphs/analysis/src/index.ts',
    { ...common, PORT: String(ports.analysis) },
    httpOk(`http://127.0.0.1:${ports.analysis}/health`),
  );
  const gateway = await startProc(
    'gateway',
    'gateway/src/index.ts',
    {
      ...common,
      PORT: String(ports.gateway),
      GATEWAY_AUTH: 'off',
      GATEWAY_RESPONSE_CACHE: 'false',
      CATALOG_URL: `http://127.0.0.1:${ports.catalog}/graphql`,
      ANALYSIS_URL: `http://127.0.0.1:${ports.analysis}/graphql`,
      LIBRARY_GRAPH_URL: `http://127.0.0.1:${await freePort()}/graphql`,
    },
    httpOk(`http://127.0.0.1:${ports.gateway}/health`),
  );
  const pids: Pids = {
    gateway: gateway.child.pid!,
    catalog: catalog.child.pid!,
    analysis: analysis.child.pid!,
  };
  const fresh = {
    gateway: await rssMb(pids.gateway),
    catalog: await rssMb(pids.catalog),
    analysis: await rssMb(pids.analysis),
  };
  const every: { key: string; name: string; url: string; headers: Record<string, string> }[] = [
    {
      key: 'direct',
      name: 'catalog direct',
      url: `http://127.0.0.1:${ports.catalog}${PATH}`,
      headers: { 'x-tonegraph-subgraph-secret': secret },
    },
    {
      key: 'plain',
      name: 'gateway, analysis=false',
      url: `http://127.0.0.1:${ports.gateway}${PATH}?analysis=false`,
      headers: {},
    },
    {
      key: 'joined',
      name: 'gateway, analysis=true',
      url: `http://127.0.0.1:${ports.gateway}${PATH}`,
      headers: {},
    },
  ];
  const targets = every.filter((t) => values.targets.split(',').includes(t.key));

  const runs: Run[] = [];
  for (const size of sizes) {
    if (size > base) await grow(db, libraryId, size);
    for (const t of targets) {
      runs.push(
        await exportOnce(t.name, t.url, t.headers, pids, size, {
          port: ports.gateway,
          tail: () => gateway.tail(),
        }),
      );
    }
  }

  console.log(
    `\n${os.availableParallelism()} cores; RSS at process start, MiB: gateway ${mib(fresh.gateway)}, ` +
      `catalog ${mib(fresh.catalog)}, analysis ${mib(fresh.analysis)}; ${Math.min(analysed, base)} tracks have an ` +
      `analysis summary; load average now ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
  );
  console.table(runs.map(row));
  const flat = targets.map((t) => {
    const [small, large] = sizes.map((s) => runs.find((r) => r.target === t.name && r.tracks === s)!);
    return {
      target: t.name,
      gatewayPeakRatio: large!.rssPeakMb.gateway / small!.rssPeakMb.gateway,
      catalogPeakRatio: large!.rssPeakMb.catalog / small!.rssPeakMb.catalog,
    };
  });
  for (const f of flat) {
    console.log(
      `${f.target}: peak RSS at ${total} / at ${sizes[0]} tracks — gateway ${f.gatewayPeakRatio.toFixed(2)}x` +
        `${f.target === 'catalog direct' ? ' (idle)' : ''}, ` +
        `catalog ${f.catalogPeakRatio.toFixed(2)}x (flat ≈ 1)`,
    );
  }
  await mkdir('bench/results', { recursive: true });
  await writeFile(
    'bench/results/export.json',
    `${JSON.stringify(
      {
        at: new Date().toISOString(),
        tracks: sizes,
        analysisSummaries: Math.min(analysed, base),
        cores: os.availableParallelism(),
        loadavg: os.loadavg(),
        rssAtProcessStartMb: fresh,
        flat,
        runs,
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await stopAll();
  await db.close();
  await database.drop();
  await mongo
    .db(iso.mongoDb)
    .dropDatabase()
    .catch(() => console.warn(`could not drop MongoDB database ${iso.mongoDb}; drop it by hand`));
  await mongo.close(true);
}
