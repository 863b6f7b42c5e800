import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { readFile, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import amqp from 'amqplib';
import type { ServicesConfig } from '@tonegraph/config';
import { createTestDatabase, freePort, isolation, testServices, type TestDatabase } from '@tonegraph/testing';
import { allQueues, queueNames } from '@tonegraph/queues';

const repo = path.resolve(import.meta.dirname, '../..');

/** One Tonegraph process of a platform. */
export interface Proc {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
  /** The last lines it wrote, for failure messages. */
  tail(): string;
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
}

export interface Platform {
  readonly gateways: readonly Proc[];
  readonly ingest: readonly Proc[];
  /** catalog, analysis, library-graph. */
  readonly subgraphs: readonly Proc[];
  readonly databaseUrl: string;
  readonly mongoDb: string;
  readonly queuePrefix: string;
  /** Starts a process of the platform again after it exited (e.g. killed by a test). */
  restart(proc: Proc): Promise<Proc>;
  /**
   * A rolling restart of a process that listens (a subgraph or a gateway):
   * starts its replacement on the same port (REUSE_PORT), waits until the
   * replacement listens, then sends the old one SIGTERM and waits for it to
   * exit. Resolves to the replacement and how the old one ended.
   */
  replace(
    proc: Proc,
  ): Promise<{ proc: Proc; exitCode: number | null; signal: string | null; stopMs: number }>;
  close(): Promise<void>;
}

/**
 * The whole platform as separate processes, as `npm start` runs it, on the
 * shared stack's servers but isolated from every other run: its own
 * PostgreSQL database, MongoDB database, queues and Redis prefix. Neo4j
 * nodes are keyed by this run's fresh ids.
 */
export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  const services = options.services ?? testServices();
  const iso = isolation();
  const testDb: TestDatabase = await createTestDatabase(services.DATABASE_URL);
  const queuePrefix = `tonegraph.${iso.tag}`;
  const common: Record<string, string> = {
    ...(process.env as Record<string, string>),
    MONGO_URL: services.MONGO_URL,
    NEO4J_URL: services.NEO4J_URL,
    REDIS_URL: services.REDIS_URL,
    AMQP_URL: services.AMQP_URL,
    DATABASE_URL: testDb.url,
    MONGO_DB: iso.mongoDb,
    REDIS_PREFIX: iso.redisPrefix,
    SCAN_QUEUE: iso.queue('scan-requests'),
    QUEUE_PREFIX: queuePrefix,
    SUBGRAPH_SECRET: randomBytes(24).toString('hex'),
    LIBRARY_ALLOWED_ROOTS: options.allowedRoot,
    INGEST_WATCH_MODE: 'off',
    GATEWAY_AUTH: 'off',
    // Ports are this run's own; sharing one lets replace() start a process beside the one it replaces.
    REUSE_PORT: 'true',
    LOG_LEVEL: 'warn',
    ...options.env,
  };
  const procs: Proc[] = [];
  const starts = new Map<string, { entry: string; env: Record<string, string>; ready: string }>();
  /** `ready` answering is not enough beside another process on the same port: this child must listen. */
  const start = async (
    name: string,
    entry: string,
    env: Record<string, string>,
    ready: string,
    mustListen = false,
  ) => {
    const child = spawn(process.execPath, [path.join(repo, entry)], {
      env: { ...common, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    const keep = (chunk: Buffer) => {
      log = (log + chunk.toString('utf8')).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const proc: Proc = { name, url: ready, child, tail: () => log };
    procs.push(proc);
    starts.set(name, { entry, env, ready });
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`${name} exited ${child.exitCode}:\n${log}`);
      const ok = await fetch(ready).then(
        (r) => r.ok,
        () => false,
      );
      if (ok && (!mustListen || (await listensOn(child.pid!, Number(new URL(ready).port))))) return proc;
      if (i > 600) throw new Error(`${name} not ready at ${ready} within 60 s:\n${log}`);
      await sleep(100);
    }
  };
  try {
    const ports = { catalog: await freePort(), analysis: await freePort(), graph: await freePort() };
    const subgraphs = await Promise.all([
      start(
        'catalog',
        'subgraphs/catalog/src/index.ts',
        { PORT: String(ports.catalog) },
        `http://127.0.0.1:${ports.catalog}/health`,
      ),
      start(
        'analysis',
        'subgraphs/analysis/src/index.ts',
        { PORT: String(ports.analysis) },
        `http://127.0.0.1:${ports.analysis}/health`,
      ),
      start(
        'library-graph',
        'subgraphs/library-graph/src/index.ts',
        { PORT: String(ports.graph) },
        `http://127.0.0.1:${ports.graph}/health`,
      ),
    ]);
    const gateways: Proc[] = [];
    for (let i = 0; i < (options.gateways ?? 1); i++) {
      const port = await freePort();
      const proc = await start(
        `gateway-${i + 1}`,
        'gateway/src/index.ts',
        {
          PORT: String(port),
          CATALOG_URL: `http://127.0.0.1:${ports.catalog}/graphql`,
          ANALYSIS_URL: `http://127.0.0.1:${ports.analysis}/graphql`,
          LIBRARY_GRAPH_URL: `http://127.0.0.1:${ports.graph}/graphql`,
        },
        `http://127.0.0.1:${port}/health`,
      );
      gateways.push({ ...proc, url: `http://127.0.0.1:${port}/graphql` });
    }
    const ingest: Proc[] = [];
    for (let i = 0; i < (options.ingestWorkers ?? 1); i++) {
      const port = await freePort();
      const proc = await start(
        `ingest-${i + 1}`,
        'ingest/src/index.ts',
        { METRICS_PORT: String(port) },
        `http://127.0.0.1:${port}/healthz`,
      );
      ingest.push({ ...proc, url: `http://127.0.0.1:${port}/metrics` });
    }
    let closing: Promise<void> | undefined;
    return {
      gateways,
      ingest,
      subgraphs,
      databaseUrl: testDb.url,
      mongoDb: iso.mongoDb,
      queuePrefix,
      async restart(proc) {
        const how = starts.get(proc.name);
        if (!how) throw new Error(`unknown process ${proc.name}`);
        const again = await start(proc.name, how.entry, how.env, how.ready);
        return { ...again, url: proc.url };
      },
      async replace(proc) {
        const how = starts.get(proc.name);
        if (!how) throw new Error(`unknown process ${proc.name}`);
        const next = await start(proc.name, how.entry, how.env, how.ready, true);
        const t0 = performance.now();
        const exited = once(proc.child, 'exit') as Promise<[number | null, string | null]>;
        proc.child.kill('SIGTERM');
        const [exitCode, signal] = await exited;
        return { proc: { ...next, url: proc.url }, exitCode, signal, stopMs: performance.now() - t0 };
      },
      close() {
        closing ??= (async () => {
          await stopAll(procs);
          await deleteQueues(services.AMQP_URL, queuePrefix, common.SCAN_QUEUE!);
          await testDb.drop();
        })();
        return closing;
      },
    };
  } catch (error) {
    await stopAll(procs);
    await testDb.drop();
    throw error;
  }
}

/** Whether process `pid` holds a listening TCP socket on `port` (Linux /proc). */
async function listensOn(pid: number, port: number): Promise<boolean> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is ip:port; st 0A is LISTEN; the inode is the 10th field.
      if (f[1]?.endsWith(`:${hex}`) && f[3] === '0A' && f[9]) inodes.add(f[9]);
    }
  }
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  for (const fd of fds) {
    const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
    if (inode && inodes.has(inode)) return true;
  }
  return false;
}

async function stopAll(procs: readonly Proc[]): Promise<void> {
  await Promise.all(
    procs.map(async (p) => {
      if (p.child.exitCode !== null || p.child.signalCode !== null) return;
      p.child.kill('SIGTERM');
      const timer = setTimeout(() => p.child.kill('SIGKILL'), 20_000);
      await once(p.child, 'exit');
      clearTimeout(timer);
    }),
  );
}

async function deleteQueues(url: string, prefix: string, scanQueue: string): Promise<void> {
  const conn = await amqp.connect(url);
  const ch = await conn.createChannel();
  ch.on('error', () => {});
  for (const queue of allQueues(queueNames(prefix, scanQueue))) await ch.deleteQueue(queue).catch(() => {});
  await conn.close().catch(() => {});
}
