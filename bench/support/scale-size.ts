// One size of the scale benchmark: the catalog and the library graph seeded
// once, their subgraphs started, then each analysis-store variant in turn;
// everything removed again at the end (also on SIGINT/SIGTERM).
import type { Driver } from 'neo4j-driver';
import type { ServicesConfig } from '@tonegraph/config';
import { freePort } from '@tonegraph/testing';
import { httpOk, startProc, stopProc, type Proc } from './procs.ts';
import { seedScaleCatalog } from './scale-catalog.ts';
import type { BodyOf } from './scale-measure.ts';
import { clearGraph, seedGraph } from './scale-seed.ts';
import { graphBytesEstimate, type StoreVariant } from './scale-stores.ts';
import type { ScaleRow } from './scale-table.ts';
import { measureVariant, type RunOptions, type Shared } from './scale-variant.ts';

export type { RunOptions } from './scale-variant.ts';

/** The 50-track list page of issue 15 (page size and cursor vary). */
const LIST = `query TrackList($first: Int, $after: String, $orderBy: TrackOrder) {
  tracks(first: $first, after: $after, orderBy: $orderBy) { edges { node { id title album { title }
    artists { artist { name } } analysis { tempo { bpm } key { camelot } loudness { integratedLufs } }
    similarTracks(limit: 5) { title } } } } }`;
const CURSORS = `query Cursors($after: String, $orderBy: TrackOrder) {
  tracks(first: 500, after: $after, orderBy: $orderBy) { edges { cursor } pageInfo { hasNextPage endCursor } } }`;
const ORDERS = ['TITLE', 'ADDED_AT', 'YEAR', 'DURATION'].flatMap((field) =>
  ['ASC', 'DESC'].map((direction) => ({ field, direction })),
);

interface SizeContext {
  readonly size: number;
  readonly tag: string;
  readonly secret: string;
  readonly services: ServicesConfig;
  readonly driver: Driver;
  readonly variants: readonly StoreVariant[];
  readonly options: RunOptions;
  /** Tracks per library-graph write and writes in flight; the similarity options of the sync. */
  readonly graph: { batch: number; concurrency: number; fast: boolean };
}

const secs = (t0: number) => (performance.now() - t0) / 1000;
const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

/** Undone in reverse order by {@link cleanUp}, at the end of a size or on a signal. */
const cleanups: (() => Promise<unknown>)[] = [];

/** Runs every registered cleanup, the last first, each even when another fails. */
export async function cleanUp(): Promise<void> {
  for (let c = cleanups.pop(); c; c = cleanups.pop())
    await c().catch((e: unknown) => console.warn(`cleanup: ${String(e)}`));
}

/** Cursors of every list order, `limit` each, none so near the end that its page would be short. */
async function listCursors(url: string, headers: Record<string, string>, size: number) {
  const limit = Math.min(3000, size - 70);
  return Promise.all(
    ORDERS.map(async (orderBy) => {
      const cursors: string[] = [];
      let after: string | null = null;
      while (cursors.length < limit) {
        const res = await fetch(url, {
          method: 'POST',
          headers,
          body: JSON.stringify({ query: CURSORS, variables: { after, orderBy } }),
        });
        const page = (await res.json()) as {
          data: {
            tracks: { edges: { cursor: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string } };
          };
        };
        cursors.push(...page.data.tracks.edges.map((e) => e.cursor));
        if (!page.data.tracks.pageInfo.hasNextPage) break;
        after = page.data.tracks.pageInfo.endCursor;
      }
      return cursors.slice(0, limit);
    }),
  );
}

/** Seeds, measures and clears one size; one row per store variant. */
export async function measureSize(ctx: SizeContext): Promise<ScaleRow[]> {
  const { size, services, driver, options } = ctx;
  const sizeTag = `${ctx.tag}_${size}`;
  try {
    log(`${size} tracks: seeding the catalog`);
    let t0 = performance.now();
    const catalog = await seedScaleCatalog(services.DATABASE_URL, size, sizeTag);
    cleanups.push(() => catalog.database.drop());
    const catalogSeconds = secs(t0);
    const contents = new Set(catalog.tracks.filter((t) => t.analysed).map((t) => t.content.index)).size;
    log(`catalog: ${size} tracks in ${catalogSeconds.toFixed(1)} s; ${contents} analysed contents`);

    t0 = performance.now();
    cleanups.push(() => clearGraph(driver, catalog.tracks, catalog.libraryIds));
    const graphSeconds = await seedGraph(driver, catalog.tracks, ctx.graph, (n) => {
      if (n % 5000 < ctx.graph.batch || n === size) log(`graph: ${n} tracks (${secs(t0).toFixed(0)} s)`);
    });
    const others = new Set(
      catalog.tracks.flatMap((t) => [t.album?.id, t.album?.artistId, ...t.artists.map((a) => a.id)]),
    );
    others.delete(undefined);
    others.delete(null);
    const graphBytes = await graphBytesEstimate(
      driver,
      catalog.tracks.map((t) => t.id),
      others.size + catalog.libraryIds.length,
    );
    log(
      `graph: ${size} tracks in ${graphSeconds.toFixed(1)} s${ctx.graph.fast ? ' (seeding similarity options)' : ''}`,
    );

    // Subgraphs and gateways, as `npm start` runs them.
    const common = { SUBGRAPH_SECRET: ctx.secret, REDIS_PREFIX: `tonegraph:${sizeTag}:`, LOG_LEVEL: 'warn' };
    const started: Proc[] = [];
    cleanups.push(async () => {
      for (const p of started.reverse()) await stopProc(p);
    });
    const start = async (name: string, entry: string, env: Record<string, string>) => {
      const port = await freePort();
      // BENCH_CPU_PROF=catalog,gateway: a V8 CPU profile of those processes in /tmp/prof-<name>.
      const short = name.split(' ')[0]!;
      const profiled = (process.env.BENCH_CPU_PROF ?? '').split(',').includes(short);
      const proc = await startProc(
        name,
        entry,
        { ...common, ...env, PORT: String(port) },
        httpOk(`http://127.0.0.1:${port}/health`),
        profiled ? ['--cpu-prof', `--cpu-prof-dir=/tmp/prof-${short}`] : [],
      );
      started.push(proc);
      return { proc, url: `http://127.0.0.1:${port}/graphql` };
    };
    const stop = async (proc: Proc) => {
      await stopProc(proc);
      started.splice(started.indexOf(proc), 1);
    };
    const catalogSg = await start('catalog', 'subgraphs/catalog/src/index.ts', {
      DATABASE_URL: catalog.database.url,
    });
    const graphSg = await start('library-graph', 'subgraphs/library-graph/src/index.ts', {});
    const signed = { 'content-type': 'application/json', 'x-tonegraph-subgraph-secret': ctx.secret };
    const cursors = await listCursors(catalogSg.url, signed, size);
    // Request k: order k mod 8, then every cursor of that order, then page sizes 40–60: no repeats.
    const listBody =
      (offset: number): BodyOf =>
      (i) => {
        const k = i + offset;
        const o = k % ORDERS.length;
        const list = cursors[o]!;
        const after = list[Math.floor(k / ORDERS.length) % list.length];
        const first = 40 + (Math.floor(k / (ORDERS.length * list.length)) % 21);
        return { query: LIST, variables: { orderBy: ORDERS[o], after, first } };
      };
    const shared: Shared = {
      size,
      mongoDb: `tonegraph_scale_${sizeTag}`,
      catalog,
      catalogSeconds,
      graphSeconds,
      graphBytes,
      catalogBytes: await catalog.bytes(),
      secret: ctx.secret,
      urls: { catalog: catalogSg.url, graph: graphSg.url },
      pids: [catalogSg.proc.child.pid, graphSg.proc.child.pid],
      listBody,
      start,
      stop,
      log,
    };
    const rows: ScaleRow[] = [];
    for (const v of ctx.variants) {
      try {
        rows.push(await measureVariant(shared, v, options));
      } catch (error) {
        log(`${v.name} at ${size} tracks failed: ${String(error)}`);
        rows.push({ tracks: size, variant: v.name, label: v.label, error: String(error) });
      }
    }
    return rows;
  } finally {
    log(`${size} tracks: removing what was seeded`);
    await cleanUp();
  }
}
