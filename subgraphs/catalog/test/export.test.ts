// The catalog's track export (GET /export/tracks.ndjson): every track once in
// id order with the fields GraphQL gives, the libraryId filter, signatures,
// and the cursor under pressure — a slow reader holds it back, a client that
// leaves closes it, a database failure mid-stream ends the file with an error
// line. Real PostgreSQL; a few hundred rows, some of them ~100 KB wide so
// that the response outgrows the sockets' buffers.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import express from 'express';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import postgres from 'postgres';
import { createLogger } from '@tonegraph/logger';
import { SUBGRAPH_SECRET_HEADER, createSubgraphAuth } from '@tonegraph/subgraph-auth';
import {
  createTestDatabase,
  eventually,
  isolation,
  testServices,
  type TestDatabase,
} from '@tonegraph/testing';
import { createDb, type Database } from '../src/db/client.ts';
import { migrateCatalog } from '../src/store/migrate.ts';
import { EXPORT_TRACKS_PATH, mountExport } from '../src/export.ts';
import { createScanPublisher, type ScanPublisher } from '@tonegraph/queues';
import { seedCatalog } from '../src/seed.ts';
import { createServer, type CatalogServer } from '../src/server.ts';

const SECRET = 'catalog-export-secret-0123456789abcdef';
const signed = { [SUBGRAPH_SECRET_HEADER]: SECRET };
const log = createLogger({ service: 'catalog-export-test', level: 'silent' });
/** Rows per cursor fetch of the small-batch server. */
const BATCH = 20;
const FAT_ROWS = 200;
const FAT_BYTES = 100_000;

let testDb: TestDatabase;
let database: Database;
let admin: postgres.Sql;
let publisher: ScanPublisher;
let pubsub: RedisPubSub;
let catalog: CatalogServer;
let catalogUrl: string;
/** mountExport alone with small batches, as createServer mounts it otherwise. */
let small: Server;
let smallUrl: string;
let lastSocket: Socket | undefined;
let mainLibrary: string;
let copyLibrary: string;
let fatLibrary: string;

const listen = async (server: Server) => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

before(async () => {
  testDb = await createTestDatabase(testServices().DATABASE_URL);
  database = createDb(testDb.url, { poolSize: 6 });
  await migrateCatalog(database);
  admin = postgres(testDb.url, { max: 1, onnotice: () => {} });
  publisher = createScanPublisher(testServices().AMQP_URL, isolation().queue('scan'), 2000);
  pubsub = new RedisPubSub({ connection: testServices().REDIS_URL });
  catalog = await createServer({
    database,
    publisher,
    allowedRoots: [],
    log,
    pubsub,
    redisPrefix: isolation().redisPrefix,
    subgraphSecret: SECRET,
  });
  catalogUrl = await listen(catalog.httpServer);

  const app = express();
  app.use(createSubgraphAuth({ secret: SECRET, log, service: 'catalog' }).middleware);
  mountExport(app, { sql: database.sql, log, batchRows: BATCH, maxConcurrent: 2 });
  small = createHttpServer(app);
  small.on('connection', (socket) => (lastSocket = socket));
  smallUrl = await listen(small);

  ({ libraryId: mainLibrary } = await seedCatalog(database.db, {
    tracks: 300,
    albums: 30,
    artists: 20,
    seed: 11,
  }));
  const sql = database.sql;
  // One track enriched, with every optional field set.
  await sql`
    update tracks set enrichment_status = 'matched', enrichment_score = 0.93, musicbrainz_title = 'Canon',
      musicbrainz_artist_credit = 'Someone feat. Other', musicbrainz_artist_ids = '{a1,b2}', enriched_at = now(),
      isrc = 'USRC17607839', musicbrainz_recording_id = gen_random_uuid()::text, file_mtime = now()
    where id = (select min(id::text)::uuid from tracks)`;
  copyLibrary = (
    await sql<{ id: string }[]>`
    insert into libraries (name, path) values ('Copy', '/copy') returning id`
  )[0]!.id;
  await sql`
    insert into tracks (library_id, album_id, album_artist_id, title, file_path, file_size, format)
    select ${copyLibrary}, album_id, album_artist_id, title || ' (copy)', file_path || '.copy', file_size, format
    from tracks order by id limit 40`;
  // Wide rows: ~100 KB each (in a column no index holds), 20 MB in all.
  fatLibrary = (
    await sql<{ id: string }[]>`
    insert into libraries (name, path) values ('Fat', '/fat') returning id`
  )[0]!.id;
  await sql`
    insert into tracks (library_id, title, file_path, file_size, format, container)
    select ${fatLibrary}, 'Fat ' || i, '/fat/' || i || '.flac', 1000, 'flac', repeat('x', ${FAT_BYTES})
    from generate_series(1, ${FAT_ROWS}) i`;
});

after(async () => {
  await catalog?.stop();
  small?.closeAllConnections();
  await new Promise((resolve) => small?.close(resolve));
  await pubsub?.close();
  await publisher?.close();
  await admin?.end();
  await database?.close();
  await testDb?.drop();
});

/** GET with a connection of its own; the response is not read until the caller reads it. */
function get(url: string, headers: Record<string, string> = signed): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false }, resolve);
    req.on('error', reject);
    req.end();
  });
}

/** The rest of a response's body, and whether it ended properly (a final chunk) or was cut. */
function body(res: IncomingMessage): Promise<{ text: string; complete: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('error', () => {});
    res.on('close', () => resolve({ text: Buffer.concat(chunks).toString('utf8'), complete: res.complete }));
  });
}

const linesOf = (text: string) => text.split('\n').filter((l) => l.length > 0);

/** Backends of the test database running an export statement (a suspended cursor included). */
const runningExports = () =>
  admin<{ pid: number; state: string; port: number }[]>`
    select pid, state, client_port as port from pg_stat_activity
    where datname = current_database() and pid <> pg_backend_pid()
      and query like '%tonegraph:export%' and state <> 'idle'`;

/**
 * Whether a socket of this host still uses local TCP port `port` and is not
 * closed on its side yet (Linux /proc: state 09 LAST_ACK and 07 CLOSE come
 * after the owner closed it).
 */
async function holdsPort(port: number): Promise<boolean> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (local?.endsWith(`:${hex}`) && state !== '09' && state !== '07') return true;
    }
  }
  return false;
}

/** Waits until the server's socket has written nothing new for a while: the export is held back. */
async function stalled(socket: Socket): Promise<void> {
  let last = -1;
  await eventually(
    async () => {
      const now = socket.bytesWritten;
      const still = now === last;
      last = now;
      await sleep(300);
      return still && socket.bytesWritten === now;
    },
    { what: 'the server stops writing' },
  );
}

test('only signed requests are served', async () => {
  const unsigned = await get(`${catalogUrl}${EXPORT_TRACKS_PATH}`, {});
  assert.equal(unsigned.statusCode, 401);
  const refusal = JSON.parse((await body(unsigned)).text) as { errors: { extensions: { code: string } }[] };
  assert.equal(refusal.errors[0]?.extensions.code, 'UNAUTHENTICATED');
  const forged = await get(`${catalogUrl}${EXPORT_TRACKS_PATH}`, {
    [SUBGRAPH_SECRET_HEADER]: 'not-the-secret',
  });
  assert.equal(forged.statusCode, 401);
  await body(forged);
  const ok = await get(`${catalogUrl}${EXPORT_TRACKS_PATH}?libraryId=${copyLibrary}`);
  assert.equal(ok.statusCode, 200);
  assert.equal(ok.headers['content-type'], 'application/x-ndjson; charset=utf-8');
  assert.equal(linesOf((await body(ok)).text).length, 40);
});

const TRACK = `query ($id: ID!) { track(id: $id) {
  id title artists { role artist { id name } } album { id title } albumArtist { id name } year genres duration
  discNumber trackNumber isrc musicbrainzRecordingId musicbrainzTrackId
  enrichment { status score title artistCredit artistIds enrichedAt }
  file { path size format codec container bitrate sampleRate channels bitsPerSample lossless contentHash mtime }
  library { id } addedAt updatedAt } }`;

interface GqlTrack {
  artists: { role: string; artist: { id: string; name: string } }[];
  enrichment: Record<string, unknown> | null;
  library: { id: string };
  [field: string]: unknown;
}

/** A track as GraphQL gives it, in the export's shape. */
async function viaGraphql(id: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${catalogUrl}/graphql`, {
    method: 'POST',
    headers: { ...signed, 'content-type': 'application/json' },
    body: JSON.stringify({ query: TRACK, variables: { id } }),
  });
  const { data } = (await res.json()) as { data: { track: GqlTrack } };
  const { artists, enrichment, library, ...rest } = data.track;
  const { candidates: _candidates, ...exported } = enrichment ?? {};
  return {
    ...rest,
    artists: artists.map((a) => ({ id: a.artist.id, name: a.artist.name, role: a.role })),
    enrichment: enrichment ? exported : null,
    libraryId: library.id,
  };
}

test('every track exactly once, in id order, with the fields GraphQL gives', async () => {
  const res = await get(`${catalogUrl}${EXPORT_TRACKS_PATH}`);
  assert.equal(res.statusCode, 200);
  const { text, complete } = await body(res);
  assert.ok(complete);
  assert.ok(text.endsWith('\n'));
  const tracks = linesOf(text).map((l) => JSON.parse(l) as Record<string, unknown>);
  const ids = await database.sql<{ id: string }[]>`select id from tracks order by id`;
  assert.equal(tracks.length, 300 + 40 + FAT_ROWS);
  assert.deepEqual(
    tracks.map((t) => t.id),
    ids.map((r) => r.id),
  );
  const enriched = tracks.find((t) => t.enrichment !== null)!;
  assert.equal(enriched.isrc, 'USRC17607839');
  const featured = tracks.find((t) => (t.artists as unknown[]).length > 1)!;
  const samples = [
    enriched,
    featured,
    ...tracks.slice(0, 3),
    tracks.find((t) => t.libraryId === copyLibrary)!,
  ];
  for (const track of samples) assert.deepEqual(track, await viaGraphql(track.id as string));
});

test('libraryId narrows the export; bad parameters and unknown libraries are refused', async () => {
  const res = await get(`${catalogUrl}${EXPORT_TRACKS_PATH}?libraryId=${mainLibrary}`);
  const tracks = linesOf((await body(res)).text).map((l) => JSON.parse(l) as { libraryId: string });
  assert.equal(tracks.length, 300);
  assert.ok(tracks.every((t) => t.libraryId === mainLibrary));
  for (const query of [
    '?libraryId=not-an-id',
    '?library=1',
    `?libraryId=${mainLibrary}&libraryId=${copyLibrary}`,
  ]) {
    const bad = await get(`${catalogUrl}${EXPORT_TRACKS_PATH}${query}`);
    assert.equal(bad.statusCode, 400, query);
    const error = JSON.parse((await body(bad)).text) as { errors: { extensions: { code: string } }[] };
    assert.equal(error.errors[0]?.extensions.code, 'BAD_USER_INPUT');
  }
  const unknown = await get(`${catalogUrl}${EXPORT_TRACKS_PATH}?libraryId=${crypto.randomUUID()}`);
  assert.equal(unknown.statusCode, 404);
  await body(unknown);
});

test('a slow reader holds the cursor back: the server keeps about one batch, not the export', async () => {
  const res = await get(`${smallUrl}${EXPORT_TRACKS_PATH}?libraryId=${fatLibrary}`);
  const socket = lastSocket!;
  assert.equal(res.statusCode, 200);
  await stalled(socket);
  const batchBytes = BATCH * FAT_BYTES;
  // Unread bytes held in the server process: at most the batch being written (plus a line).
  assert.ok(socket.writableLength <= batchBytes * 1.1, `server holds ${socket.writableLength} bytes`);
  const sent = socket.bytesWritten + socket.writableLength;
  assert.ok(sent < FAT_ROWS * FAT_BYTES * 0.6, `${sent} bytes of ${FAT_ROWS * FAT_BYTES} already read`);
  assert.equal((await runningExports()).length, 1, 'the cursor waits, suspended');

  const { text, complete } = await body(res);
  assert.ok(complete);
  const titles = linesOf(text).map((l) => (JSON.parse(l) as { title: string }).title);
  assert.equal(titles.length, FAT_ROWS);
  assert.equal(new Set(titles).size, FAT_ROWS);
  await eventually(async () => (await runningExports()).length === 0, { what: 'the cursor is closed' });
});

test('clients that leave early close their cursors and free their slots', async () => {
  for (let i = 0; i < 3; i++) {
    const res = await get(`${smallUrl}${EXPORT_TRACKS_PATH}?libraryId=${fatLibrary}`);
    await once(res, 'readable');
    assert.equal((await runningExports()).length, 1);
    res.destroy();
    await eventually(async () => (await runningExports()).length === 0, { what: 'the cursor is closed' });
  }
  // Two exports may run at once here: two slow readers take both slots, a third is turned away.
  const first = await get(`${smallUrl}${EXPORT_TRACKS_PATH}?libraryId=${fatLibrary}`);
  const second = await get(`${smallUrl}${EXPORT_TRACKS_PATH}?libraryId=${fatLibrary}`);
  const third = await get(`${smallUrl}${EXPORT_TRACKS_PATH}?libraryId=${fatLibrary}`);
  assert.equal(third.statusCode, 503);
  assert.equal(third.headers['retry-after'], '10');
  const busy = JSON.parse((await body(third)).text) as { errors: { extensions: { code: string } }[] };
  assert.equal(busy.errors[0]?.extensions.code, 'EXPORT_BUSY');
  first.destroy();
  second.destroy();
  await eventually(async () => (await runningExports()).length === 0, { what: 'both cursors are closed' });
  // Nothing leaked: the slots are free again and the export completes.
  const after = await get(`${smallUrl}${EXPORT_TRACKS_PATH}?libraryId=${copyLibrary}`);
  assert.equal(after.statusCode, 200);
  assert.equal(linesOf((await body(after)).text).length, 40);
});

// The failure is placed, not raced: the server waits for the client between
// two batches (it holds more unsent bytes than its socket's high-water mark,
// which only the client's reading can change), the backend is terminated,
// and the client reads only once the server's database connection is closed.
test('a database failure mid-stream ends the file with an error line and cuts the connection', async () => {
  const res = await get(`${smallUrl}${EXPORT_TRACKS_PATH}?libraryId=${fatLibrary}`);
  const socket = lastSocket!;
  await eventually(
    async () => {
      await stalled(socket);
      return socket.writableLength > socket.writableHighWaterMark;
    },
    { what: 'the server waits for the client between two batches' },
  );
  const [running] = await runningExports();
  assert.ok(running);
  const [terminated] = await admin<{ done: boolean }[]>`
    select pg_terminate_backend(${running.pid}, 10000) as done`;
  assert.equal(terminated?.done, true, 'the backend is gone');
  await eventually(async () => !(await holdsPort(running.port)), {
    what: 'the server closes its database connection',
  });
  const { text, complete } = await body(res);
  assert.equal(complete, false, 'the response is cut, not ended');
  const lines = linesOf(text);
  const last = JSON.parse(lines.at(-1)!) as { error?: { code: string; rows: number } };
  assert.equal(last.error?.code, 'EXPORT_FAILED');
  const tracks = lines.slice(0, -1).map((l) => JSON.parse(l) as { id: string });
  assert.ok(tracks.length > 0 && tracks.length < FAT_ROWS, `${tracks.length} tracks before the error`);
  assert.equal(last.error.rows, tracks.length);
});
