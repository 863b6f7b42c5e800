// chaos: during an import through two ingest workers, one worker is killed
// with SIGKILL five times at random moments (and restarted), then
// PostgreSQL, RabbitMQ, Redis, the MongoDB-wire server and Neo4j are
// restarted one after another, while a client keeps querying the gateway.
// At the end the stores agree with the disk, nothing lost or duplicated, and
// the gateway answers again. The servers are a private stack, so the shared
// one keeps serving every other test. E2E_CHAOS_FILES sets the size (default 150).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MongoClient } from 'mongodb';
import neo4j from 'neo4j-driver';
import postgres from 'postgres';
import { generateLibrary } from '@tonegraph/fixtures/library';
import { startPrivateStack, type PrivateStack, type ServiceName } from '@tonegraph/stack/private';
import { startPlatform, type Platform } from '../support/platform.ts';

const FILES = Number(process.env.E2E_CHAOS_FILES ?? 150);
const root = path.join(tmpdir(), 'tonegraph-e2e-chaos');
let stack: PrivateStack;
let platform: Platform;
let files: string[];

before(
  async () => {
    await mkdir(root, { recursive: true });
    ({ files } = await generateLibrary(path.join(root, `library-${FILES}`), { files: FILES }));
    stack = await startPrivateStack(['postgres', 'redis', 'rabbitmq', 'ferretdb', 'neo4j']);
    const env = stack.env as Record<string, string>;
    platform = await startPlatform({
      allowedRoot: root,
      gateways: 1,
      ingestWorkers: 2,
      services: {
        DATABASE_URL: env.DATABASE_URL!,
        MONGO_URL: env.MONGO_URL!,
        NEO4J_URL: env.NEO4J_URL!,
        REDIS_URL: env.REDIS_URL!,
        AMQP_URL: env.AMQP_URL!,
      },
      env: { INGEST_RETRY_DELAY_MS: '500', INGEST_CONCURRENCY: '16' },
    });
  },
  { timeout: 900_000 },
);
after(
  async () => {
    await platform?.close();
    await stack?.destroy();
  },
  { timeout: 300_000 },
);

async function gql<T>(url: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(15_000),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors).slice(0, 300));
  return body.data!;
}

test(
  `${FILES} files: five kill -9 of a worker and a restart of every server; nothing lost, nothing twice`,
  { timeout: 1_800_000 },
  async (t) => {
    const gateway = platform.gateways[0]!;
    const { addLibrary } = await gql<{ addLibrary: { id: string } }>(
      gateway.url,
      `mutation($path: String!) { addLibrary(path: $path, name: "chaos") { id } }`,
      { path: path.join(root, `library-${FILES}`) },
    );
    const { scanLibrary } = await gql<{ scanLibrary: { id: string } }>(
      gateway.url,
      `mutation($id: ID!) { scanLibrary(id: $id, mode: FULL) { id } }`,
      { id: addLibrary.id },
    );
    const job = () =>
      gql<{
        importJob: {
          status: string;
          processed: number;
          total: number;
          analysis: { processed: number; total: number };
        };
      }>(
        gateway.url,
        `query($id: ID!) { importJob(id: $id) { status processed total analysis { processed total } } }`,
        { id: scanLibrary.id },
      ).then((d) => d.importJob);

    // A client querying throughout; each answer is tagged with what was down at the time.
    let phase = 'running';
    const answers: { phase: string; ok: boolean; error?: string }[] = [];
    let querying = true;
    const client = (async () => {
      while (querying) {
        const ok = await gql(
          gateway.url,
          '{ tracks(first: 5) { edges { node { title analysis { tempo { bpm } } } } } }',
        ).then(
          () => ({ ok: true }),
          (error: unknown) => ({ ok: false, error: String(error).slice(0, 300) }),
        );
        answers.push({ phase, ...ok });
        await sleep(100);
      }
    })();

    // Five kills of a worker at random moments, each restarted.
    const kills: number[] = [];
    const ingest = [...platform.ingest];
    for (let k = 0; k < 5; k++) {
      await sleep(1000 + Math.random() * 3000);
      const i = k % ingest.length;
      const victim = ingest[i]!;
      const state = await job().catch(() => undefined);
      victim.child.kill('SIGKILL');
      await once(victim.child, 'exit');
      kills.push(state?.processed ?? -1);
      ingest[i] = await platform.restart(victim);
    }

    // Then every server, one after another.
    const outages: Record<string, number> = {};
    for (const name of ['postgres', 'rabbitmq', 'redis', 'ferretdb', 'neo4j'] as ServiceName[]) {
      phase = `${name} down`;
      const started = performance.now();
      await stack.stop(name);
      await sleep(1000);
      await stack.start(name);
      outages[name] = Math.round(performance.now() - started);
      phase = 'running';
      await sleep(1000);
    }

    // The import finishes.
    let state = await job().catch(() => undefined);
    for (let i = 0; i < 1200 && state?.status !== 'COMPLETED'; i++) {
      await sleep(500);
      state = await job().catch(() => undefined);
    }
    // Everything is back when every subgraph reaches its database and the gateway its subgraphs.
    const readiness = [
      ...platform.subgraphs.map((p) => p.url.replace(/\/health$/, '/ready')),
      ...platform.gateways.map((p) => p.url.replace(/\/healthz$/, '/readyz')),
    ];
    const ready = () =>
      Promise.all(
        readiness.map((url) =>
          fetch(url, { signal: AbortSignal.timeout(5000) }).then(
            (r) => r.ok,
            () => false,
          ),
        ),
      ).then((all) => all.every(Boolean));
    for (let i = 0; i < 120 && !(await ready()); i++) await sleep(500);
    phase = 'after';
    await sleep(3000);
    querying = false;
    await client;

    assert.equal(state?.status, 'COMPLETED');
    assert.equal(state.processed, FILES);
    assert.equal(state.analysis.processed, FILES);
    const sql = postgres(platform.databaseUrl, { max: 2, onnotice: () => {} });
    const mongo = new MongoClient(stack.env.MONGO_URL!);
    const driver = neo4j.driver(stack.env.NEO4J_URL!);
    try {
      const tracks = await sql<{ id: string; file_path: string }[]>`select id, file_path from tracks`;
      assert.deepEqual(tracks.map((r) => r.file_path).sort(), [...files].sort(), 'catalog = disk, once each');
      const ids = tracks.map((r) => r.id);
      await mongo.connect();
      const analysed = await mongo
        .db(platform.mongoDb)
        .collection<{ _id: string; status: string }>('tracks')
        .countDocuments({ _id: { $in: ids }, status: 'done' });
      assert.equal(analysed, FILES, 'every track analysed once');
      let nodes = 0;
      for (let i = 0; i < 150 && nodes < FILES; i++) {
        const { records } = await driver.executeQuery(
          'MATCH (t:Track) WHERE t.id IN $ids RETURN count(t) AS n',
          { ids },
        );
        nodes = Number(records[0]!.get('n'));
        if (nodes < FILES) await sleep(200);
      }
      assert.equal(nodes, FILES, 'every track in the graph');
    } finally {
      await sql.end();
      await mongo.close();
      await driver.close();
    }

    const rate = (p: (a: { phase: string }) => boolean) => {
      const some = answers.filter(p);
      return { queries: some.length, errors: some.filter((a) => !a.ok).length };
    };
    const afterAll = rate((a) => a.phase === 'after');
    assert.ok(afterAll.queries > 0);
    assert.equal(
      afterAll.errors,
      0,
      `the gateway answers again once everything is back: ${JSON.stringify(answers.filter((a) => a.phase === 'after' && !a.ok))}`,
    );
    const summary = {
      files: FILES,
      killedAtProcessed: kills,
      outageMs: outages,
      queries: Object.fromEntries(
        [...new Set(answers.map((a) => a.phase))].map((ph) => [ph, rate((a) => a.phase === ph)]),
      ),
    };
    console.log(JSON.stringify(summary, null, 2));
    t.diagnostic(JSON.stringify(summary));
    await mkdir(path.join(import.meta.dirname, '../results'), { recursive: true });
    await writeFile(
      path.join(import.meta.dirname, '../results/chaos.json'),
      `${JSON.stringify(summary, null, 2)}\n`,
    );
  },
);
