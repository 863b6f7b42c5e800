// Federated subscriptions under fan-out: N graphql-ws subscribers of one
// library's events on one Tonegraph gateway, against the same subscribers
// directly on the catalog subgraph (the baseline), in the same run. Events
// are published on the catalog's Redis channel as ingest publishes them;
// measured: publish-to-delivery latency and resident memory per subscriber.
//   npm run bench -- subscriptions [--subscribers 1000] [--events 30] [--rate 2]
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createClient, type Client } from 'graphql-ws';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { createDb } from '@tonegraph/catalog/db';
import { migrateCatalog } from '@tonegraph/catalog/store';
import { SUBGRAPH_SECRET_PARAM } from '@tonegraph/subgraph-auth';
import { createTestDatabase, freePort, isolation, testServices } from '@tonegraph/testing';
import { libraryEventsChannel, type LibraryEvent } from '@tonegraph/topics';
import { httpOk, load1, rssMb, startProc, stopAll, stopProc, type Proc } from './support/procs.ts';
import { pct } from './support/percentile.ts';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    subscribers: { type: 'string', default: '1000' },
    events: { type: 'string', default: '30' },
    rate: { type: 'string', default: '2' },
  },
});
const subscribers = Number(values.subscribers);
const events = Number(values.events);
const rate = Number(values.rate);

const QUERY = `subscription Events($lib: ID!) {
  libraryEvents(libraryId: $lib) { type at progress { status processed total } } }`;

const services = testServices();
const iso = isolation();
const database = await createTestDatabase(services.DATABASE_URL);
const redis = new Redis(services.REDIS_URL);
const secret = randomBytes(24).toString('hex');

interface Result {
  target: string;
  subscribers: number;
  connectSeconds: number;
  events: number;
  expected: number;
  delivered: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** RSS of the serving process before any subscriber, and with all of them subscribed, MiB. */
  rssBeforeMb: number;
  rssAfterMb: number;
  kbPerSubscriber: number;
  /** RSS of the catalog subgraph with the gateway's upstream subscriptions (gateway run only). */
  catalogRssAfterMb?: number;
  load1Before: string;
  load1After: string;
}

/** Sends one event of the library's channel; `seq` goes in `processed`. */
async function publish(libraryId: string, seq: number): Promise<void> {
  const event: LibraryEvent = {
    type: 'IMPORT_PROGRESS',
    jobId: '00000000-0000-4000-8000-000000000000',
    libraryId,
    status: 'RUNNING',
    total: 1_000_000,
    processed: seq,
    failed: 0,
    skipped: 0,
    at: new Date().toISOString(),
  };
  await redis.publish(libraryEventsChannel(iso.redisPrefix, libraryId), JSON.stringify(event));
}

interface Payload {
  data?: { libraryEvents?: { progress?: { processed: number } | null } };
  errors?: unknown;
}

async function measure(
  target: string,
  url: string,
  server: Proc,
  libraryId: string,
  connectionParams: Record<string, string>,
  catalog?: Proc,
): Promise<Result> {
  const load1Before = load1();
  const rssBeforeMb = await rssMb(server.child.pid!);
  const publishedAt = new Map<number, number>();
  const latencies: number[] = [];
  const seen = Array.from({ length: subscribers }, () => new Set<number>());
  let errors = 0;
  const clients: Client[] = [];
  const t0 = performance.now();
  // Connect and subscribe in batches, so the handshakes do not all time out together.
  for (let i = 0; i < subscribers; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, subscribers - i) }, (_, k) => {
        const index = i + k;
        return new Promise<void>((resolve, reject) => {
          const client = createClient({
            url,
            webSocketImpl: WebSocket,
            connectionParams,
            retryAttempts: 0,
            lazy: false,
            on: {
              connected: () => resolve(),
              closed: (e) => reject(new Error(`closed: ${JSON.stringify(e)}`)),
            },
          });
          clients.push(client);
          client.subscribe<Payload['data']>(
            { query: QUERY, variables: { lib: libraryId } },
            {
              next: (msg) => {
                const received = performance.now();
                const seq = msg.data?.libraryEvents?.progress?.processed;
                if (msg.errors || seq === undefined) {
                  errors++;
                  return;
                }
                seen[index]!.add(seq);
                const sent = publishedAt.get(seq);
                if (sent !== undefined && seq > 0) latencies.push(received - sent);
              },
              error: () => errors++,
              complete: () => {},
            },
          );
        });
      }),
    );
  }
  const connectSeconds = (performance.now() - t0) / 1000;
  // Probes (negative seq) until every subscriber has one: all subscriptions are live upstream.
  for (let probe = -1; ; probe--) {
    await publish(libraryId, probe);
    await sleep(500);
    if (seen.every((s) => [...s].some((x) => x < 0))) break;
    if (probe < -60) throw new Error(`${target}: subscribers not all live after 30 s`);
  }
  await sleep(1000);
  const rssAfterMb = await rssMb(server.child.pid!);
  const catalogRssAfterMb = catalog ? await rssMb(catalog.child.pid!) : undefined;

  for (let seq = 1; seq <= events; seq++) {
    publishedAt.set(seq, performance.now());
    await publish(libraryId, seq);
    await sleep(1000 / rate);
  }
  await sleep(2000); // the last deliveries
  const delivered = seen.reduce((n, s) => n + [...s].filter((x) => x > 0).length, 0);
  await Promise.all(clients.map((c) => Promise.resolve(c.dispose())));
  latencies.sort((a, b) => a - b);
  return {
    target,
    subscribers,
    connectSeconds,
    events,
    expected: events * subscribers,
    delivered: delivered - errors,
    p50: pct(latencies, 50),
    p95: pct(latencies, 95),
    p99: pct(latencies, 99),
    max: latencies.at(-1) ?? NaN,
    rssBeforeMb,
    rssAfterMb,
    kbPerSubscriber: ((rssAfterMb - rssBeforeMb) * 1024) / subscribers,
    ...(catalogRssAfterMb === undefined ? {} : { catalogRssAfterMb }),
    load1Before,
    load1After: load1(),
  };
}

try {
  const db = createDb(database.url, { poolSize: 2 });
  await migrateCatalog(db);
  const [library] = await db.sql<{ id: string }[]>`
    insert into libraries (name, path) values ('bench', ${`/bench/${iso.tag}`}) returning id`;
  await db.close();
  const libraryId = library!.id;

  const ports = { catalog: await freePort(), gateway: await freePort(), other: await freePort() };
  const common = {
    DATABASE_URL: database.url,
    REDIS_PREFIX: iso.redisPrefix,
    MONGO_DB: iso.mongoDb,
    SUBGRAPH_SECRET: secret,
  };
  const catalog = await startProc(
    'catalog',
    'subgraphs/catalog/src/index.ts',
    { ...common, PORT: String(ports.catalog) },
    httpOk(`http://127.0.0.1:${ports.catalog}/health`),
  );
  const catalogUrl = `ws://127.0.0.1:${ports.catalog}/graphql`;
  const direct = await measure('catalog direct', catalogUrl, catalog, libraryId, {
    [SUBGRAPH_SECRET_PARAM]: secret,
  });
  console.log(
    `catalog direct: p95 ${direct.p95.toFixed(1)} ms, ${direct.delivered}/${direct.expected} delivered`,
  );

  const gatewayProc = await startProc(
    'gateway',
    'gateway/src/index.ts',
    {
      ...common,
      PORT: String(ports.gateway),
      GATEWAY_AUTH: 'off',
      GATEWAY_WS_MAX_CONNECTIONS_PER_IP: String(subscribers + 100),
      CATALOG_URL: `http://127.0.0.1:${ports.catalog}/graphql`,
      ANALYSIS_URL: `http://127.0.0.1:${ports.other}/graphql`,
      LIBRARY_GRAPH_URL: `http://127.0.0.1:${ports.other}/graphql`,
    },
    httpOk(`http://127.0.0.1:${ports.gateway}/health`),
  );
  await sleep(2000); // settle before the memory baseline
  const gateway = await measure(
    'tonegraph gateway',
    `ws://127.0.0.1:${ports.gateway}/graphql`,
    gatewayProc,
    libraryId,
    {},
    catalog,
  );
  await stopProc(gatewayProc);

  const results = [direct, gateway];
  console.log(
    `\n${subscribers} subscribers, ${events} events at ${rate}/s; ${os.availableParallelism()} cores; ` +
      `load average now ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
  );
  console.table(
    results.map((r) => ({
      target: r.target,
      subscribers: r.subscribers,
      'connect s': r.connectSeconds.toFixed(1),
      delivered: `${r.delivered}/${r.expected}`,
      'p50 ms': r.p50.toFixed(1),
      'p95 ms': r.p95.toFixed(1),
      'p99 ms': r.p99.toFixed(1),
      'max ms': r.max.toFixed(0),
      'RSS before MiB': r.rssBeforeMb.toFixed(0),
      'RSS after MiB': r.rssAfterMb.toFixed(0),
      'KiB/subscriber': r.kbPerSubscriber.toFixed(1),
      load: `${r.load1Before}→${r.load1After}`,
    })),
  );
  console.log(
    `gateway p95 ${gateway.p95.toFixed(1)} ms (target < 100 ms), ${(gateway.p95 / direct.p95).toFixed(2)}x the direct p95; ` +
      `catalog RSS with the gateway's ${subscribers} upstream subscriptions: ${gateway.catalogRssAfterMb?.toFixed(0)} MiB`,
  );
  await mkdir('bench/results', { recursive: true });
  await writeFile(
    'bench/results/subscriptions.json',
    `${JSON.stringify(
      {
        at: new Date().toISOString(),
        subscribers,
        events,
        rate,
        cores: os.availableParallelism(),
        loadavg: os.loadavg(),
        query: QUERY,
        results,
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await stopAll();
  redis.disconnect();
  await database.drop();
}
