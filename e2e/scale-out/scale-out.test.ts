// scale-out: two ingest workers and two gateways on one stack import a
// generated library; RabbitMQ spreads the work over both workers, the
// subscribers of both gateways see the import to its end, and afterwards the
// three stores agree with the disk. The gateways run with authentication on,
// and the subscribers ask for fields of all three subgraphs in every
// progress event (the last track's analysis and similar tracks). E2E_FILES
// sets the size (default 200; the full scenario is 20000).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createClient } from 'graphql-ws';
import { MongoClient } from 'mongodb';
import neo4j from 'neo4j-driver';
import postgres from 'postgres';
import WebSocket from 'ws';
import { generateLibrary } from '@tonegraph/fixtures/library';
import { createGraphSync } from '@tonegraph/library-graph/sync';
import { testServices } from '@tonegraph/testing';
import { gql as request } from '../support/graphql.ts';
import { startPlatform, type Platform } from '../support/platform.ts';

const FILES = Number(process.env.E2E_FILES ?? 200);
const root = path.join(tmpdir(), 'tonegraph-e2e');
/** Authentication is on: one key that may read and write, one that may only read. */
const ADMIN_KEY = randomBytes(24).toString('base64url');
const READ_KEY = randomBytes(24).toString('base64url');
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
      env: {
        GATEWAY_AUTH: 'on',
        GATEWAY_API_KEYS: `e2e-admin:${ADMIN_KEY}:read+admin,e2e-read:${READ_KEY}:read`,
      },
    });
  },
  { timeout: 1_800_000 },
);
after(() => platform?.close(), { timeout: 120_000 });

/** Operations as the admin key. */
const gql = <T>(url: string, query: string, variables: Record<string, unknown> = {}) =>
  request<T>(url, query, variables, { authorization: `Bearer ${ADMIN_KEY}` });

interface Progress {
  status: string;
  processed: number;
  total: number;
  analysis: { processed: number; total: number };
  /** From the catalog; its analysis from the analysis subgraph, its similar tracks from the library graph. */
  lastTrack: {
    title: string;
    analysis: { tempo: { bpm: number } | null } | null;
    similarTracks: { title: string }[];
  } | null;
}

/** Follows a job's progress on one gateway until it ends; resolves to every event seen. */
function follow(url: string, jobId: string): Promise<Progress[]> {
  const client = createClient({
    url: url.replace('http', 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 3,
    connectionParams: { authorization: `Bearer ${READ_KEY}` },
  });
  const events: Progress[] = [];
  return (async () => {
    try {
      for await (const result of client.iterate<{ importProgress: Progress }>({
        query: `subscription($id: ID!) { importProgress(jobId: $id) {
          status processed total analysis { processed total } job { library { name } }
          lastTrack { title analysis { tempo { bpm } } similarTracks(limit: 3) { title } } } }`,
        variables: { id: jobId },
      })) {
        if (result.errors) throw new Error(JSON.stringify(result.errors));
        events.push(result.data!.importProgress);
        if (['COMPLETED', 'FAILED', 'CANCELLED'].includes(result.data!.importProgress.status)) break;
      }
      return events;
    } finally {
      await client.dispose();
    }
  })();
}

test(
  `${FILES} files through two ingest workers and two gateways: every store agrees with the disk`,
  { timeout: 1_800_000 },
  async (t) => {
    const [g1, g2] = platform.gateways;
    const started = performance.now();
    const { addLibrary } = await gql<{ addLibrary: { id: string } }>(
      g1!.url,
      `mutation($path: String!) { addLibrary(path: $path, name: "e2e") { id } }`,
      { path: path.join(root, `library-${FILES}`) },
    );
    const { scanLibrary } = await gql<{ scanLibrary: { id: string } }>(
      g2!.url,
      `mutation($id: ID!) { scanLibrary(id: $id, mode: FULL) { id } }`,
      { id: addLibrary.id },
    );
    const [seen1, seen2] = await Promise.all([
      follow(g1!.url, scanLibrary.id),
      follow(g2!.url, scanLibrary.id),
    ]);
    const seconds = (performance.now() - started) / 1000;
    for (const seen of [seen1, seen2]) {
      const last = seen.at(-1)!;
      assert.equal(last.status, 'COMPLETED');
      assert.equal(last.processed, FILES);
      assert.equal(last.analysis.processed, FILES);
      assert.ok(seen.length >= 2, 'live events, not just the final state');
      // Payloads joined across the three subgraphs: an analysed last track has its tempo.
      const joined = seen.filter((e) => e.lastTrack?.analysis?.tempo);
      assert.ok(joined.length > 0, 'some events carry the last track with its analysis');
      assert.ok(seen.every((e) => !e.lastTrack || Array.isArray(e.lastTrack.similarTracks)));
    }

    // Both workers took part.
    const handled = await Promise.all(
      platform.ingest.map(async (p) => {
        const text = await (await fetch(p.url)).text();
        return Number(/^tonegraph_ingest_files_total\{result="done"\} (\d+)$/m.exec(text)?.[1] ?? 0);
      }),
    );
    for (const n of handled) assert.ok(n > 0, `each worker handled files (${handled.join(', ')})`);

    // The three stores and the disk.
    const sql = postgres(platform.databaseUrl, { max: 2, onnotice: () => {} });
    const mongo = new MongoClient(testServices().MONGO_URL);
    const driver = neo4j.driver(testServices().NEO4J_URL);
    try {
      const tracks = await sql<{ id: string; file_path: string }[]>`select id, file_path from tracks`;
      const ids = tracks.map((r) => r.id);
      assert.deepEqual(
        tracks.map((r) => r.file_path).sort(),
        [...files].sort(),
        'catalog = disk, no duplicates',
      );
      await mongo.connect();
      const analysed = await mongo
        .db(platform.mongoDb)
        .collection<{ _id: string; status: string }>('tracks')
        .find({ _id: { $in: ids } })
        .toArray();
      assert.equal(analysed.filter((d) => d.status === 'done').length, FILES, 'analysis = catalog');
      const { records } = await driver.executeQuery(
        'MATCH (t:Track) WHERE t.id IN $ids RETURN count(t) AS n',
        { ids },
      );
      let graphCount = Number(records[0]!.get('n'));
      // The graph stage does not hold the job: give its last batches a moment.
      for (let i = 0; i < 100 && graphCount < FILES; i++) {
        await new Promise((r) => setTimeout(r, 200));
        graphCount = Number(
          (
            await driver.executeQuery('MATCH (t:Track) WHERE t.id IN $ids RETURN count(t) AS n', { ids })
          ).records[0]!.get('n'),
        );
      }
      assert.equal(graphCount, FILES, 'graph = catalog');

      // And it all answers through a gateway.
      const page = await gql<{
        tracks: {
          edges: {
            node: {
              title: string;
              analysis: { tempo: { bpm: number } | null } | null;
              similarTracks: { title: string }[];
            };
          }[];
        };
      }>(
        g1!.url,
        `{ tracks(first: 20) { edges { node { title analysis { tempo { bpm } key { camelot } loudness { integratedLufs truePeakDbtp } }
          similarTracks(limit: 5) { title } } } } }`,
      );
      assert.equal(page.tracks.edges.length, Math.min(20, FILES));
      assert.ok(page.tracks.edges.every((e) => e.node.analysis !== null));

      const summary = {
        files: FILES,
        seconds: Number(seconds.toFixed(1)),
        filesPerSecond: Number((FILES / seconds).toFixed(1)),
        filesPerWorker: handled,
        progressEvents: [seen1.length, seen2.length],
        eventsWithLastTrackAnalysis: [seen1, seen2].map(
          (s) => s.filter((e) => e.lastTrack?.analysis?.tempo).length,
        ),
        catalogTracks: tracks.length,
        analysisDocuments: analysed.length,
        graphTrackNodes: graphCount,
      };
      console.table([summary]);
      t.diagnostic(JSON.stringify(summary));
      await mkdir(path.join(import.meta.dirname, '../results'), { recursive: true });
      await writeFile(
        path.join(import.meta.dirname, '../results/scale-out.json'),
        `${JSON.stringify(summary, null, 2)}\n`,
      );
      // This run's graph goes with it (tracks, then the albums and artists they leave behind).
      const sync = createGraphSync(driver);
      await sync.removeTracks(ids);
      await sync.close();
    } finally {
      await sql.end();
      await mongo
        .db(platform.mongoDb)
        .dropDatabase()
        .catch(() => {});
      await mongo.close();
      await driver.close();
    }
  },
);
