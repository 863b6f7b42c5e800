// The gateway's track export (GET /export/tracks.ndjson): authenticated like
// queries; the catalog's lines joined with the analysis subgraph's (null
// where there is none, noted where the subgraph is down); backpressure from
// the client to the catalog's cursor, and a client that leaves aborting the
// upstream export. A real catalog (PostgreSQL) and analysis subgraph
// (FerretDB), both requiring the gateway's signature.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import { SignJWT } from 'jose';
import postgres from 'postgres';
import { createServer as createAnalysis, type AnalysisServer } from '@tonegraph/analysis';
import type { TrackDocument } from '@tonegraph/analysis/store';
import { createStoreFixture, type StoreFixture } from '@tonegraph/analysis/test-harness';
import { createServer as createCatalog, type CatalogServer } from '@tonegraph/catalog';
import { createDb, type Database } from '@tonegraph/catalog/db';
import { migrateCatalog } from '@tonegraph/catalog/store';
import { createScanPublisher, type ScanPublisher } from '@tonegraph/queues';
import { seedCatalog } from '@tonegraph/catalog/seed';
import { createLogger } from '@tonegraph/logger';
import { supergraphFile } from '@tonegraph/schema-tools';
import { SUBGRAPH_SECRET_HEADER } from '@tonegraph/subgraph-auth';
import {
  createTestDatabase,
  eventually,
  freePort,
  isolation,
  testServices,
  type TestDatabase,
} from '@tonegraph/testing';
import { parseApiKeys } from '../src/auth/index.ts';
import { createServer, type Gateway } from '../src/server.ts';

const SECRET = 'gateway-export-secret-0123456789abcdef';
const READ_KEY = 'export-read-key-0123456789';
const HS_SECRET = 'an-hs256-secret-of-at-least-32-characters!';
const reader = { authorization: `Bearer ${READ_KEY}` };
const PATH = '/export/tracks.ndjson';
const log = createLogger({ service: 'gateway-export-test', level: 'silent' });
/** Rows of ~20 KB: `wide` is read whole (several batches by size), `huge` only in part. */
const ROW_BYTES = 20_000;
const WIDE_ROWS = 300;
const HUGE_ROWS = 3000;

let testDb: TestDatabase;
let database: Database;
let admin: postgres.Sql;
let publisher: ScanPublisher;
let pubsub: RedisPubSub;
let catalog: CatalogServer;
let catalogUrl: string;
const catalogSockets: Socket[] = [];
let store: StoreFixture;
let analysis: AnalysisServer;
let gateway: Gateway;
let gatewayUrl: string;
const gatewaySockets: Socket[] = [];
/** The same gateway, with the analysis subgraph's URL pointing at a port nobody listens on. */
let orphan: Gateway;
let orphanUrl: string;
let mainLibrary: string;
let wideLibrary: string;
let hugeLibrary: string;
/** Track id → the BPM stored for it; tracks not here have no analysis. */
const bpmOf = new Map<string, number>();

const listen = async (server: Server) => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

async function startGateway(analysisUrl: string): Promise<{ gateway: Gateway; url: string }> {
  const gw = createServer({
    supergraphSdl: await readFile(supergraphFile, 'utf8'),
    subgraphUrls: { catalog: `${catalogUrl}/graphql`, analysis: analysisUrl },
    subgraphSecret: SECRET,
    subgraphTimeoutMs: 5000,
    development: false,
    auth: { apiKeys: parseApiKeys(`exporter:${READ_KEY}:read`), jwt: { secret: HS_SECRET } },
    log,
  });
  await gw.start();
  return { gateway: gw, url: await listen(gw.httpServer) };
}

/** A summary as ingest's analysis stage leaves it, with a BPM of its own. */
function summary(id: string, libraryId: string, bpm: number): TrackDocument {
  return {
    _id: id,
    contentHash: randomBytes(32).toString('hex'),
    libraryId,
    albumId: null,
    status: 'done',
    error: null,
    analyzerVersion: '1',
    updatedAt: new Date(),
    tempo: { bpm, confidence: 0.8 },
    tempoBucket: Math.floor(bpm),
    key: { tonic: 'A', mode: 'minor', name: 'A minor', camelot: '8A', openKey: '1m', confidence: 0.7 },
    loudness: { integratedLufs: -9, loudnessRangeLu: 6, truePeakDbtp: -0.5, samplePeakDbfs: -0.6 },
    replayGain: { trackGainDb: -9, trackPeak: 0.95 },
    durationSeconds: 200,
    analyzedAt: new Date('2026-11-01T10:00:00.000Z'),
  };
}

before(async () => {
  testDb = await createTestDatabase(testServices().DATABASE_URL);
  database = createDb(testDb.url, { poolSize: 6 });
  await migrateCatalog(database);
  admin = postgres(testDb.url, { max: 1, onnotice: () => {} });
  publisher = createScanPublisher(testServices().AMQP_URL, isolation().queue('scan'), 2000);
  pubsub = new RedisPubSub({ connection: testServices().REDIS_URL });
  const redisPrefix = isolation().redisPrefix;
  catalog = await createCatalog({
    database,
    publisher,
    allowedRoots: [],
    log,
    pubsub,
    redisPrefix,
    subgraphSecret: SECRET,
  });
  catalog.httpServer.on('connection', (socket) => catalogSockets.push(socket));
  catalogUrl = await listen(catalog.httpServer);
  store = await createStoreFixture('1');
  analysis = await createAnalysis({ store: store.store, log, pubsub, redisPrefix, subgraphSecret: SECRET });
  const analysisUrl = `${await listen(analysis.httpServer)}/graphql`;

  ({ libraryId: mainLibrary } = await seedCatalog(database.db, {
    tracks: 200,
    albums: 20,
    artists: 15,
    seed: 4,
  }));
  const sql = database.sql;
  const addLibrary = async (name: string, rows: number) => {
    const id = (
      await sql<{ id: string }[]>`
      insert into libraries (name, path) values (${name}, ${`/${name}`}) returning id`
    )[0]!.id;
    await sql`
      insert into tracks (library_id, title, file_path, file_size, format, container)
      select ${id}, ${name} || ' ' || i, '/' || i || '.flac', 1000, 'flac', repeat('x', ${ROW_BYTES})
      from generate_series(1, ${rows}) i`;
    return id;
  };
  wideLibrary = await addLibrary('wide', WIDE_ROWS);
  hugeLibrary = await addLibrary('huge', HUGE_ROWS);
  // Every other track of the main and the wide library has an analysis.
  const tracks = await sql<{ id: string; library_id: string }[]>`
    select id, library_id from tracks where library_id in (${mainLibrary}, ${wideLibrary}) order by id`;
  const docs = tracks
    .filter((_, i) => i % 2 === 0)
    .map((t, i) => {
      bpmOf.set(t.id, 90 + (i % 60));
      return summary(t.id, t.library_id, 90 + (i % 60));
    });
  await store.store.tracks.insertMany(docs);

  ({ gateway, url: gatewayUrl } = await startGateway(analysisUrl));
  gateway.httpServer.on('connection', (socket) => gatewaySockets.push(socket));
  ({ gateway: orphan, url: orphanUrl } = await startGateway(`http://127.0.0.1:${await freePort()}/graphql`));
});

after(async () => {
  await orphan?.stop();
  await gateway?.stop();
  await analysis?.stop();
  await catalog?.stop();
  await store?.close();
  await pubsub?.close();
  await publisher?.close();
  await admin?.end();
  await database?.close();
  await testDb?.drop();
});

/** GET on a connection of its own; the body is not read until the caller reads it. */
function get(url: string, headers: Record<string, string> = reader): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false }, resolve);
    req.on('error', reject);
    req.end();
  });
}

function body(res: IncomingMessage): Promise<{ text: string; complete: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('error', () => {});
    res.on('close', () => resolve({ text: Buffer.concat(chunks).toString('utf8'), complete: res.complete }));
  });
}

const json = async <T>(res: IncomingMessage) => JSON.parse((await body(res)).text) as T;
type Refusal = { errors: { extensions: { code: string; requiredScope?: string } }[] };
type Line = {
  id: string;
  libraryId: string;
  analysis?: Record<string, unknown> | null;
  analysisError?: unknown;
};

async function exportLines(url: string): Promise<Line[]> {
  const res = await get(url);
  assert.equal(res.statusCode, 200);
  const { text, complete } = await body(res);
  assert.ok(complete, 'the export ends properly');
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Line);
}

/** The catalog's own export, read directly with the signature. */
const fromCatalog = async (query: string) => {
  const res = await get(`${catalogUrl}${PATH}${query}`, { [SUBGRAPH_SECRET_HEADER]: SECRET });
  assert.equal(res.statusCode, 200);
  return (await body(res)).text;
};

/** Backends of the test database running an export statement. */
const runningExports = () =>
  admin<{ pid: number }[]>`
    select pid from pg_stat_activity
    where datname = current_database() and pid <> pg_backend_pid()
      and query like '%tonegraph:export%' and state <> 'idle'`;

const hs = (claims: Record<string, unknown>) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(HS_SECRET));

test('authenticated like queries: 401 without credentials, 403 without the read scope', async () => {
  const none = await get(`${gatewayUrl}${PATH}`, {});
  assert.equal(none.statusCode, 401);
  assert.equal(none.headers['www-authenticate'], 'Bearer');
  assert.equal((await json<Refusal>(none)).errors[0]?.extensions.code, 'UNAUTHENTICATED');
  const wrong = await get(`${gatewayUrl}${PATH}`, { 'x-api-key': 'not-a-key-0123456789' });
  assert.equal(wrong.statusCode, 401);
  await body(wrong);
  const scopeless = await get(`${gatewayUrl}${PATH}`, { authorization: `Bearer ${await hs({})}` });
  assert.equal(scopeless.statusCode, 403);
  const refusal = (await json<Refusal>(scopeless)).errors[0]?.extensions;
  assert.deepEqual(refusal, { code: 'FORBIDDEN', requiredScope: 'read' });
  const token = await get(`${gatewayUrl}${PATH}?libraryId=${mainLibrary}&analysis=false`, {
    authorization: `Bearer ${await hs({ scope: 'read' })}`,
  });
  assert.equal(token.statusCode, 200);
  await body(token);
  for (const query of ['?analysis=maybe', '?libraryId=x', '?limit=5']) {
    const bad = await get(`${gatewayUrl}${PATH}${query}`);
    assert.equal(bad.statusCode, 400, query);
    assert.equal((await json<Refusal>(bad)).errors[0]?.extensions.code, 'BAD_USER_INPUT');
  }
  const unknown = await get(`${gatewayUrl}${PATH}?libraryId=${crypto.randomUUID()}`);
  assert.equal(unknown.statusCode, 404, "the catalog's refusal passes through");
  assert.equal((await json<Refusal>(unknown)).errors[0]?.extensions.code, 'NOT_FOUND');
});

test('each track once, with its analysis where it has one and null otherwise; the catalog rows unchanged', async () => {
  const res = await get(`${gatewayUrl}${PATH}?libraryId=${mainLibrary}`, {
    ...reader,
    'accept-encoding': 'gzip',
  });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'application/x-ndjson; charset=utf-8');
  assert.equal(res.headers['content-disposition'], 'attachment; filename="tonegraph-tracks.ndjson"');
  assert.equal(res.headers['content-encoding'], undefined, 'not compressed: lines go out as they come');
  const { text, complete } = await body(res);
  assert.ok(complete);
  const lines = text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Line);
  const catalogLines = (await fromCatalog(`?libraryId=${mainLibrary}`))
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Line);
  assert.equal(lines.length, 200);
  assert.deepEqual(
    lines.map(({ analysis: _a, ...track }) => track),
    catalogLines,
  );
  let joined = 0;
  for (const line of lines) {
    assert.equal(line.analysisError, undefined);
    const bpm = bpmOf.get(line.id);
    if (bpm === undefined) assert.equal(line.analysis, null, `${line.id} has no analysis`);
    else {
      joined++;
      assert.deepEqual(line.analysis?.tempo, { bpm, confidence: 0.8 });
      assert.equal(line.analysis?.status, 'DONE');
      assert.deepEqual(line.analysis?.key, {
        tonic: 'A',
        mode: 'MINOR',
        name: 'A minor',
        camelot: '8A',
        openKey: '1m',
        confidence: 0.7,
      });
      assert.equal(line.analysis?.analyzedAt, '2026-11-01T10:00:00.000Z');
    }
  }
  assert.ok(joined > 50 && joined < 150, `${joined} of 200 joined`);
});

test('in several batches (large rows) the lines keep their order and each finds its analysis', async () => {
  const lines = await exportLines(`${gatewayUrl}${PATH}?libraryId=${wideLibrary}`);
  const ids = await database.sql<{ id: string }[]>`
    select id from tracks where library_id = ${wideLibrary} order by id`;
  assert.deepEqual(
    lines.map((l) => l.id),
    ids.map((r) => r.id),
  );
  for (const line of lines) {
    const bpm = bpmOf.get(line.id);
    assert.equal(line.analysis?.tempo ? (line.analysis.tempo as { bpm: number }).bpm : undefined, bpm);
  }
});

test('analysis=false passes the catalog lines on byte for byte', async () => {
  const res = await get(`${gatewayUrl}${PATH}?libraryId=${mainLibrary}&analysis=false`);
  assert.equal(res.statusCode, 200);
  assert.equal((await body(res)).text, await fromCatalog(`?libraryId=${mainLibrary}`));
});

test('with the analysis subgraph down the export completes: analysis null, with analysisError', async () => {
  const lines = await exportLines(`${orphanUrl}${PATH}?libraryId=${mainLibrary}`);
  assert.equal(lines.length, 200);
  for (const line of lines) {
    assert.equal(line.analysis, null);
    assert.deepEqual(Object.keys(line.analysisError as object), ['code', 'message']);
    assert.equal((line.analysisError as { code: string }).code, 'ANALYSIS_UNAVAILABLE');
  }
  const metrics = await (await fetch(`${orphanUrl}/metrics`)).text();
  assert.match(metrics, /tonegraph_gateway_exports_total\{outcome="complete"\} 1/);
});

test('a slow client holds the catalog back; a client that leaves aborts the upstream export', async () => {
  const total = HUGE_ROWS * ROW_BYTES;
  const firstCatalogSocket = catalogSockets.length;
  const res = await get(`${gatewayUrl}${PATH}?libraryId=${hugeLibrary}&analysis=false`);
  assert.equal(res.statusCode, 200);
  const clientSide = gatewaySockets.at(-1)!;
  // The gateway's own connection to the catalog for this export.
  const upstream = catalogSockets.slice(firstCatalogSocket).find((s) => !s.destroyed)!;
  // Until the client reads, the catalog stops sending and its cursor waits.
  let last = -1;
  await eventually(
    async () => {
      const now = upstream.bytesWritten;
      const still = now === last;
      last = now;
      await sleep(300);
      return still && upstream.bytesWritten === now;
    },
    { what: 'the catalog stops sending' },
  );
  assert.ok(
    upstream.bytesWritten < total * 0.8,
    `the catalog sent ${upstream.bytesWritten} of ${total} bytes`,
  );
  assert.equal((await runningExports()).length, 1, "the catalog's cursor is open, waiting");
  // What the gateway holds for this client: about one batch (1 MiB), not what the catalog sent.
  assert.ok(
    clientSide.writableLength < 1.5 * 1024 * 1024,
    `gateway holds ${clientSide.writableLength} bytes`,
  );

  res.destroy();
  await eventually(() => upstream.destroyed, { what: 'the upstream connection closes' });
  await eventually(async () => (await runningExports()).length === 0, { what: 'the cursor closes' });
  assert.ok(upstream.bytesWritten < total);
});
