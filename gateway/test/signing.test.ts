// Subgraphs accept only the gateway: the shared secret on every fetch and in
// graphql-ws connection_init; a request id and W3C traceparent reach them; the
// request deadline aborts subgraph fetches still in flight.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createServer as createCatalog, type CatalogServer } from '@tonegraph/catalog';
import { createDb, type Database } from '@tonegraph/catalog/db';
import { migrateCatalog } from '@tonegraph/catalog/store';
import { createScanPublisher, type ScanPublisher } from '@tonegraph/queues';
import { createLogger } from '@tonegraph/logger';
import { SUBGRAPH_SECRET_HEADER } from '@tonegraph/subgraph-auth';
import {
  createTestDatabase,
  eventually,
  isolation,
  testServices,
  type TestDatabase,
} from '@tonegraph/testing';
import {
  closeOf,
  composeWithRecorder,
  post,
  startGateway,
  startRecorder,
  watch,
  wsClient,
  type Recorder,
  type RunningGateway,
} from './support.ts';

const SECRET = 'gateway-to-subgraphs-secret-0123456789';

let testDb: TestDatabase;
let database: Database;
let publisher: ScanPublisher;
let pubsub: RedisPubSub;
let catalog: CatalogServer;
let catalogUrl: string;
let recorder: Recorder;
let gw: RunningGateway;
let jobId: string;

before(async () => {
  testDb = await createTestDatabase(testServices().DATABASE_URL);
  database = createDb(testDb.url, { poolSize: 4 });
  await migrateCatalog(database);
  publisher = createScanPublisher(testServices().AMQP_URL, isolation().queue('scan'), 2000);
  pubsub = new RedisPubSub({ connection: testServices().REDIS_URL });
  catalog = await createCatalog({
    database,
    publisher,
    allowedRoots: [],
    log: createLogger({ service: 'catalog-test', level: 'silent' }),
    pubsub,
    redisPrefix: isolation().redisPrefix,
    subgraphSecret: SECRET,
  });
  await new Promise<void>((resolve) => catalog.httpServer.listen(0, '127.0.0.1', resolve));
  catalogUrl = `http://127.0.0.1:${(catalog.httpServer.address() as AddressInfo).port}/graphql`;
  recorder = await startRecorder();
  gw = await startGateway(await composeWithRecorder(catalogUrl, recorder.url), {
    subgraphSecret: SECRET,
    limits: { requestTimeoutMs: 1000 },
  });
  const [library] = await database.sql<{ id: string }[]>`
    insert into libraries (name, path) values ('Signed', '/signed') returning id`;
  const [job] = await database.sql<{ id: string }[]>`
    insert into import_jobs (library_id, mode, status, total, processed)
    values (${library!.id}, 'FULL', 'COMPLETED', 3, 3) returning id`;
  jobId = job!.id;
});

after(async () => {
  await gw?.stop();
  await recorder?.stop();
  await catalog?.stop();
  await pubsub?.close();
  await publisher?.close();
  await database?.close();
  await testDb?.drop();
});

test('a direct call to a subgraph without the signature → 401; with it → 200; /health stays open', async () => {
  const query = { query: '{ libraries { name } }' };
  const unsigned = await post(catalogUrl, query);
  assert.equal(unsigned.status, 401);
  assert.equal(unsigned.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
  const forged = await post(catalogUrl, query, { [SUBGRAPH_SECRET_HEADER]: 'not-the-secret-at-all' });
  assert.equal(forged.status, 401);
  const signed = await post(catalogUrl, query, { [SUBGRAPH_SECRET_HEADER]: SECRET });
  assert.equal(signed.status, 200);
  assert.deepEqual(signed.body.data, { libraries: [{ name: 'Signed' }] });
  assert.equal((await fetch(catalogUrl.replace(/\/graphql$/, '/health'))).status, 200);
  assert.equal((await fetch(catalogUrl.replace(/\/graphql$/, '/ready'))).status, 200);
});

test('a direct WebSocket to a subgraph without the signature is closed with 4401', async () => {
  const client = wsClient(catalogUrl.replace(/^http/, 'ws'));
  const closed = closeOf(client);
  const w = watch(client, `subscription { importProgress(jobId: "${jobId}") { status } }`);
  assert.equal((await closed).code, 4401);
  await assert.rejects(w.ended);
  await client.dispose();
});

test('through the gateway: signed queries, request id and traceparent reach the subgraphs', async () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const res = await post<{ libraries: { name: string }[]; headers: string }>(
    gw.url,
    { query: '{ libraries { name } headers }' },
    { 'x-request-id': 'req-abc-123', traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
  );
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.headers.get('x-request-id'), 'req-abc-123');
  assert.deepEqual(res.body.data?.libraries, [{ name: 'Signed' }]);
  const seen = JSON.parse(res.body.data?.headers ?? '{}') as Record<string, string>;
  assert.equal(seen[SUBGRAPH_SECRET_HEADER], SECRET);
  assert.equal(seen['x-request-id'], 'req-abc-123');
  assert.match(seen.traceparent ?? '', new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
  assert.doesNotMatch(seen.traceparent ?? '', /00f067aa0ba902b7/, 'a new span id for the subgraph call');
  // Without an incoming trace, the gateway starts one and still sends an id.
  const fresh = await post<{ headers: string }>(gw.url, { query: '{ headers }' });
  const freshSeen = JSON.parse(fresh.body.data!.headers) as Record<string, string>;
  assert.match(freshSeen.traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  assert.equal(freshSeen['x-request-id'], fresh.headers.get('x-request-id'));
});

test('through the gateway: subscriptions are signed in connection_init; /readyz checks signed', async () => {
  const client = createClient({ url: gw.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
  try {
    const w = watch<{ importProgress: { processed: number } }>(
      client,
      `subscription { importProgress(jobId: "${jobId}") { processed } }`,
    );
    await w.ended;
    assert.deepEqual(w.results, [{ data: { importProgress: { processed: 3 } } }]);
  } finally {
    await client.dispose();
  }
  const ready = await fetch(gw.url.replace(/\/graphql$/, '/readyz'));
  assert.equal(ready.status, 200, await ready.clone().text());
  assert.deepEqual(((await ready.json()) as { subgraphs: unknown }).subgraphs, {
    catalog: 'ok',
    recorder: 'ok',
  });
});

test('the request deadline aborts the subgraph fetch still running: GATEWAY_TIMEOUT', async () => {
  const started = Date.now();
  const res = await post(gw.url, { query: '{ slow(ms: 2500) }' });
  const elapsed = Date.now() - started;
  assert.equal(res.body.errors?.[0]?.extensions?.code, 'GATEWAY_TIMEOUT', JSON.stringify(res.body));
  assert.ok(elapsed < 2000, `answered after ${elapsed} ms, before the subgraph`);
  // The recorder sees its client (the gateway's fetch) go away before it answered.
  await eventually(() => recorder.aborted === 1, { timeoutMs: 4000 });
});
