// The whole platform as separate processes, as `npm start` runs it, for the
// e2e scenarios and the console's browser test: catalog, analysis,
// library-graph, gateways and ingest workers on free ports, on the shared
// stack's servers but isolated from every other run.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import postgres from 'postgres';
import type { ServicesConfig } from '@tonegraph/config';
import { createDriver } from '@tonegraph/library-graph/driver';
import { createGraphSync } from '@tonegraph/library-graph/sync';
import {
  createTestDatabase,
  eventually,
  freePort,
  isolation,
  testServices,
  type TestDatabase,
} from '@tonegraph/testing';
import { catalogChangedChannel } from '@tonegraph/topics';
import { allQueues, queueNames } from '@tonegraph/queues';
import { exitOf, httpOk, inheritedEnv, listensOn, startProc, type Proc } from './proc.ts';

/** A process of the platform and the URL tests talk to: a gateway's `/graphql`, ingest's `/metrics`, a subgraph's `/health`. */
export interface PlatformProc extends Proc {
  readonly url: string;
}

export interface PlatformOptions {
  /** Folder libraries may be added under. */
  readonly allowedRoot: string;
  readonly gateways?: number;
  readonly ingestWorkers?: number;
  /** Extra environment for every process. */
  readonly env?: Record<string, string>;
  /** The servers to run on; default the shared stack's (`npm test` sets them). */
  readonly services?: Pick<
    ServicesConfig,
    'DATABASE_URL' | 'MONGO_URL' | 'NEO4J_URL' | 'REDIS_URL' | 'AMQP_URL'
  >;
  /** Write each process's whole output to `<logDir>/<name>.log` (besides the tail kept for failures). */
  readonly logDir?: string;
  /** Also start the Subsonic service, proxied by every gateway at /rest/; default false. */
  readonly subsonic?: boolean;
}

export interface Platform {
  readonly gateways: readonly PlatformProc[];
  readonly ingest: readonly PlatformProc[];
  /** catalog, analysis, library-graph. */
  readonly subgraphs: readonly PlatformProc[];
  /** The Subsonic service, when `subsonic` was asked for (its `url` is its base URL). */
  readonly subsonic: PlatformProc | undefined;
  /** The subgraphs' GraphQL endpoints, as the gateways are given them. */
  readonly subgraphUrls: Readonly<Record<'catalog' | 'analysis' | 'library-graph', string>>;
  readonly databaseUrl: string;
  readonly mongoDb: string;
  readonly queuePrefix: string;
  /** Starts one more gateway over the same subgraphs, with `env` on top (e.g. auth on); stopped by `close()`. */
  startGateway(name: string, env?: Record<string, string>): Promise<PlatformProc>;
  /** Starts a process of the platform again after it exited (e.g. killed by a test). */
  restart(proc: PlatformProc): Promise<PlatformProc>;
  /**
   * A rolling restart of a process that listens (a subgraph or a gateway):
   * starts its replacement on the same port (REUSE_PORT), waits until the
   * replacement listens, then sends the old one SIGTERM and waits for it to
   * exit. Resolves to the replacement and how the old one ended.
   */
  replace(
    proc: PlatformProc,
  ): Promise<{ proc: PlatformProc; exitCode: number | null; signal: string | null; stopMs: number }>;
  /**
   * Sends a change notice, as ingest does after a commit: the gateways empty
   * their response caches (which would otherwise serve complete answers
   * cached before, e.g., a subgraph stopped).
   */
  notifyChange(): Promise<void>;
  /**
   * Stops every process, the last started first, then removes what the run
   * stored: its Neo4j tracks, MongoDB database, queues and PostgreSQL
   * database. Every step runs even when one fails. Idempotent.
   */
  close(): Promise<void>;
}

/** How a process was started, to start it again. */
interface Recipe {
  readonly entry: string;
  readonly env: Record<string, string>;
  /** What answers 2xx once it is up. */
  readonly ready: string;
  readonly url: string;
}

/**
 * Starts the platform: the three subgraphs, `gateways` gateways (default 1,
 * each ready with every subgraph) and `ingestWorkers` workers (default 1),
 * with their own PostgreSQL database, MongoDB database, queues and Redis
 * prefix; Neo4j nodes are keyed by this run's fresh ids.
 */
export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  const services = options.services ?? testServices();
  const iso = isolation();
  const ports = { catalog: await freePort(), analysis: await freePort(), graph: await freePort() };
  const subgraphUrls = {
    catalog: `http://127.0.0.1:${ports.catalog}/graphql`,
    analysis: `http://127.0.0.1:${ports.analysis}/graphql`,
    'library-graph': `http://127.0.0.1:${ports.graph}/graphql`,
  } as const;
  const testDb: TestDatabase = await createTestDatabase(services.DATABASE_URL);
  const queuePrefix = `tonegraph.${iso.tag}`;
  const scanQueue = iso.queue('scan-requests');
  const common: NodeJS.ProcessEnv = {
    ...inheritedEnv(),
    MONGO_URL: services.MONGO_URL,
    NEO4J_URL: services.NEO4J_URL,
    REDIS_URL: services.REDIS_URL,
    AMQP_URL: services.AMQP_URL,
    DATABASE_URL: testDb.url,
    MONGO_DB: iso.mongoDb,
    REDIS_PREFIX: iso.redisPrefix,
    SCAN_QUEUE: scanQueue,
    QUEUE_PREFIX: queuePrefix,
    // As `npm start` does: the gateway signs its subgraph requests, the subgraphs check.
    SUBGRAPH_SECRET: randomBytes(24).toString('hex'),
    // As `npm start` does: the catalog signs stream URLs, the gateway verifies them.
    STREAM_SECRET: randomBytes(24).toString('hex'),
    LIBRARY_ALLOWED_ROOTS: options.allowedRoot,
    INGEST_WATCH_MODE: 'off',
    GATEWAY_AUTH: 'off',
    // Ports are this run's own; sharing one lets replace() start a process beside the one it replaces.
    REUSE_PORT: 'true',
    LOG_LEVEL: 'warn',
    ...options.env,
  };
  const procs: PlatformProc[] = [];
  let subsonic: PlatformProc | undefined;
  const recipes = new Map<string, Recipe>();
  /** `ready` answering is not enough beside another process on the same port: with `mustListen` this child must listen. */
  const start = async (name: string, recipe: Recipe, mustListen = false): Promise<PlatformProc> => {
    recipes.set(name, recipe);
    const port = Number(new URL(recipe.ready).port);
    const proc = await startProc(
      name,
      recipe.entry,
      { ...common, ...recipe.env },
      async (child) => (await httpOk(recipe.ready)()) && (!mustListen || listensOn(child.pid!, port)),
      options.logDir ? { logFile: path.join(options.logDir, `${name}.log`) } : {},
    );
    const running = { ...proc, url: recipe.url };
    procs.push(running);
    return running;
  };
  const startGateway = async (name: string, env: Record<string, string> = {}) => {
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const gateway = await start(name, {
      entry: 'gateway/src/index.ts',
      env: {
        PORT: String(port),
        CATALOG_URL: subgraphUrls.catalog,
        ANALYSIS_URL: subgraphUrls.analysis,
        LIBRARY_GRAPH_URL: subgraphUrls['library-graph'],
        ...(subsonic ? { SUBSONIC_URL: subsonic.url } : {}),
        ...env,
      },
      ready: `${origin}/health`,
      url: `${origin}/graphql`,
    });
    // Ready for clients once every subgraph answers through it.
    await eventually(httpOk(`${origin}/ready`), {
      retryErrors: true,
      timeoutMs: 90_000,
      intervalMs: 100,
      what: () => `${name} ready with every subgraph:\n${gateway.tail()}`,
    });
    return gateway;
  };
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      const failures: unknown[] = [];
      const step = async (what: () => Promise<unknown>) => {
        await what().catch((error: unknown) => failures.push(error));
      };
      for (const proc of [...procs].reverse()) await step(() => proc.stop());
      await step(() => removeGraphTracks(testDb.url, services.NEO4J_URL));
      await step(() => dropMongoDb(services.MONGO_URL, iso.mongoDb));
      await step(() => deleteQueues(services.AMQP_URL, queuePrefix, scanQueue));
      await step(() => testDb.drop());
      if (failures.length > 0) throw new AggregateError(failures, 'platform cleanup failed');
    })());
  try {
    const subgraph = (name: string, entry: string, port: number) => {
      const health = `http://127.0.0.1:${port}/health`;
      return start(name, { entry, env: { PORT: String(port) }, ready: health, url: health });
    };
    const subgraphs = await Promise.all([
      subgraph('catalog', 'subgraphs/catalog/src/index.ts', ports.catalog),
      subgraph('analysis', 'subgraphs/analysis/src/index.ts', ports.analysis),
      subgraph('library-graph', 'subgraphs/library-graph/src/index.ts', ports.graph),
    ]);
    if (options.subsonic) {
      const port = await freePort();
      const origin = `http://127.0.0.1:${port}`;
      subsonic = await start('subsonic', {
        entry: 'subsonic/src/index.ts',
        env: { PORT: String(port), LIBRARY_GRAPH_URL: subgraphUrls['library-graph'] },
        ready: `${origin}/ready`,
        url: origin,
      });
    }
    const gateways: PlatformProc[] = [];
    for (let i = 0; i < (options.gateways ?? 1); i++) gateways.push(await startGateway(`gateway-${i + 1}`));
    const ingest: PlatformProc[] = [];
    for (let i = 0; i < (options.ingestWorkers ?? 1); i++) {
      const port = await freePort();
      ingest.push(
        await start(`ingest-${i + 1}`, {
          entry: 'ingest/src/index.ts',
          env: { METRICS_PORT: String(port) },
          ready: `http://127.0.0.1:${port}/healthz`,
          url: `http://127.0.0.1:${port}/metrics`,
        }),
      );
    }
    return {
      gateways,
      ingest,
      subgraphs,
      subsonic,
      subgraphUrls,
      databaseUrl: testDb.url,
      mongoDb: iso.mongoDb,
      queuePrefix,
      startGateway,
      async restart(proc) {
        const recipe = recipes.get(proc.name);
        if (!recipe) throw new Error(`unknown process ${proc.name}`);
        return start(proc.name, recipe);
      },
      async replace(proc) {
        const recipe = recipes.get(proc.name);
        if (!recipe) throw new Error(`unknown process ${proc.name}`);
        const next = await start(proc.name, recipe, true);
        const t0 = performance.now();
        const exited = exitOf(proc.child);
        proc.child.kill('SIGTERM');
        const { exitCode, signal } = await exited;
        return { proc: next, exitCode, signal, stopMs: performance.now() - t0 };
      },
      async notifyChange() {
        const redis = new Redis(services.REDIS_URL);
        try {
          await redis.publish(
            catalogChangedChannel(iso.redisPrefix),
            JSON.stringify({ source: 'test', at: new Date().toISOString() }),
          );
        } finally {
          redis.disconnect();
        }
      },
      close,
    };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}

/** Removes this run's tracks (those its catalog holds) from the shared Neo4j. */
async function removeGraphTracks(databaseUrl: string, neo4jUrl: string): Promise<void> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const ids = await sql<{ id: string }[]>`select id from tracks`
    .then((rows) => rows.map((r) => r.id))
    .finally(() => sql.end());
  if (ids.length === 0) return;
  const driver = createDriver(neo4jUrl);
  const sync = createGraphSync(driver);
  try {
    await sync.removeTracks(ids);
  } finally {
    await sync.close();
    await driver.close();
  }
}

async function dropMongoDb(url: string, db: string): Promise<void> {
  const mongo = await MongoClient.connect(url);
  try {
    await mongo.db(db).dropDatabase();
  } finally {
    await mongo.close();
  }
}

async function deleteQueues(url: string, prefix: string, scanQueue: string): Promise<void> {
  const conn = await amqp.connect(url);
  try {
    const channel = await conn.createChannel();
    channel.on('error', () => {});
    for (const queue of allQueues(queueNames(prefix, scanQueue)))
      await channel.deleteQueue(queue).catch(() => undefined);
  } finally {
    await conn.close().catch(() => undefined);
  }
}
