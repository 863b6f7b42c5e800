// graceful: during an import through two ingest workers and under a steady
// query load on two gateways, every process of the platform gets SIGTERM in
// turn — each ingest worker (then started again), each subgraph and each
// gateway (a rolling restart: the replacement starts on the same port, then
// the old one is told to stop). Every process must exit 0 of its own accord,
// no request a server accepted may fail, both progress subscribers follow the
// import to its end, and the import completes with every file counted once.
// E2E_GRACEFUL_FILES sets the size (default 150).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'graphql-ws';
import postgres from 'postgres';
import WebSocket from 'ws';
import { generateLibrary } from '@tonegraph/fixtures/library';
import { gql } from '../support/graphql.ts';
import { startPlatform, type Platform, type PlatformProc } from '../support/platform.ts';

const FILES = Number(process.env.E2E_GRACEFUL_FILES ?? 150);
/** Concurrent query loops, each pausing THINK_MS between answers (a front end, not a flood: see the load scenario). */
const CLIENTS = 6;
const THINK_MS = 100;
const root = path.join(tmpdir(), 'tonegraph-e2e-graceful');
let platform: Platform;
let files: string[];

before(
  async () => {
    await mkdir(root, { recursive: true });
    ({ files } = await generateLibrary(path.join(root, `library-${FILES}`), { files: FILES }));
    platform = await startPlatform({
      allowedRoot: root,
      gateways: 2,
      ingestWorkers: 2,
      // Two cores: one analysis thread per worker keeps the import going for the whole sequence.
      env: { ANALYSIS_THREADS: '1', ANALYSIS_CONCURRENCY: '2' },
    });
  },
  { timeout: 900_000 },
);
after(() => platform?.close(), { timeout: 120_000 });

/** What a front end asks while an import runs: fields of all three subgraphs. */
const QUERIES = [
  `{ tracks(first: 20) { totalCount edges { node { id title album { title } artists { artist { name } }
     analysis { status tempo { bpm } key { camelot } } similarTracks(limit: 3) { title } } } } }`,
  `{ libraries { name status trackCount } importJobs(first: 5) { edges { node { status processed total } } } }`,
  `{ albums(first: 10) { edges { node { title tracks { title } } } } }`,
  `{ analysisStats { total pending done failed } }`,
];

interface Load {
  /** Answers from a server that had accepted the request. */
  answered: number;
  /** Of those, answers that were errors (HTTP ≥ 500 or GraphQL `errors`): must stay 0. */
  failed: { step: string; status: number; body: string }[];
  /** Requests no server accepted (connection refused or closed before any answer), sent again elsewhere. */
  notAccepted: number;
  /** Answers per step of the sequence. */
  perStep: Map<string, number>;
}

/**
 * Query loops over both gateways, like a client behind a load balancer: a
 * request that no server accepted goes to the other gateway; an answer is
 * an answer, and an error answer is a failure.
 */
function startLoad(urls: () => readonly string[], step: () => string) {
  const load: Load = { answered: 0, failed: [], notAccepted: 0, perStep: new Map() };
  let running = true;
  const loop = async (k: number) => {
    for (let i = k; running; i++) {
      const targets = urls();
      const query = QUERIES[i % QUERIES.length]!;
      for (let attempt = 0; running; attempt++) {
        const url = targets[(i + attempt) % targets.length]!;
        let res: Response;
        try {
          res = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ query }),
            signal: AbortSignal.timeout(60_000),
          });
        } catch (error) {
          // fetch rejects before any response: refused, or the connection closed under it.
          load.notAccepted++;
          if ((error as Error).name === 'TimeoutError') throw error;
          await sleep(attempt < 3 ? 20 : 200);
          continue;
        }
        const text = await res.text();
        load.answered++;
        load.perStep.set(step(), (load.perStep.get(step()) ?? 0) + 1);
        if (res.status >= 500 || text.includes('"errors"'))
          load.failed.push({ step: step(), status: res.status, body: text.slice(0, 500) });
        await sleep(THINK_MS);
        break;
      }
    }
  };
  const loops = Array.from({ length: CLIENTS }, (_, k) => loop(k));
  return {
    load,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

interface Progress {
  status: string;
  processed: number;
  total: number;
  analysis: { processed: number; total: number };
}

/** Follows a job on one gateway, resubscribing when the gateway goes away (1001) and comes back. */
function follow(url: () => string, jobId: string) {
  const seen: Progress[] = [];
  let reconnects = 0;
  const client = createClient({
    url: () => url().replace('http', 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 50,
    shouldRetry: () => true,
    retryWait: async () => sleep(200),
    on: { connected: () => reconnects++ },
  });
  const done = (async () => {
    try {
      for (;;) {
        for await (const result of client.iterate<{ importProgress: Progress }>({
          query: `subscription($id: ID!) { importProgress(jobId: $id) { status processed total analysis { processed total } } }`,
          variables: { id: jobId },
        })) {
          if (result.errors) throw new Error(JSON.stringify(result.errors));
          seen.push(result.data!.importProgress);
          if (['COMPLETED', 'FAILED', 'CANCELLED'].includes(result.data!.importProgress.status)) return seen;
        }
        // The stream ended without a final state (the gateway went away): subscribe again.
        await sleep(200);
      }
    } finally {
      await client.dispose();
    }
  })();
  return { done, reconnects: () => reconnects - 1 };
}

test(
  `SIGTERM to every process in turn during an import of ${FILES} files under query load: nothing accepted fails`,
  { timeout: 1_800_000 },
  async (t) => {
    const started = performance.now();
    let step = 'running';
    const gateways = [...platform.gateways];
    const { addLibrary } = await gql<{ addLibrary: { id: string } }>(
      gateways[0]!.url,
      `mutation($path: String!) { addLibrary(path: $path, name: "graceful") { id } }`,
      { path: path.join(root, `library-${FILES}`) },
    );
    const { scanLibrary } = await gql<{ scanLibrary: { id: string } }>(
      gateways[1]!.url,
      `mutation($id: ID!) { scanLibrary(id: $id, mode: FULL) { id } }`,
      { id: addLibrary.id },
    );
    const followers = [0, 1].map((i) => follow(() => gateways[i]!.url, scanLibrary.id));
    const traffic = startLoad(
      () => gateways.map((g) => g.url),
      () => step,
    );
    const { load } = traffic;
    const stop = () => traffic.stop();

    const sql = postgres(platform.databaseUrl, { max: 2, onnotice: () => {} });
    const job = async () =>
      (
        await sql<{ status: string; processed: number; total: number; analysis_done: number }[]>`
          select status, processed, total, analysis_done from import_jobs where id = ${scanLibrary.id}`
      )[0]!;
    try {
      // Let the import get going under load.
      for (let i = 0; i < 600 && (await job()).processed < Math.min(20, FILES / 10); i++) await sleep(100);
      await sleep(1500);

      const stops: {
        process: string;
        how: string;
        exitCode: number | null;
        signal: string | null;
        stopMs: number;
        importAt: string;
        /** The process's last output lines: what a failed cleanup logged. */
        output: string;
      }[] = [];
      const record = async (
        proc: PlatformProc,
        how: string,
        r: { exitCode: number | null; signal: string | null; stopMs: number },
      ) => {
        const name = proc.name;
        const j = await job();
        stops.push({
          process: name,
          how,
          exitCode: r.exitCode,
          signal: r.signal,
          stopMs: Math.round(r.stopMs),
          importAt: `${j.status} ${j.processed}/${j.total} files, ${j.analysis_done} analysed`,
          output: proc.tail().split('\n').slice(-15).join('\n'),
        });
      };
      /** SIGTERM, wait for the exit, start it again (ingest has no port to share). */
      const stopAndStart = async (proc: PlatformProc) => {
        step = `${proc.name} stopping`;
        const t0 = performance.now();
        const exited = once(proc.child, 'exit') as Promise<[number | null, string | null]>;
        proc.child.kill('SIGTERM');
        const [exitCode, signal] = await exited;
        await record(proc, 'SIGTERM, then started again', {
          exitCode,
          signal,
          stopMs: performance.now() - t0,
        });
        step = `${proc.name} restarting`;
        return platform.restart(proc);
      };
      /** Rolling: the replacement first, then SIGTERM to the old one. */
      const roll = async (proc: PlatformProc) => {
        step = `${proc.name} rolling`;
        const r = await platform.replace(proc);
        await record(proc, 'replacement started, then SIGTERM', r);
        return r.proc;
      };

      const ingest = [...platform.ingest];
      const subgraphs = [...platform.subgraphs];
      for (const order of [
        async () => (ingest[0] = await stopAndStart(ingest[0]!)),
        async () => (subgraphs[0] = await roll(subgraphs[0]!)), // catalog
        async () => (ingest[1] = await stopAndStart(ingest[1]!)),
        async () => (subgraphs[1] = await roll(subgraphs[1]!)), // analysis
        async () => (subgraphs[2] = await roll(subgraphs[2]!)), // library-graph
        async () => (gateways[0] = await roll(gateways[0]!)),
        async () => (gateways[1] = await roll(gateways[1]!)),
      ]) {
        await order();
        step = 'running';
        await sleep(1500);
      }

      // The import resumes and completes.
      let state = await job();
      for (let i = 0; i < 6000 && !(state.status === 'COMPLETED' && state.analysis_done === FILES); i++) {
        await sleep(200);
        state = await job();
      }
      step = 'after';
      await sleep(2000);
      await stop();
      const seen = await Promise.all(followers.map((f) => f.done));
      const seconds = (performance.now() - started) / 1000;

      const tracks = await sql<{ file_path: string }[]>`select file_path from tracks`;
      const summary = {
        files: FILES,
        seconds: Number(seconds.toFixed(1)),
        stops: stops.map(({ output: _, ...row }) => row),
        queries: {
          answered: load.answered,
          failed: load.failed.length,
          notAccepted: load.notAccepted,
          perStep: Object.fromEntries(load.perStep),
        },
        progressEvents: seen.map((s) => s.length),
        subscriberReconnects: followers.map((f) => f.reconnects()),
        job: state,
        catalogTracks: tracks.length,
      };
      console.table(stops.map(({ output: _, ...row }) => row));
      console.table([
        {
          files: FILES,
          seconds: summary.seconds,
          answered: load.answered,
          failed: load.failed.length,
          notAccepted: load.notAccepted,
          progressEvents: summary.progressEvents.join(' / '),
          reconnects: summary.subscriberReconnects.join(' / '),
          tracks: tracks.length,
        },
      ]);
      t.diagnostic(JSON.stringify(summary));
      await mkdir(path.join(import.meta.dirname, '../results'), { recursive: true });
      await writeFile(
        path.join(import.meta.dirname, '../results/graceful.json'),
        `${JSON.stringify(summary, null, 2)}\n`,
      );

      for (const s of stops)
        assert.equal(
          s.exitCode,
          0,
          `${s.process} exited 0 on its own (${s.signal ?? ''}); its last lines:\n${s.output}`,
        );
      assert.deepEqual(load.failed, [], 'no accepted request failed');
      assert.ok(load.answered > 0);
      for (const [name, n] of load.perStep) assert.ok(n > 0, `queries were answered while ${name}`);
      assert.equal(state.status, 'COMPLETED');
      assert.equal(state.processed, FILES);
      assert.equal(state.total, FILES);
      assert.equal(state.analysis_done, FILES);
      for (const s of seen) assert.equal(s.at(-1)!.status, 'COMPLETED', 'each subscriber saw the end');
      assert.deepEqual(
        tracks.map((r) => r.file_path).sort(),
        [...files].sort(),
        'catalog = disk, nothing lost or twice',
      );
    } finally {
      await stop();
      await sql.end();
    }
  },
);
