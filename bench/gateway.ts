// Throughput and latency of a front-end query mix through Tonegraph's
// gateway, against a stock @apollo/gateway and Hive Gateway (its CLI) on the
// same supergraph and the same subgraph processes, and against the catalog
// subgraph directly (the floor), all measured in the same run on a seeded catalog.
//   npm run bench -- gateway [--tracks 20000] [--duration 10] [--connections 50,1000] [--timeout 10] [--analysis listed|all]
//     [--phases all|mixes]   (mixes: only the identical and distinct mixes, at the first connection level)
//     [--overload 30]        (seconds of 1,000 connections of the full mix per gateway, cache off; 0: none)
//   BENCH_CPU_PROF=1 also writes a CPU profile of Tonegraph's gateway to /tmp/prof-gateway.
// The mix, cycled by every connection: an album page (album, its tracks and
// their artists), a 50-track list page with analysis fields (catalog, then one
// `_entities` fetch to the analysis subgraph), and a search. The direct
// target cannot join subgraphs, so its list page leaves out `analysis`.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type autocannon from 'autocannon';
import { MongoClient } from 'mongodb';
import { ANALYZER_VERSION, type PitchClass } from '@tonegraph/audio-analysis';
import { createAnalysisStore, type TrackDocument } from '@tonegraph/analysis/store';
import { createDb } from '@tonegraph/catalog/db';
import { migrateCatalog } from '@tonegraph/catalog/store';
import { seedCatalog } from '@tonegraph/catalog/seed';
import { createTestDatabase, freePort, isolation, testServices } from '@tonegraph/testing';
import { cpuSeconds, graphqlOk, httpOk, load1, rssMb, startProc, stopAll } from './support/procs.ts';
import { errorCount, latencySummary, timedLoad } from './support/timed-load.ts';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    tracks: { type: 'string', default: '20000' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50,1000' },
    warmup: { type: 'string', default: '4' },
    timeout: { type: 'string', default: '10' },
    analysis: { type: 'string', default: 'listed' },
    phases: { type: 'string', default: 'all' },
    overload: { type: 'string', default: '30' },
  },
});
const trackCount = Number(values.tracks);
const duration = Number(values.duration);
const levels = values.connections.split(',').map(Number);
const warmup = Number(values.warmup);
const timeout = Number(values.timeout);

const ALBUM = `query AlbumPage($id: ID!) {
  album(id: $id) { id title year compilation genres albumArtist { id name }
    tracks { id title discNumber trackNumber duration artists { role artist { id name } } } } }`;
const LIST_FIELDS = 'id title duration album { id title } artists { artist { id name } }';
const ANALYSIS_FIELDS = 'analysis { tempo { bpm } key { camelot } loudness { integratedLufs } }';
const list = (analysis: boolean) => `query TrackList($order: TrackOrder) {
  tracks(first: 50, orderBy: $order) { edges { node { ${LIST_FIELDS} ${analysis ? ANALYSIS_FIELDS : ''} } } } }`;
const SEARCH = `query Search($text: String!) {
  search(text: $text, first: 20) { score node { __typename
    ... on Track { id title } ... on Album { id title } ... on Artist { id name } } } }`;
const SEARCHES = ['night', 'electric garden', 'velvet', 'cafe', 'sunrise drift', 'paradize', 'neon orbit'];
const ORDERS = ['TITLE', 'ADDED_AT', 'YEAR', 'DURATION'].flatMap((field) =>
  ['ASC', 'DESC'].map((direction) => ({ field, direction })),
);

const services = testServices();
const iso = isolation();
const database = await createTestDatabase(services.DATABASE_URL);
const mongo = new MongoClient(services.MONGO_URL);
const secret = randomBytes(24).toString('hex');

interface Phase {
  target: string;
  query: string;
  connections: number;
  seconds: number;
  requests: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  /** Slowest answer, ms; answers (any status) slower than 1 s; answers 503 (shed). */
  max: number;
  overOneSecond: number;
  shed: number;
  /** Transport errors and timeouts, non-2xx answers, and 200s with GraphQL `errors`. */
  errors: number;
  timeouts: number;
  non2xx: number;
  graphqlErrors: number;
  /** CPU time per request of the gateway process, the catalog, the analysis subgraph, ms (load-independent). */
  gatewayCpuMsPerRequest: number;
  catalogCpuMsPerRequest: number;
  analysisCpuMsPerRequest: number;
  load1Before: string;
  load1After: string;
}

async function seed() {
  const db = createDb(database.url, { poolSize: 4 });
  try {
    await migrateCatalog(db);
    const t0 = performance.now();
    await seedCatalog(db.db, {
      tracks: trackCount,
      albums: Math.min(5000, Math.ceil(trackCount / 10)),
      artists: Math.min(2000, Math.ceil(trackCount / 25)),
    });
    const tracks = await db.sql<{ id: string; library_id: string; album_id: string | null }[]>`
      select id, library_id, album_id from tracks`;
    const albums = await db.sql<{ id: string }[]>`
      select album_id as id from tracks where album_id is not null
      group by album_id order by md5(album_id::text) limit 200`;
    allAlbumIds = (await db.sql<{ id: string }[]>`select id from albums order by md5(id::text)`).map(
      (a) => a.id,
    );
    const catalogSeconds = (performance.now() - t0) / 1000;
    console.log(`seeded ${tracks.length} tracks in ${catalogSeconds.toFixed(1)}s`);
    return { albumIds: albums.map((a) => a.id), tracks };
  } finally {
    await db.close();
  }
}

/** One analysis summary per track, as ingest's analysis stage leaves it (status done). */
async function seedAnalysis(tracks: readonly { id: string; library_id: string; album_id: string | null }[]) {
  {
    const t1 = performance.now();
    await mongo.connect();
    const store = createAnalysisStore(mongo.db(iso.mongoDb), { analyzerVersion: ANALYZER_VERSION });
    await store.ensureSchema();
    const tonics: PitchClass[] = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'];
    const docs: TrackDocument[] = tracks.map((t, i) => {
      const bpm = 70 + ((i * 37) % 110) + 0.5;
      const minor = i % 2 === 0;
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
        key: {
          tonic: tonics[i % 12]!,
          mode: minor ? 'minor' : 'major',
          name: `${tonics[i % 12]} ${minor ? 'minor' : 'major'}`,
          camelot: `${(i % 12) + 1}${minor ? 'A' : 'B'}`,
          openKey: `${(i % 12) + 1}${minor ? 'm' : 'd'}`,
          confidence: 0.7,
        },
        loudness: {
          integratedLufs: -8 - (i % 10),
          loudnessRangeLu: 6,
          truePeakDbtp: -0.5,
          samplePeakDbfs: -0.6,
        },
        replayGain: { trackGainDb: -6, trackPeak: 0.95 },
        durationSeconds: 180 + (i % 120),
        analyzedAt: new Date(),
      };
    });
    for (let i = 0; i < docs.length; i += 2000) await store.tracks.insertMany(docs.slice(i, i + 2000));
    const analysisSeconds = (performance.now() - t1) / 1000;
    console.log(`stored ${docs.length} analysis summaries in ${analysisSeconds.toFixed(1)}s`);
  }
}

/**
 * `identical`: every request the same 50-track list page (with analysis through a gateway) — what
 * deduplication can share. `distinct`: album pages, each request a different album (a run-wide
 * counter over every album), so nothing in flight is identical and nothing repeats soon.
 */
type Kind = 'album' | 'list' | 'search' | 'identical' | 'distinct';

/** Every album id, for the distinct mix; set once seeded. */
let allAlbumIds: readonly string[] = [];
let distinctCounter = 0;

/** One request of `kind` (the i-th variant), as a JSON body. */
function body(kind: Kind, i: number, albumIds: readonly string[], analysis: boolean): string {
  const b = (query: string, variables: Record<string, unknown>) => JSON.stringify({ query, variables });
  if (kind === 'identical') return b(list(analysis), { order: ORDERS[0] });
  if (kind === 'distinct') return b(ALBUM, { id: allAlbumIds[distinctCounter++ % allAlbumIds.length] });
  if (kind === 'album') return b(ALBUM, { id: albumIds[i % albumIds.length] });
  if (kind === 'list') return b(list(analysis), { order: ORDERS[i % ORDERS.length] });
  return b(SEARCH, { text: SEARCHES[i % SEARCHES.length] });
}

/** Requests every connection cycles through: the given kinds in turn, each with varying arguments. */
function requestsOf(
  kinds: readonly Kind[],
  albumIds: readonly string[],
  analysis: boolean,
  headers: Record<string, string>,
): autocannon.Request[] {
  return Array.from({ length: 168 }, (_, i) => ({
    method: 'POST',
    headers,
    body: body(kinds[i % kinds.length]!, Math.floor(i / kinds.length), albumIds, analysis),
    ...(kinds.includes('distinct')
      ? {
          setupRequest: (req: autocannon.Request) => ({
            ...req,
            body: body('distinct', 0, albumIds, analysis),
          }),
        }
      : {}),
  }));
}

/** What is measured: where requests go, what they are, which processes serve them. */
interface Target {
  readonly name: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  /** The list page with its analysis fields (only a gateway can join them). */
  readonly analysis: boolean;
  /** The target's own process (a gateway), when it has one apart from the subgraphs. */
  readonly pid: number | undefined;
}

interface Pids {
  readonly catalog: number;
  readonly analysis: number;
}

async function run(
  t: Target,
  kinds: readonly Kind[],
  albumIds: readonly string[],
  pids: Pids,
  connections: number,
  seconds: number,
  timeout: number,
): Promise<Phase> {
  const watched = [t.pid, pids.catalog, pids.analysis];
  const cpuBefore = await Promise.all(watched.map((pid) => (pid ? cpuSeconds(pid) : Promise.resolve(0))));
  const load1Before = load1();
  const run = await timedLoad({
    url: t.url,
    connections,
    duration: seconds,
    timeout,
    requests: requestsOf(kinds, albumIds, t.analysis, t.headers),
  });
  const { latencies, result, graphqlErrors, firstError } = run;
  const cpuAfter = await Promise.all(watched.map((pid) => (pid ? cpuSeconds(pid) : Promise.resolve(0))));
  const cpuMs = (i: number) =>
    latencies.length ? ((cpuAfter[i]! - cpuBefore[i]!) * 1000) / latencies.length : NaN;
  const slowFrom = latencies.findIndex((ms) => ms > 1000);
  if (firstError) console.log(`  ${t.name}: first GraphQL error: ${firstError}`);
  return {
    target: t.name,
    query: kinds.join('+'),
    connections,
    seconds: run.seconds,
    ...latencySummary(run),
    overOneSecond: slowFrom < 0 ? 0 : latencies.length - slowFrom,
    shed: run.shed,
    errors: errorCount(run),
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    graphqlErrors,
    gatewayCpuMsPerRequest: t.pid ? cpuMs(0) : 0,
    catalogCpuMsPerRequest: cpuMs(1),
    analysisCpuMsPerRequest: cpuMs(2),
    load1Before,
    load1After: load1(),
  };
}

const row = (p: Phase, stockRps: number | undefined) => ({
  target: p.target,
  query: p.query,
  conns: p.connections,
  'req/s': p.rps.toFixed(1),
  'p50 ms': p.p50.toFixed(0),
  'p95 ms': p.p95.toFixed(0),
  'p99 ms': p.p99.toFixed(0),
  'max ms': p.max.toFixed(0),
  '> 1 s': p.overOneSecond,
  errors: p.errors,
  'of which timeouts': p.timeouts,
  '503 shed': p.shed,
  'gw CPU ms/req': p.gatewayCpuMsPerRequest ? p.gatewayCpuMsPerRequest.toFixed(1) : '–',
  'subgraphs CPU ms/req': (p.catalogCpuMsPerRequest + p.analysisCpuMsPerRequest).toFixed(1),
  'req/s vs stock': stockRps ? (p.rps / stockRps).toFixed(2) : '–',
  load: `${p.load1Before}→${p.load1After}`,
});

try {
  const { albumIds, tracks } = await seed();
  const ports = {
    catalog: await freePort(),
    analysis: await freePort(),
    graph: await freePort(), // nothing listens: the mix never reaches the library graph
    tonegraph: await freePort(),
    cached: await freePort(),
    stock: await freePort(),
    hive: await freePort(),
  };
  const urls = {
    CATALOG_URL: `http://127.0.0.1:${ports.catalog}/graphql`,
    ANALYSIS_URL: `http://127.0.0.1:${ports.analysis}/graphql`,
    LIBRARY_GRAPH_URL: `http://127.0.0.1:${ports.graph}/graphql`,
  };
  const common = {
    DATABASE_URL: database.url,
    MONGO_DB: iso.mongoDb,
    REDIS_PREFIX: iso.redisPrefix,
    SUBGRAPH_SECRET: secret,
  };
  const [catalog, analysis] = await Promise.all([
    startProc(
      'catalog',
      'subgraphs/catalog/src/index.ts',
      { ...common, PORT: String(ports.catalog) },
      httpOk(`http://127.0.0.1:${ports.catalog}/health`),
    ),
    startProc(
      'analysis',
      'subgraphs/analysis/src/index.ts',
      { ...common, PORT: String(ports.analysis) },
      httpOk(`http://127.0.0.1:${ports.analysis}/health`),
    ),
  ]);
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof-gateway'] : [];
  const tonegraph = await startProc(
    'tonegraph gateway',
    'gateway/src/index.ts',
    {
      ...common,
      ...urls,
      PORT: String(ports.tonegraph),
      GATEWAY_AUTH: 'off',
      GATEWAY_RESPONSE_CACHE: 'false',
      // The overload target is an answer or a 503 within 1 s: requests wait at most 500 ms for a turn
      // (the default waits up to the request's deadline).
      GATEWAY_MAX_QUEUE_WAIT_MS: '500',
    },
    httpOk(`http://127.0.0.1:${ports.tonegraph}/health`),
    profile,
  );
  // The same gateway with its response cache (REDIS_URL is the stack's); no change notices arrive
  // during the run, as on a library at rest.
  const cached = await startProc(
    'tonegraph gateway, cache on',
    'gateway/src/index.ts',
    { ...common, ...urls, PORT: String(ports.cached), GATEWAY_AUTH: 'off', GATEWAY_RESPONSE_CACHE: 'true' },
    httpOk(`http://127.0.0.1:${ports.cached}/health`),
  );
  const stock = await startProc(
    'stock gateway',
    'bench/support/stock-gateway.ts',
    { ...common, ...urls, PORT: String(ports.stock) },
    graphqlOk(`http://127.0.0.1:${ports.stock}/`),
  );

  // Hive Gateway reads the supergraph's own subgraph URLs: a copy pointing at this run's ports.
  const supergraph = await readFile('schema/supergraph.graphql', 'utf8');
  const hiveSupergraph = path.join(os.tmpdir(), `tonegraph-bench-supergraph-${process.pid}.graphql`);
  await writeFile(
    hiveSupergraph,
    supergraph
      .replace(/(name: "catalog", url: ")[^"]+/, `$1${urls.CATALOG_URL}`)
      .replace(/(name: "analysis", url: ")[^"]+/, `$1${urls.ANALYSIS_URL}`)
      .replace(/(name: "library-graph", url: ")[^"]+/, `$1${urls.LIBRARY_GRAPH_URL}`),
  );
  const hive = await startProc(
    'hive gateway',
    'bench/support/hive-gateway.ts',
    { ...common, PORT: String(ports.hive), HOST: '127.0.0.1', HIVE_SUPERGRAPH_PATH: hiveSupergraph },
    httpOk(`http://127.0.0.1:${ports.hive}/healthcheck`),
  );

  const json = { 'content-type': 'application/json' };
  const signed = { ...json, 'x-tonegraph-subgraph-secret': secret };
  const direct: Target = {
    name: 'catalog direct',
    url: urls.CATALOG_URL,
    headers: signed,
    analysis: false,
    pid: undefined,
  };
  const stockT: Target = {
    name: 'stock @apollo/gateway',
    url: `http://127.0.0.1:${ports.stock}/`,
    headers: json,
    analysis: true,
    pid: stock.child.pid!,
  };
  const tonegraphT: Target = {
    name: 'tonegraph gateway',
    url: `http://127.0.0.1:${ports.tonegraph}/graphql`,
    headers: json,
    analysis: true,
    pid: tonegraph.child.pid!,
  };
  const cachedT: Target = {
    name: 'tonegraph, cache on',
    url: `http://127.0.0.1:${ports.cached}/graphql`,
    headers: json,
    analysis: true,
    pid: cached.child.pid!,
  };
  const hiveT: Target = {
    name: 'hive gateway',
    url: `http://127.0.0.1:${ports.hive}/graphql`,
    headers: json,
    analysis: true,
    pid: hive.child.pid!,
  };
  const targets = [direct, stockT, hiveT, tonegraphT, cachedT];
  const pids = { catalog: catalog.child.pid!, analysis: analysis.child.pid! };
  const MIX: Kind[] = ['album', 'list', 'search'];

  // Analysis summaries: of every track, or (default: the stack's FerretDB is slow to load and to
  // scan) only of the tracks the list pages show — the only ones the mix asks analysis for.
  if (values.analysis === 'all') await seedAnalysis(tracks);
  else {
    const listed = new Set<string>();
    for (const order of ORDERS) {
      const res = await fetch(direct.url, {
        method: 'POST',
        headers: direct.headers,
        body: JSON.stringify({ query: list(false), variables: { order } }),
      });
      const page = (await res.json()) as { data: { tracks: { edges: { node: { id: string } }[] } } };
      for (const e of page.data.tracks.edges) listed.add(e.node.id);
    }
    await seedAnalysis(tracks.filter((t) => listed.has(t.id)));
  }

  // One answer of each query from each target before anything is timed (errors are shown, not fatal).
  for (const t of targets) {
    for (const r of requestsOf(MIX, albumIds, t.analysis, t.headers).slice(0, 3)) {
      const res = await fetch(t.url, { method: 'POST', headers: t.headers, body: r.body as string });
      const text = await res.text();
      if (!res.ok || text.includes('"errors"'))
        console.warn(`${t.name}: ${res.status} ${text.slice(0, 300)}`);
    }
  }
  for (const t of targets) await run(t, MIX, albumIds, pids, 20, warmup, timeout); // JIT, pools, plan caches

  const phases: Phase[] = [];
  const report = (p: Phase) => {
    phases.push(p);
    console.log(
      `${p.target} ${p.query} @ ${p.connections}: ${p.rps.toFixed(1)} req/s, p95 ${p.p95.toFixed(0)} ms, ` +
        `errors ${p.errors} (timeouts ${p.timeouts}), load ${p.load1After}`,
    );
  };
  // Between phases, until the servers are idle: requests a timed-out client left behind (a gateway
  // still waits on its subgraph fetches) must not run into the next phase.
  const serverPids = [
    pids.catalog,
    pids.analysis,
    stock.child.pid!,
    hive.child.pid!,
    tonegraph.child.pid!,
    cached.child.pid!,
  ];
  const settle = async () => {
    for (let i = 0; i < 60; i++) {
      const before = await Promise.all(serverPids.map(cpuSeconds));
      await sleep(1000);
      const after = await Promise.all(serverPids.map(cpuSeconds));
      if (after.every((c, k) => c - before[k]! < 0.15)) return;
    }
  };
  const phase = async (t: Target, kinds: Kind[], connections: number, seconds: number) => {
    await settle();
    report(await run(t, kinds, albumIds, pids, connections, seconds, timeout));
  };
  // Each query alone at the first level, shorter, to see which one costs what; then the mix at each
  // level, the catalog-only part of it first (it does not wait on the analysis subgraph).
  const perQuery = Math.max(3, Math.round(duration / 2));
  // The identical and distinct mixes, through the gateways (the catalog alone cannot join analysis).
  const gateways = [stockT, hiveT, tonegraphT, cachedT];
  for (const kind of ['identical', 'distinct'] as const)
    for (const t of gateways) await phase(t, [kind], levels[0]!, duration);
  if (values.phases === 'all') {
    for (const kind of MIX) for (const t of targets) await phase(t, [kind], levels[0]!, perQuery);
    for (const connections of levels) {
      for (const t of targets) await phase(t, ['album', 'search'], connections, duration);
      for (const t of targets) await phase(t, MIX, connections, duration);
    }
  }

  // Overload: 1,000 connections of the full mix for --overload seconds through each gateway without a
  // response cache, then one album page at a time until one answers in its usual time (at most
  // twice the median of five before the load, or 50 ms more): how long the gateway takes to recover.
  const overloadSeconds = Number(values.overload);
  const recoveries: { target: string; normalMs: number; recoverySeconds: number }[] = [];
  for (const t of overloadSeconds > 0 ? [stockT, hiveT, tonegraphT] : []) {
    await settle();
    const [first] = requestsOf(['album'], albumIds, t.analysis, t.headers);
    const single = async () => {
      const t0 = performance.now();
      const res = await fetch(t.url, { method: 'POST', headers: t.headers, body: first!.body as string });
      await res.text();
      return performance.now() - t0;
    };
    const before: number[] = [];
    for (let i = 0; i < 5; i++) before.push(await single());
    const normalMs = before.sort((a, b) => a - b)[2]!;
    const p = await run(t, MIX, albumIds, pids, 1000, overloadSeconds, timeout);
    report({ ...p, query: `overload ${p.query}` });
    const ended = performance.now();
    while ((await single()) > Math.max(2 * normalMs, normalMs + 50) && performance.now() - ended < 120_000)
      await sleep(100);
    const recoverySeconds = (performance.now() - ended) / 1000;
    recoveries.push({ target: t.name, normalMs, recoverySeconds });
    console.log(
      `${t.name}: a single album page answered in its usual time (${normalMs.toFixed(0)} ms) ` +
        `${recoverySeconds.toFixed(1)} s after the overload ended (target ≤ 2 s)`,
    );
  }

  const rss = {
    catalog: await rssMb(catalog.child.pid!),
    analysis: await rssMb(analysis.child.pid!),
    tonegraph: await rssMb(tonegraph.child.pid!),
    tonegraphCached: await rssMb(cached.child.pid!),
    stock: await rssMb(stock.child.pid!),
    hive: await rssMb(hive.child.pid!),
  };
  const find = (target: string, query: string, c: number) =>
    phases.find((p) => p.target === target && p.query === query && p.connections === c);
  console.log(
    `\n${trackCount} tracks; mix phases ${duration}s (each after the servers went idle), single-query phases ${perQuery}s, after a ${warmup}s ` +
      `warm-up per target; request timeout ${timeout}s; ${os.availableParallelism()} cores; load average now ` +
      os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' '),
  );
  console.table(phases.map((p) => row(p, find(stockT.name, p.query, p.connections)?.rps)));
  for (const query of ['identical', 'distinct']) {
    const h = find(hiveT.name, query, levels[0]!);
    for (const t of [tonegraphT, cachedT]) {
      const p = find(t.name, query, levels[0]!);
      if (h && p)
        console.log(
          `${t.name}, ${query} @ ${levels[0]}: ${(p.rps / h.rps).toFixed(2)}x Hive Gateway's req/s (target ≥ 1.0x); ` +
            `p95 ${p.p95.toFixed(0)} vs ${h.p95.toFixed(0)} ms; errors ${p.errors} vs ${h.errors}`,
        );
    }
  }
  const checks = (values.phases === 'all' ? levels : []).flatMap((c) =>
    [tonegraphT, cachedT].flatMap((target) =>
      ['album+search', MIX.join('+')].map((query) => {
        const t = find(target.name, query, c)!;
        const s = find(stockT.name, query, c)!;
        return {
          target: target.name,
          query,
          connections: c,
          rpsRatio: t.rps / s.rps,
          gatewayCpuRatio: t.gatewayCpuMsPerRequest / s.gatewayCpuMsPerRequest,
          p95: t.p95,
          errors: t.errors,
        };
      }),
    ),
  );
  for (const c of checks) {
    console.log(
      `${c.target}, ${c.query} @ ${c.connections}: Tonegraph / stock req/s ${c.rpsRatio.toFixed(2)}x (target ≥ 2x); ` +
        `gateway CPU per request ${c.gatewayCpuRatio.toFixed(2)}x stock's; p95 ${c.p95.toFixed(0)} ms` +
        `${c.connections <= 50 ? ' (target < 100 ms)' : ''}; errors ${c.errors}` +
        `${c.connections >= 1000 ? ' (target 0)' : ''}`,
    );
  }
  console.log(
    `RSS after the run, MiB: tonegraph ${rss.tonegraph.toFixed(0)} (cache on ${rss.tonegraphCached.toFixed(0)}), stock ${rss.stock.toFixed(0)}, ` +
      `hive ${rss.hive.toFixed(0)}, catalog ${rss.catalog.toFixed(0)}, analysis ${rss.analysis.toFixed(0)}`,
  );
  await mkdir('bench/results', { recursive: true });
  await writeFile(
    'bench/results/gateway.json',
    `${JSON.stringify(
      {
        at: new Date().toISOString(),
        tracks: trackCount,
        durationSeconds: duration,
        perQuerySeconds: perQuery,
        timeoutSeconds: timeout,
        cores: os.availableParallelism(),
        loadavg: os.loadavg(),
        queries: { album: ALBUM, list: list(true), search: SEARCH },
        checks,
        recoveries,
        rssMb: rss,
        phases,
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await stopAll();
  await database.drop();
  // FerretDB can hold a drop for minutes while it finishes the queries of a killed client: bounded.
  const dropped = await Promise.race([
    mongo
      .db(iso.mongoDb)
      .dropDatabase()
      .then(
        () => true,
        () => false,
      ),
    sleep(30_000).then(() => false),
  ]);
  if (!dropped) console.warn(`could not drop MongoDB database ${iso.mongoDb}; drop it by hand`);
  await mongo.close(true);
}
