// The whole platform as child processes, the way `npm start` runs it, but on
// free ports and isolated stores: a fresh PostgreSQL database, its own MongoDB
// database, queue names and Redis prefix. Each process logs to
// e2e/results/console/logs/<name>.log.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import { connectMongo } from '@tonegraph/analysis/db';
import { createDriver } from '@tonegraph/library-graph/driver';
import { createGraphSync } from '@tonegraph/library-graph/sync';
import { createTestDatabase, freePort, isolation, testServices } from '@tonegraph/testing';
import { catalogChangedChannel } from '@tonegraph/topics';
import { allQueues, queueNames } from '@tonegraph/queues';

export const repoRoot = path.resolve(import.meta.dirname, '../..');
export const resultsDir = path.join(repoRoot, 'e2e', 'results', 'console');

export interface Service {
  readonly name: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

export interface Platform {
  /** The gateway's origin, e.g. http://127.0.0.1:41234. */
  readonly gatewayUrl: string;
  readonly subgraphUrls: Readonly<Record<'catalog' | 'analysis' | 'library-graph', string>>;
  /** Starts one more gateway over the same subgraphs (e.g. with auth on). */
  startGateway(name: string, env: Record<string, string>): Promise<Service & { readonly url: string }>;
  /** Stops one service (e.g. a subgraph, to see the console without it). */
  stopService(name: string): Promise<void>;
  /**
   * Sends a change notice, as ingest does after a commit: the gateways empty
   * their response caches (which would otherwise serve complete answers
   * cached before, e.g., a subgraph stopped).
   */
  notifyChange(): Promise<void>;
  /** Stops everything and removes what the run stored; idempotent. */
  close(): Promise<void>;
}

async function waitFor(what: string, check: () => Promise<boolean>, child: ChildProcess, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`${what} exited with ${child.exitCode} (see ${resultsDir}/logs)`);
    if (await check().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`${what} not ready within ${timeoutMs / 1000}s (see ${resultsDir}/logs)`);
}

const answers = (url: string) => async () => (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;
// Subgraphs refuse unsigned requests when SUBGRAPH_SECRET is set (packages/subgraph-auth).
const answersGraphQL = (url: string, secret: string) => async () =>
  (
    await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tonegraph-subgraph-secret': secret },
      body: JSON.stringify({ query: '{ __typename }' }),
      signal: AbortSignal.timeout(2000),
    })
  ).ok;

async function start(name: string, main: string, env: NodeJS.ProcessEnv): Promise<Service> {
  await mkdir(path.join(resultsDir, 'logs'), { recursive: true });
  const log = createWriteStream(path.join(resultsDir, 'logs', `${name}.log`));
  const child = spawn(process.execPath, [path.join(repoRoot, main)], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopping: Promise<void> | undefined;
  return {
    name,
    child,
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const fuse = setTimeout(() => child.kill('SIGKILL'), 20_000);
          await exited;
          clearTimeout(fuse);
        }
      })();
      return stopping;
    },
  };
}

/** Starts catalog, analysis, library-graph, the gateway and ingest; `root` is the allowed library root. */
export async function startPlatform(root: string): Promise<Platform> {
  const services = testServices();
  const iso = isolation();
  const secret = randomBytes(24).toString('hex');
  const db = await createTestDatabase(services.DATABASE_URL);
  const scanQueue = iso.queue('scan-requests');
  const queuePrefix = `tonegraph.${iso.tag}`;
  const [catalogPort, analysisPort, graphPort, gatewayPort, metricsPort] = await Promise.all(
    Array.from({ length: 5 }, () => freePort()),
  );
  // One PORT/HOST for every service would make them collide (as in start-all.ts).
  const { PORT: _port, HOST: _host, ...inherited } = process.env;
  const base: NodeJS.ProcessEnv = {
    ...inherited,
    TONEGRAPH_ENV: 'development',
    LOG_LEVEL: 'info',
    DATABASE_URL: db.url,
    MONGO_DB: iso.mongoDb,
    REDIS_PREFIX: iso.redisPrefix,
    SCAN_QUEUE: scanQueue,
    QUEUE_PREFIX: queuePrefix,
    // As `npm start` does: the gateway signs its subgraph requests, the subgraphs check.
    SUBGRAPH_SECRET: secret,
  };
  const subgraphUrls = {
    catalog: `http://127.0.0.1:${catalogPort}/graphql`,
    analysis: `http://127.0.0.1:${analysisPort}/graphql`,
    'library-graph': `http://127.0.0.1:${graphPort}/graphql`,
  } as const;
  const gatewayEnv = {
    ...base,
    CATALOG_URL: subgraphUrls.catalog,
    ANALYSIS_URL: subgraphUrls.analysis,
    LIBRARY_GRAPH_URL: subgraphUrls['library-graph'],
    // Two cores shared with other test files: give a slow subgraph fetch more than the default 10 s.
    SUBGRAPH_TIMEOUT_MS: '25000',
  };
  const running: Service[] = [];

  async function startGateway(name: string, env: Record<string, string>) {
    const port = await freePort();
    const gateway = await start(name, 'gateway/src/index.ts', { ...gatewayEnv, ...env, PORT: String(port) });
    running.push(gateway);
    await waitFor(name, answers(`http://127.0.0.1:${port}/health`), gateway.child);
    return Object.assign(gateway, { url: `http://127.0.0.1:${port}` });
  }

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      // Track ids first (for the shared Neo4j), while the catalog still answers.
      const ids = await trackIds(`http://127.0.0.1:${gatewayPort}/graphql`).catch(() => [] as string[]);
      for (const service of [...running].reverse()) await service.stop();
      await cleanup(ids).catch((error: unknown) =>
        process.stderr.write(`console test cleanup: ${String(error)}\n`),
      );
    })());

  async function cleanup(ids: readonly string[]) {
    const mongo = await connectMongo(services.MONGO_URL);
    await mongo.db(iso.mongoDb).dropDatabase();
    await mongo.close();
    if (ids.length > 0) {
      const driver = createDriver(services.NEO4J_URL);
      const sync = createGraphSync(driver);
      await sync.removeTracks(ids);
      await sync.close();
      await driver.close();
    }
    const conn = await amqp.connect(services.AMQP_URL);
    const channel = await conn.createChannel();
    for (const q of allQueues(queueNames(queuePrefix, scanQueue)))
      await channel.deleteQueue(q).catch(() => undefined);
    await conn.close();
    await db.drop();
  }

  try {
    const catalog = await start('catalog', 'subgraphs/catalog/src/index.ts', {
      ...base,
      PORT: String(catalogPort),
      LIBRARY_ALLOWED_ROOTS: root,
    });
    running.push(catalog);
    const analysis = await start('analysis', 'subgraphs/analysis/src/index.ts', {
      ...base,
      PORT: String(analysisPort),
    });
    running.push(analysis);
    const graph = await start('library-graph', 'subgraphs/library-graph/src/index.ts', {
      ...base,
      PORT: String(graphPort),
    });
    running.push(graph);
    await waitFor('catalog', answersGraphQL(subgraphUrls.catalog, secret), catalog.child);
    await waitFor('analysis', answersGraphQL(subgraphUrls.analysis, secret), analysis.child);
    await waitFor('library-graph', answersGraphQL(subgraphUrls['library-graph'], secret), graph.child);
    // Two cores are shared with other test files: one analysis thread, a modest prefetch.
    const ingest = await start('ingest', 'ingest/src/index.ts', {
      ...base,
      METRICS_PORT: String(metricsPort),
      INGEST_WATCH_MODE: 'off',
      INGEST_CONCURRENCY: '16',
      ANALYSIS_THREADS: '1',
      ANALYSIS_CONCURRENCY: '2',
    });
    running.push(ingest);
    const gateway = await start('gateway', 'gateway/src/index.ts', {
      ...gatewayEnv,
      PORT: String(gatewayPort),
    });
    running.push(gateway);
    const origin = `http://127.0.0.1:${gatewayPort}`;
    // /ready (or /readyz): every subgraph answers through the gateway.
    await waitFor(
      'gateway',
      async () => (await answers(`${origin}/ready`)()) || answers(`${origin}/readyz`)(),
      gateway.child,
    );
    await waitFor('ingest', answers(`http://127.0.0.1:${metricsPort}/healthz`), ingest.child);
  } catch (error) {
    await close();
    throw error;
  }
  const stopService = async (name: string) => {
    const service = running.find((r) => r.name === name);
    if (!service) throw new Error(`no service ${name}`);
    await service.stop();
  };
  const notifyChange = async () => {
    const redis = new Redis(services.REDIS_URL);
    try {
      await redis.publish(
        catalogChangedChannel(iso.redisPrefix),
        JSON.stringify({ source: 'test', at: new Date().toISOString() }),
      );
    } finally {
      redis.disconnect();
    }
  };
  return {
    gatewayUrl: `http://127.0.0.1:${gatewayPort}`,
    subgraphUrls,
    startGateway,
    stopService,
    notifyChange,
    close,
  };
}

async function trackIds(url: string): Promise<string[]> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ tracks(first: 500) { edges { node { id } } } }' }),
    signal: AbortSignal.timeout(5000),
  });
  const body = (await response.json()) as { data?: { tracks: { edges: { node: { id: string } }[] } } };
  return body.data?.tracks.edges.map((e) => e.node.id) ?? [];
}
