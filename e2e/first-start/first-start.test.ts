// first-start: `npm start` on empty stores, five times in a row. Each round
// runs tools/stack/src/start-all.ts as a process, as `npm start` does (every
// service at once, default settings), against stores nothing has touched: a
// new PostgreSQL database, a new MongoDB-wire database, and a Neo4j without
// the graph's constraints and indexes — a private Neo4j of this file (the
// shared one keeps its schema for every other test), emptied before each
// round. Every service must become ready and none may exit.
//
// On a fresh machine the library-graph subgraph and ingest once reached
// Neo4j's empty schema at the same moment and one of them crashed. Here that
// moment is made to happen on every round rather than hoped for: until both
// processes that use Neo4j hold a connection to it, a transaction of this
// test holds the Track label, which every schema rule of the graph needs.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import amqp from 'amqplib';
import { MongoClient } from 'mongodb';
import neo4j, { type Driver } from 'neo4j-driver';
import postgres from 'postgres';
import { startPrivateStack, type PrivateStack } from '@tonegraph/stack/private';
import {
  createTestDatabase,
  freePort,
  freePortBase,
  isolation,
  testServices,
  type Isolation,
} from '@tonegraph/testing';
import { graphSchema, missingGraphSchema } from '@tonegraph/library-graph/graph-schema';
import { allQueues, queueNames } from '@tonegraph/queues';
import { clientsOf, emptyNeo4j, holdTrackLabel } from './neo4j-gate.ts';

const ROUNDS = 5;
const repo = path.resolve(import.meta.dirname, '../..');
const startAll = path.join(repo, 'tools/stack/src/start-all.ts');
const services = testServices();
/** The processes of `npm start` that use Neo4j: the library-graph subgraph and ingest. */
const NEO4J_CLIENTS = 2;
/** What start-all prints when a service ends by itself: the supervisor's line, or a plain runner's. */
const EXIT_LINE = /^start: \S+ exited unexpectedly|^start: giving up|^\S+ +\| exited \(/;

let neo4jStack: PrivateStack;
let graph: Driver;
const rounds: Record<string, unknown>[] = [];

before(
  async () => {
    neo4jStack = await startPrivateStack(['neo4j']);
    graph = neo4j.driver(neo4jStack.env.NEO4J_URL!);
  },
  { timeout: 300_000 },
);

after(
  async () => {
    await graph?.close();
    await neo4jStack?.destroy();
    if (rounds.length === 0) return;
    console.table(rounds);
    await mkdir(path.join(import.meta.dirname, '../results'), { recursive: true });
    await writeFile(
      path.join(import.meta.dirname, '../results/first-start.json'),
      `${JSON.stringify(rounds, null, 2)}\n`,
    );
  },
  { timeout: 120_000 },
);

/** start-all as a process, its output kept line by line. */
function startPlatform(env: Record<string, string>): { child: ChildProcess; lines: string[] } {
  // One PORT/HOST for every service would make them collide (start-all removes them too).
  const { PORT: _port, HOST: _host, ...inherited } = process.env;
  const child = spawn(process.execPath, [startAll], {
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let buffered = '';
  const keep = (chunk: string) => {
    const parts = (buffered + chunk).split('\n');
    buffered = parts.pop()!;
    lines.push(...parts);
  };
  child.stdout.setEncoding('utf8').on('data', keep);
  child.stderr.setEncoding('utf8').on('data', keep);
  return { child, lines };
}

const answers = async (url: string): Promise<unknown> => {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    return res.ok ? await res.json() : undefined;
  } catch {
    return undefined;
  }
};

/** The round's queues, MongoDB and PostgreSQL databases, dropped. */
async function dropStores(iso: Isolation, dropDatabase: () => Promise<void>): Promise<void> {
  const mongo = new MongoClient(services.MONGO_URL);
  await mongo.db(iso.mongoDb).dropDatabase();
  await mongo.close();
  const conn = await amqp.connect(services.AMQP_URL);
  const channel = await conn.createChannel();
  for (const q of allQueues(queueNames(`tonegraph.${iso.tag}`, iso.queue('scan-requests'))))
    await channel.deleteQueue(q).catch(() => undefined);
  await conn.close();
  await dropDatabase();
}

for (let round = 1; round <= ROUNDS; round++) {
  test(
    `round ${round} of ${ROUNDS}: every service of npm start becomes ready on empty stores and none exits`,
    { timeout: 600_000 },
    async (t) => {
      await emptyNeo4j(graph);
      assert.deepEqual(
        await missingGraphSchema(graph),
        graphSchema.map((rule) => rule.name),
        'Neo4j starts without the graph schema',
      );
      const iso = isolation();
      const db = await createTestDatabase(services.DATABASE_URL);
      t.after(() => dropStores(iso, () => db.drop()));
      const base = await freePortBase([0, 1, 2, 3]);
      const metricsPort = await freePort();
      const gate = await holdTrackLabel(graph);
      t.after(() => gate.release());
      const started = Date.now();
      const { child, lines } = startPlatform({
        DATABASE_URL: db.url,
        MONGO_URL: services.MONGO_URL,
        MONGO_DB: iso.mongoDb,
        NEO4J_URL: neo4jStack.env.NEO4J_URL!,
        REDIS_URL: services.REDIS_URL,
        REDIS_PREFIX: iso.redisPrefix,
        AMQP_URL: services.AMQP_URL,
        SCAN_QUEUE: iso.queue('scan-requests'),
        QUEUE_PREFIX: `tonegraph.${iso.tag}`,
        START_PORT_BASE: String(base),
        METRICS_PORT: String(metricsPort),
      });
      const exited = new Promise<string>((resolve) =>
        child.once('close', (code, signal) => resolve(`start-all exited (${signal ?? code})`)),
      );
      let ended: string | undefined;
      void exited.then((why) => (ended = why));
      const output = () => lines.slice(-60).join('\n');
      const neo4jPort = Number(new URL(neo4jStack.env.NEO4J_URL!).port);
      const failed = () => ended ?? lines.find((line) => EXIT_LINE.test(line));
      try {
        // The gate opens once both Neo4j clients are connected (or something failed already).
        for (let clients = 0; !failed() && clients < NEO4J_CLIENTS; await sleep(100)) {
          clients = await clientsOf(child.pid!, neo4jPort);
          // Only keeps a broken round from hanging until the file's timeout; not a timing target.
          assert.ok(Date.now() - started < 300_000, `${clients} Neo4j clients after 5 minutes:\n${output()}`);
        }
        await gate.release();
        // Ready: the gateway answers /readyz with every subgraph answering through it, and ingest /healthz.
        const readiness = await (async () => {
          for (;;) {
            const exit = lines.find((line) => EXIT_LINE.test(line));
            assert.equal(exit, undefined, `a service exited before the platform was ready:\n${output()}`);
            assert.equal(ended, undefined, `start-all ended before the platform was ready:\n${output()}`);
            const gateway = (await answers(`http://127.0.0.1:${base}/readyz`)) as
              { subgraphs?: Record<string, string> } | undefined;
            if (gateway && (await answers(`http://127.0.0.1:${metricsPort}/healthz`)) !== undefined)
              return gateway;
            await sleep(250);
          }
        })();
        const readyMs = Date.now() - started;
        assert.deepEqual(readiness.subgraphs, { analysis: 'ok', catalog: 'ok', 'library-graph': 'ok' });
        assert.deepEqual(await missingGraphSchema(graph), [], 'the graph schema is complete');
        const migrated = postgres(db.url, { max: 1, onnotice: () => {} });
        const [{ tables } = { tables: 0 }] = await migrated<{ tables: number }[]>`
          select count(*)::int as tables from information_schema.tables where table_name in ('tracks', 'libraries')`;
        await migrated.end();
        assert.equal(tables, 2, 'the catalog is migrated');
        assert.equal(
          lines.find((line) => EXIT_LINE.test(line)),
          undefined,
          `no service exited:\n${output()}`,
        );
        rounds.push({
          round,
          readySeconds: Math.round(readyMs / 100) / 10,
          // Info lines of the services: who waited for a schema, and who retried a concurrent creation.
          waitedForGraphSchema: lines.some((l) => /waiting for the library graph's constraints/.test(l)),
          graphSchemaRetries: lines.filter((l) => /graph schema: changed concurrently/.test(l)).length,
          waitedForMigrations: lines.some((l) => /waiting for another process's migrations/.test(l)),
        });
      } finally {
        if (!ended) child.kill('SIGTERM');
        await exited;
        await mkdir(path.join(import.meta.dirname, '../results'), { recursive: true });
        await writeFile(
          path.join(import.meta.dirname, `../results/first-start-round-${round}.log`),
          `${lines.join('\n')}\n`,
        );
      }
      assert.equal(child.exitCode, 0, `start-all stops cleanly on SIGTERM:\n${output()}`);
      assert.equal(
        lines.find((line) => /exited unexpectedly|giving up/.test(line)),
        undefined,
        output(),
      );
    },
  );
}
