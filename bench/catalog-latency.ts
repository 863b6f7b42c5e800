// Latency of one catalog query, directly on the catalog subgraph (the
// baseline) and through the gateway, over a seeded 50,000-track catalog.
// Both servers run as their own processes, as in production.
//   npm run bench -- [--tracks 50000] [--requests 300] [--concurrency 50]
import { parseArgs } from 'node:util';
import { createDb } from '@tonegraph/catalog/db';
import { migrateCatalog } from '@tonegraph/catalog/store';
import { seedCatalog } from '@tonegraph/catalog/seed';
import { createTestDatabase, freePort, testServices } from '@tonegraph/testing';
import { pct } from './support/percentile.ts';
import { httpOk, startProc, stopAll } from './support/procs.ts';

const { values } = parseArgs({
  options: {
    tracks: { type: 'string', default: '50000' },
    requests: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '50' },
  },
});
const QUERY =
  '{ tracks(first: 50) { edges { node { title album { title } artists { artist { name } } } } } }';

async function timeOne(url: string): Promise<number> {
  const started = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: QUERY }),
  });
  const body = (await res.json()) as { errors?: unknown };
  if (!res.ok || body.errors) throw new Error(`request failed: ${res.status} ${JSON.stringify(body.errors)}`);
  return performance.now() - started;
}

async function measure(url: string, requests: number, concurrency: number) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        next++;
        latencies.push(await timeOne(url));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    p50: pct(latencies, 50),
    p95: pct(latencies, 95),
    p99: pct(latencies, 99),
    rps: requests / seconds,
  };
}

const database = await createTestDatabase(testServices().DATABASE_URL);
try {
  const db = createDb(database.url, { poolSize: 4 });
  await migrateCatalog(db);
  const seedStart = performance.now();
  await seedCatalog(db.db, { tracks: Number(values.tracks), albums: 5000, artists: 2000 });
  await db.close();
  console.log(`seeded ${values.tracks} tracks in ${((performance.now() - seedStart) / 1000).toFixed(1)}s`);

  const catalogPort = await freePort();
  const gatewayPort = await freePort();
  const catalogUrl = `http://127.0.0.1:${catalogPort}/graphql`;
  await startProc(
    'catalog',
    'subgraphs/catalog/src/index.ts',
    { DATABASE_URL: database.url, PORT: String(catalogPort) },
    httpOk(`http://127.0.0.1:${catalogPort}/ready`),
  );
  await startProc(
    'gateway',
    'gateway/src/index.ts',
    { PORT: String(gatewayPort), CATALOG_URL: catalogUrl },
    httpOk(`http://127.0.0.1:${gatewayPort}/health`),
  );
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}/graphql`;

  const requests = Number(values.requests);
  const concurrency = Number(values.concurrency);
  const rows: Record<string, string>[] = [];
  for (const [target, url] of [
    ['catalog (baseline)', catalogUrl],
    ['gateway', gatewayUrl],
  ] as const) {
    await measure(url, 30, 1); // warm-up: JIT, pools, query plan cache
    for (const c of [1, concurrency]) {
      const r = await measure(url, requests, c);
      rows.push({
        target,
        concurrency: String(c),
        requests: String(requests),
        'p50 ms': r.p50.toFixed(1),
        'p95 ms': r.p95.toFixed(1),
        'p99 ms': r.p99.toFixed(1),
        'req/s': r.rps.toFixed(0),
      });
    }
  }
  console.log(`\nquery: ${QUERY}\n`);
  console.table(rows);
} finally {
  await stopAll();
  await database.drop();
}
