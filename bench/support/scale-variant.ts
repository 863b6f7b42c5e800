// One store variant at one size: seed its analysis store, start an analysis
// subgraph and a gateway on it, measure, and stop them again.
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { createAnalysisStore, type TrackLink } from '@tonegraph/analysis/store';
import { ANALYZER_VERSION } from '@tonegraph/audio-analysis';
import { cpuByComponent, type Proc } from './procs.ts';
import type { SeededCatalog, SeededTrack } from './scale-catalog.ts';
import { prng } from './scale-data.ts';
import { load, series, settle, type BodyOf, type Series } from './scale-measure.ts';
import { pool, seedAnalysisStore } from './scale-seed.ts';
import { dbStats, type StoreVariant } from './scale-stores.ts';
import type { MeasuredRow } from './scale-table.ts';

/** What the machine's processes are, for the CPU spent per list page. */
const COMPONENTS = {
  gateway: /gateway\/src\/index\.ts/,
  catalog: /subgraphs\/catalog\//,
  analysis: /subgraphs\/analysis\//,
  'library-graph': /subgraphs\/library-graph\//,
  ferretdb: /ferretdb/,
  neo4j: /tonegraph-neo4j/,
  postgresql: /^postgres|\/bin\/postgres /,
  redis: /redis-server/,
};

const ENTITIES = `query Entities($representations: [_Any!]!) { _entities(representations: $representations) {
  ... on Track { id analysis { tempo { bpm } key { camelot } loudness { integratedLufs } } } } }`;
const BY_TEMPO = `query ByTempo($min: Float!, $max: Float!) { tracksByTempo(min: $min, max: $max, first: 50) {
  totalCount edges { cursor node { id analysis { tempo { bpm } key { camelot } } } } pageInfo { hasNextPage endCursor } } }`;
const HARMONIC = `query Harmonic($trackId: ID!) { harmonicMatches(trackId: $trackId, first: 20) {
  score relation bpmDifferencePercent track { id analysis { tempo { bpm } key { camelot } } } } }`;
const STATS = `query Stats($bucketSize: Int) { analysisStats { total pending analyzing done failed
  tempoHistogram(bucketSize: $bucketSize) { minBpm maxBpm count } keyDistribution { camelot name count } } }`;

export interface RunOptions {
  /** Timed requests per sequential series. */
  readonly requests: number;
  /** Seconds of the gateway load phase. */
  readonly duration: number;
  readonly connections: number;
  /** Longest a request may take before it counts as "> cap". */
  readonly capMs: number;
  /** New tracks linked to analysed content, and the longest that may take. */
  readonly linkTracks: number;
  readonly linkSeconds: number;
  /** Longest the analysis store of one variant may take to seed. */
  readonly seedMinutes: number;
}

/** What the size's shared part (catalog, graph, their subgraphs) gives each variant. */
export interface Shared {
  readonly size: number;
  readonly mongoDb: string;
  readonly catalog: SeededCatalog;
  readonly catalogSeconds: number;
  readonly graphSeconds: number;
  readonly graphBytes: number;
  readonly catalogBytes: number;
  readonly secret: string;
  readonly urls: { catalog: string; graph: string };
  readonly pids: readonly (number | undefined)[];
  /** The i-th distinct list page request. */
  readonly listBody: (offset: number) => BodyOf;
  start(name: string, entry: string, env: Record<string, string>): Promise<{ proc: Proc; url: string }>;
  stop(proc: Proc): Promise<void>;
  readonly log: (line: string) => void;
}

const secs = (t0: number) => (performance.now() - t0) / 1000;

/** Links `count` new tracks to analysed content, 16 in flight, for at most `seconds`. */
async function linkingRate(
  client: MongoClient,
  db: string,
  analysed: readonly SeededTrack[],
  count: number,
  seconds: number,
) {
  const store = createAnalysisStore(client.db(db), { analyzerVersion: ANALYZER_VERSION });
  const rnd = prng(count);
  const links: TrackLink[] = Array.from({ length: count }, () => {
    const t = analysed[rnd.int(analysed.length)]!;
    return {
      trackId: randomUUID(),
      contentHash: t.contentHash,
      libraryId: t.libraryId,
      albumId: t.album?.id ?? null,
    };
  });
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let linked = 0;
  let done = 0;
  await pool(links, 16, async (link) => {
    if (performance.now() > deadline) return;
    if ((await store.linkTrack(link)) === 'done') done++;
    linked++;
  });
  const elapsed = secs(started);
  return { tracks: linked, seconds: elapsed, rate: linked / elapsed, done };
}

/** Rejects after `ms` (the work itself cannot be cancelled; the caller abandons it). */
const deadline = <T>(work: Promise<T>, ms: number, what: string) =>
  Promise.race([
    work,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 60_000} min`)), ms).unref(),
    ),
  ]);

/** Seeds, measures and clears the analysis store of one variant. */
export async function measureVariant(
  shared: Shared,
  v: StoreVariant,
  options: RunOptions,
): Promise<MeasuredRow> {
  const { size, mongoDb, catalog, log } = shared;
  const analysed = catalog.tracks.filter((t) => t.analysed);
  const client = new MongoClient(v.url, { maxPoolSize: 20 });
  await client.connect();
  const procs: Proc[] = [];
  try {
    const seed = await deadline(
      seedAnalysisStore(client.db(mongoDb), catalog.tracks, (n) => {
        if (n % 5000 < 50 || n === analysed.length) log(`analysis (${v.name}): ${n} tracks`);
      }),
      options.seedMinutes * 60_000,
      `seeding the ${v.name} analysis store`,
    );
    log(`analysis (${v.name}): ${size} tracks in ${seed.seconds.toFixed(1)} s`);

    const analysisSg = await shared.start(`analysis (${v.name})`, 'subgraphs/analysis/src/index.ts', {
      MONGO_URL: v.url,
      MONGO_DB: mongoDb,
    });
    procs.push(analysisSg.proc);
    const gateway = await shared.start(`gateway (${v.name})`, 'gateway/src/index.ts', {
      CATALOG_URL: shared.urls.catalog,
      ANALYSIS_URL: analysisSg.url,
      LIBRARY_GRAPH_URL: shared.urls.graph,
      GATEWAY_AUTH: 'off',
      GATEWAY_RESPONSE_CACHE: 'false',
    });
    procs.push(gateway.proc);
    const busy = [v.pid, analysisSg.proc.child.pid, gateway.proc.child.pid, ...shared.pids];
    const signed = { 'content-type': 'application/json', 'x-tonegraph-subgraph-secret': shared.secret };
    const json = { 'content-type': 'application/json' };
    const rnd = prng(size + 1);
    const pick = () => analysed[rnd.int(analysed.length)]!;
    const run = async (name: string, url: string, headers: Record<string, string>, bodyOf: BodyOf) => {
      await settle(busy);
      const s: Series = await series(url, headers, bodyOf, {
        count: options.requests,
        warmup: 3,
        capMs: options.capMs,
      });
      const figures = s.timedOutAfterMs
        ? `> ${s.timedOutAfterMs / 1000} s`
        : `p50 ${s.p50.toFixed(1)} ms, p95 ${s.p95.toFixed(1)} ms`;
      log(`${v.name} ${name}: ${figures}${s.errors ? `, ${s.errors} errors: ${s.firstError}` : ''}`);
      return s;
    };
    const analysis = {
      entities: await run('_entities (50)', analysisSg.url, signed, () => ({
        query: ENTITIES,
        variables: {
          representations: Array.from({ length: 50 }, () => ({ __typename: 'Track', id: pick().id })),
        },
      })),
      byTempo: await run('tracksByTempo', analysisSg.url, signed, () => {
        const min = Math.round(600 + rnd.next() * 1200) / 10;
        return {
          query: BY_TEMPO,
          variables: { min, max: Math.round(min * 10 + 20 + rnd.next() * 180) / 10 },
        };
      }),
      harmonic: await run('harmonicMatches', analysisSg.url, signed, () => ({
        query: HARMONIC,
        variables: { trackId: pick().id },
      })),
      stats: await run('analysisStats', analysisSg.url, signed, (i) => ({
        query: STATS,
        variables: { bucketSize: [5, 10, 20][i % 3] },
      })),
    };
    const sequential = await run('gateway list page', gateway.url, json, shared.listBody(rnd.int(1e6)));
    let gatewayLoad;
    if (sequential.timedOutAfterMs === undefined) {
      await settle(busy);
      const cpuBefore = await cpuByComponent(COMPONENTS);
      const measured = await load(gateway.url, json, shared.listBody(1e6 + rnd.int(1e6)), {
        connections: options.connections,
        seconds: options.duration,
        capMs: options.capMs,
      });
      const cpuAfter = await cpuByComponent(COMPONENTS);
      // Where the machine's CPU went, per list page answered.
      const cpuMsPerPage = Object.fromEntries(
        [...cpuAfter]
          .map(
            ([name, s]) =>
              [name, ((s - (cpuBefore.get(name) ?? 0)) * 1000) / Math.max(1, measured.requests)] as const,
          )
          .filter(([, ms]) => ms >= 0.5)
          .sort((a, b) => b[1] - a[1])
          .map(([name, ms]) => [name, Math.round(ms * 10) / 10]),
      );
      gatewayLoad = { ...measured, cpuMsPerPage };
      log(
        `${v.name} gateway load: ${gatewayLoad.rps.toFixed(1)} req/s, p95 ${gatewayLoad.p95.toFixed(0)} ms, ` +
          `${gatewayLoad.errors} errors${gatewayLoad.firstError ? `: ${gatewayLoad.firstError}` : ''}; CPU ms per page: ` +
          Object.entries(cpuMsPerPage)
            .map(([name, ms]) => `${name} ${ms}`)
            .join(', '),
      );
    }
    await settle(busy);
    const disk = await v.bytesOnDisk(mongoDb);
    const stats = await dbStats(client, mongoDb);
    const linking =
      options.linkTracks > 0
        ? await linkingRate(client, mongoDb, analysed, options.linkTracks, options.linkSeconds)
        : undefined;
    if (linking)
      log(
        `${v.name} linking: ${linking.tracks} tracks in ${linking.seconds.toFixed(1)} s (${linking.rate.toFixed(0)}/s), ${linking.done} done`,
      );
    return {
      tracks: size,
      variant: v.name,
      label: v.label,
      seedSeconds: { catalog: shared.catalogSeconds, analysis: seed.seconds, graph: shared.graphSeconds },
      analysis,
      gateway: { sequential, load: gatewayLoad },
      bytesPerTrack: {
        catalog: shared.catalogBytes / size,
        graph: shared.graphBytes / size,
        ...(disk ? { analysis: disk.bytes / size } : {}),
      },
      bytesHow: {
        graph: 'Neo4j record stores, estimated from counts (graphBytesEstimate)',
        ...(disk ? { analysis: disk.how } : {}),
      },
      dbStats: stats,
      linking,
    };
  } finally {
    for (const p of procs.reverse()) await shared.stop(p);
    // FerretDB can hold a drop while it finishes the queries of a client that gave up: bounded.
    await Promise.race([
      client.db(mongoDb).dropDatabase(),
      new Promise((r) => setTimeout(r, 60_000).unref()),
    ]).catch((e: unknown) => console.warn(`could not drop ${mongoDb} on ${v.name}: ${String(e)}`));
    await client.close(true);
  }
}
