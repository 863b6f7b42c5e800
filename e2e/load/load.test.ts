// load: during an import, 1,000 concurrent HTTP connections query the
// gateway (a front-end mix: track list with analysis and similar tracks, an
// album page, a search) while 1,000 WebSocket subscribers follow the
// import's progress, for a bounded time. Every request must be answered
// without error within the gateway's own request deadline, every subscriber
// must get events and no error, and afterwards no subscription is left open,
// the import finishes, and no process keeps growing. The memory of every process is reported
// before, at the peak and after. E2E_LOAD_SECONDS (default 20),
// E2E_LOAD_CONNECTIONS and E2E_LOAD_SUBSCRIBERS (default 1000 each),
// E2E_LOAD_FILES (default 300) set the size.
import assert from 'node:assert/strict';
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { createClient, type Client } from 'graphql-ws';
import postgres from 'postgres';
import WebSocket from 'ws';
import { generateLibrary } from '@tonegraph/fixtures/library';
import { gql } from '../support/graphql.ts';
import { startPlatform, type Platform, type PlatformProc } from '../support/platform.ts';

const SECONDS = Number(process.env.E2E_LOAD_SECONDS ?? 20);
const CONNECTIONS = Number(process.env.E2E_LOAD_CONNECTIONS ?? 1000);
const SUBSCRIBERS = Number(process.env.E2E_LOAD_SUBSCRIBERS ?? 1000);
const FILES = Number(process.env.E2E_LOAD_FILES ?? 300);
/** The gateway's request deadline (GATEWAY_REQUEST_TIMEOUT_MS): a client waits as long as the gateway may take. */
const DEADLINE_S = 30;
const root = path.join(tmpdir(), 'tonegraph-e2e-load');
let platform: Platform;

before(
  async () => {
    await mkdir(root, { recursive: true });
    await generateLibrary(path.join(root, `library-${FILES}`), { files: FILES });
    platform = await startPlatform({
      allowedRoot: root,
      gateways: 1,
      ingestWorkers: 1,
      env: {
        // Every subscriber comes from 127.0.0.1, as behind a proxy: the per-IP bound must let them in.
        GATEWAY_WS_MAX_CONNECTIONS_PER_IP: String(SUBSCRIBERS + 100),
        GATEWAY_REQUEST_TIMEOUT_MS: String(DEADLINE_S * 1000),
        ANALYSIS_THREADS: '1',
        ANALYSIS_CONCURRENCY: '2',
      },
    });
  },
  { timeout: 900_000 },
);
after(() => platform?.close(), { timeout: 120_000 });

/** Resident memory of a process, MiB (Linux /proc). */
async function rssMb(proc: PlatformProc): Promise<number> {
  const status = await readFile(`/proc/${proc.child.pid}/status`, 'utf8').catch(() => '');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN) / 1024;
}

interface Job {
  status: string;
  processed: number;
  analysis_done: number;
  analysis_failed: number;
  analysis_total: number;
}

/** Every file scanned and every analysis the scan asked for done (or failed, for a bad file). */
function importFinished(job: Job): boolean {
  return job.status === 'COMPLETED' && job.analysis_done + job.analysis_failed >= job.analysis_total;
}

/** A value of the gateway's /metrics (summed over its label sets). */
async function gatewayMetric(name: string): Promise<number> {
  const text = await (await fetch(platform.gateways[0]!.url.replace('/graphql', '/metrics'))).text();
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) sum += Number(m[1]);
  return sum;
}

test(
  `${CONNECTIONS} HTTP connections and ${SUBSCRIBERS} subscribers for ${SECONDS}s during an import: no errors, no growth after`,
  { timeout: 1_800_000 },
  async (t) => {
    const gateway = platform.gateways[0]!;
    const procs = [...platform.subgraphs, ...platform.gateways, ...platform.ingest];
    const memory = async (): Promise<Record<string, number>> =>
      Object.fromEntries(await Promise.all(procs.map(async (p) => [p.name, await rssMb(p)] as const)));
    const sql = postgres(platform.databaseUrl, { max: 2, onnotice: () => {} });
    try {
      const { addLibrary } = await gql<{ addLibrary: { id: string } }>(
        gateway.url,
        `mutation($path: String!) { addLibrary(path: $path, name: "load") { id } }`,
        { path: path.join(root, `library-${FILES}`) },
      );
      // A few tracks first, so the queries have something to return; then the rest of the import runs under load.
      const { scanLibrary } = await gql<{ scanLibrary: { id: string } }>(
        gateway.url,
        `mutation($id: ID!) { scanLibrary(id: $id, mode: FULL) { id } }`,
        { id: addLibrary.id },
      );
      const job = async () =>
        (
          await sql<Job[]>`
            select status, processed, analysis_done, analysis_failed, analysis_total
            from import_jobs where id = ${scanLibrary.id}`
        )[0]!;
      for (let i = 0; i < 600 && (await job()).processed < 20; i++) await sleep(100);
      const albumIds = (await sql<{ id: string }[]>`select id from albums order by id limit 20`).map(
        (r) => r.id,
      );
      const before = await memory();
      const jobBefore = await job();

      // 1,000 subscribers, each its own WebSocket.
      const subs = { events: 0, errors: [] as string[], subscribersWithEvents: new Set<number>() };
      const clients: Client[] = [];
      const connecting: Promise<void>[] = [];
      for (let i = 0; i < SUBSCRIBERS; i++) {
        const client = createClient({
          url: gateway.url.replace('http', 'ws'),
          webSocketImpl: WebSocket,
          retryAttempts: 0,
          lazy: false,
          on: {
            closed: (e) =>
              void (
                (e as { code?: number }).code !== 1000 &&
                subs.errors.push(`close ${(e as { code?: number }).code}`)
              ),
          },
        });
        clients.push(client);
        connecting.push(
          new Promise<void>((resolve) => {
            let first = true;
            client.subscribe(
              {
                query: `subscription($id: ID!) { importProgress(jobId: $id) { status processed total analysis { processed } } }`,
                variables: { id: scanLibrary.id },
              },
              {
                next: (result) => {
                  if (result.errors) subs.errors.push(JSON.stringify(result.errors).slice(0, 300));
                  subs.events++;
                  subs.subscribersWithEvents.add(i);
                  if (first) {
                    first = false;
                    resolve();
                  }
                },
                error: (e) => {
                  subs.errors.push(String((e as Error).message ?? JSON.stringify(e)).slice(0, 300));
                  resolve();
                },
                complete: () => resolve(),
              },
            );
          }),
        );
        if (i % 100 === 99) await sleep(50); // a burst of handshakes, not a wall
      }
      const subscribed = performance.now();
      await Promise.race([Promise.all(connecting), sleep(120_000)]);
      const subscribeSeconds = (performance.now() - subscribed) / 1000;
      const activeAtPeak = await gatewayMetric('tonegraph_gateway_active_subscriptions');

      // 1,000 HTTP connections for SECONDS.
      const queries = [
        JSON.stringify({
          query: `{ tracks(first: 25) { edges { node { id title album { title } artists { artist { name } }
            analysis { tempo { bpm } key { camelot } } similarTracks(limit: 3) { title } } } } }`,
        }),
        ...albumIds.map((id) =>
          JSON.stringify({
            query: `query($id: ID!) { album(id: $id) { title year albumArtist { name } tracks { title duration } } }`,
            variables: { id },
          }),
        ),
        JSON.stringify({ query: `{ search(text: "track", first: 10) { score node { __typename } } }` }),
      ];
      let graphqlErrors = 0;
      let firstError: string | undefined;
      let peak = before;
      let done = false;
      const sampling = (async () => {
        for (;;) {
          const now = await memory();
          peak = Object.fromEntries(
            Object.entries(peak).map(([k, v]) => [k, Math.max(v, now[k] ?? 0)] as const),
          );
          if (done) return;
          await sleep(1000);
        }
      })();
      const result = await new Promise<autocannon.Result>((resolve, reject) => {
        autocannon(
          {
            url: gateway.url,
            connections: CONNECTIONS,
            duration: SECONDS,
            timeout: DEADLINE_S,
            requests: queries.map((body) => ({
              method: 'POST' as const,
              headers: { 'content-type': 'application/json' },
              body,
              onResponse: (status: number, resBody: string) => {
                if (status === 200 && resBody.includes('"errors"')) {
                  graphqlErrors++;
                  firstError ??= resBody.slice(0, 300);
                }
              },
            })),
          },
          (error: unknown, r) =>
            error ? reject(new Error('autocannon failed', { cause: error })) : resolve(r),
        );
      });
      done = true;
      await sampling;
      const jobAfterLoad = await job();

      // The subscribers leave; nothing of them may stay behind.
      for (const c of clients) await c.dispose();
      let active = await gatewayMetric('tonegraph_gateway_active_subscriptions');
      let upstream = await gatewayMetric('tonegraph_gateway_upstream_subscriptions');
      for (let i = 0; i < 100 && (active > 0 || upstream > 0); i++) {
        await sleep(100);
        active = await gatewayMetric('tonegraph_gateway_active_subscriptions');
        upstream = await gatewayMetric('tonegraph_gateway_upstream_subscriptions');
      }
      // The import the load ran beside finishes: until then ingest is still decoding and analysing, and its
      // memory moves with the files in hand, not with anything left behind. Then memory twice, some seconds
      // apart — nothing may keep growing.
      let jobAtEnd = await job();
      for (let i = 0; i < 600 && !importFinished(jobAtEnd); i++) {
        await sleep(500);
        jobAtEnd = await job();
      }
      await sleep(5000);
      const after5 = await memory();
      await sleep(10_000);
      const after15 = await memory();

      const memoryRows = procs.map((p) => ({
        process: p.name,
        beforeMb: Number(before[p.name]!.toFixed(0)),
        peakMb: Number(peak[p.name]!.toFixed(0)),
        after5sMb: Number(after5[p.name]!.toFixed(0)),
        after15sMb: Number(after15[p.name]!.toFixed(0)),
      }));
      const latency = result.latency;
      const summary = {
        seconds: SECONDS,
        connections: CONNECTIONS,
        subscribers: SUBSCRIBERS,
        files: FILES,
        http: {
          requests: result.requests.total,
          rps: Number(result.requests.average.toFixed(1)),
          p50ms: latency.p50,
          p97_5ms: latency.p97_5,
          p99ms: latency.p99,
          maxMs: latency.max,
          errors: result.errors,
          timeouts: result.timeouts,
          non2xx: result.non2xx,
          graphqlErrors,
        },
        subscriptions: {
          subscribedInSeconds: Number(subscribeSeconds.toFixed(1)),
          activeAtPeak,
          subscribersWithEvents: subs.subscribersWithEvents.size,
          events: subs.events,
          errors: subs.errors.length,
          openAfter: { client: active, upstream },
        },
        import: { before: jobBefore, afterLoad: jobAfterLoad, atEnd: jobAtEnd },
        memory: memoryRows,
      };
      console.table([{ ...summary.http }]);
      console.table([{ ...summary.subscriptions, openAfter: `${active} / ${upstream}` }]);
      console.table(memoryRows);
      t.diagnostic(JSON.stringify(summary));
      await mkdir(path.join(import.meta.dirname, '../results'), { recursive: true });
      await writeFile(
        path.join(import.meta.dirname, '../results/load.json'),
        `${JSON.stringify(summary, null, 2)}\n`,
      );

      assert.equal(result.errors, 0, `transport errors and timeouts (${result.timeouts} timeouts)`);
      assert.equal(result.non2xx, 0, 'non-2xx answers');
      assert.equal(graphqlErrors, 0, `GraphQL errors: ${firstError}`);
      assert.ok(result.requests.total > 0);
      assert.deepEqual(subs.errors.slice(0, 5), [], 'subscriber errors');
      assert.equal(subs.subscribersWithEvents.size, SUBSCRIBERS, 'every subscriber got events');
      assert.ok(jobAfterLoad.processed > jobBefore.processed, 'the import went on under load');
      assert.equal(active, 0, 'no client subscription left open');
      assert.equal(upstream, 0, 'no upstream subscription left open');
      assert.ok(importFinished(jobAtEnd), `the import finished (${JSON.stringify(jobAtEnd)})`);
      for (const row of memoryRows)
        assert.ok(
          row.after15sMb <= row.after5sMb * 1.1 + 16,
          `${row.process} does not keep growing after the load (${row.after5sMb} → ${row.after15sMb} MiB)`,
        );
    } finally {
      await sql.end();
    }
  },
);
