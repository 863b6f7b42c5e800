// Every limit refuses with its own code: operation shape and cost, page size,
// body size, batches, WebSocket connections and subscriptions. Also APQ,
// compression and /metrics, on the same gateway.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { seedCatalog } from '@tonegraph/catalog/seed';
import { startCatalog, type Harness } from '@tonegraph/catalog/test-harness';
import { supergraphFile } from '@tonegraph/schema-tools';
import { isolation, testServices } from '@tonegraph/testing';
import { post, startGateway, watch, wsClient, type RunningGateway } from './support.ts';

let catalog: Harness;
let gw: RunningGateway;
let redis: Redis;
const apqPrefix = `${isolation().redisPrefix}apq:`;

before(async () => {
  catalog = await startCatalog();
  await seedCatalog(catalog.database.db, { tracks: 60, albums: 6, artists: 5, seed: 4 });
  redis = new Redis(testServices().REDIS_URL);
  gw = await startGateway(await readFile(supergraphFile, 'utf8'), {
    subgraphUrls: { catalog: catalog.url },
    limits: {
      maxDepth: 5,
      maxAliases: 2,
      maxRootFields: 2,
      maxCost: 1000,
      maxPageSize: 500,
      maxBodyBytes: 4096,
      maxBatch: 2,
    },
    wsLimits: { maxConnectionsPerIp: 2, maxSubscriptionsPerConnection: 1 },
    redis,
    apqPrefix,
  });
});

after(async () => {
  await gw?.stop();
  const keys = await redis.keys(`${apqPrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis?.disconnect();
  await catalog?.close();
});

const codeOf = (r: { body: { errors?: { extensions?: { code?: string } }[] } }) =>
  r.body.errors?.[0]?.extensions?.code;

test('depth, aliases, root fields, cost and page size each have their code', async () => {
  const deep = await post(gw.url, {
    query: '{ tracks(first: 1) { edges { node { album { albumArtist { name } } } } } }',
  });
  assert.equal(deep.status, 400);
  assert.equal(codeOf(deep), 'QUERY_TOO_DEEP');
  // A fragment does not hide depth.
  const viaFragment = await post(gw.url, {
    query:
      '{ tracks(first: 1) { edges { ...E } } } fragment E on TrackEdge { node { album { albumArtist { name } } } }',
  });
  assert.equal(codeOf(viaFragment), 'QUERY_TOO_DEEP');
  const aliases = await post(gw.url, { query: '{ libraries { a: id b: id c: name } }' });
  assert.equal(codeOf(aliases), 'TOO_MANY_ALIASES');
  const roots = await post(gw.url, {
    query: '{ libraries { id } importJobs { totalCount } tracks { totalCount } }',
  });
  assert.equal(codeOf(roots), 'TOO_MANY_ROOT_FIELDS');
  // 1 + 400 × (edges, node, title) = 1201 > 1000; first comes from a variable.
  const cost = await post(gw.url, {
    query: 'query ($n: Int) { tracks(first: $n) { edges { node { title } } } }',
    variables: { n: 400 },
  });
  assert.equal(codeOf(cost), 'QUERY_TOO_COMPLEX');
  const page = await post(gw.url, { query: '{ tracks(first: 501) { totalCount } }' });
  assert.equal(codeOf(page), 'PAGE_SIZE_TOO_LARGE');
  const fine = await post(gw.url, { query: '{ tracks(first: 20) { edges { node { title } } } }' });
  assert.equal(fine.status, 200);
  assert.equal((fine.body.data as { tracks: { edges: unknown[] } }).tracks.edges.length, 20);
});

test('a body over the limit → 413 PAYLOAD_TOO_LARGE; a batch over the limit → BATCH_LIMIT_EXCEEDED', async () => {
  const big = await post(gw.url, { query: `{ libraries { id } } # ${'x'.repeat(5000)}` });
  assert.equal(big.status, 413);
  assert.equal(codeOf(big), 'PAYLOAD_TOO_LARGE');
  const q = { query: '{ libraries { id } }' };
  const res = await fetch(gw.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([q, q, q]),
  });
  assert.equal(res.status, 400);
  const body = (await res.json()) as { errors: { extensions: { code: string } }[] };
  assert.equal(body.errors[0]?.extensions.code, 'BATCH_LIMIT_EXCEEDED');
  const two = await fetch(gw.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([q, q]),
  });
  assert.equal(((await two.json()) as unknown[]).length, 2);
});

test('WebSocket: subscriptions per connection, connections per address, operation limits', async () => {
  const [library] = await catalog.database.sql<{ id: string }[]>`
    insert into libraries (name, path) values ('Limits', '/limits') returning id`;
  const [job] = await catalog.database.sql<{ id: string }[]>`
    insert into import_jobs (library_id, mode, status) values (${library!.id}, 'FULL', 'RUNNING') returning id`;
  const a = wsClient(gw.wsUrl);
  const b = wsClient(gw.wsUrl);
  try {
    const first = watch(a, `subscription { importProgress(jobId: "${job!.id}") { status } }`);
    await first.until((r) => r.data != null);
    const second = watch(a, `subscription { libraryEvents(libraryId: "${library!.id}") { type } }`);
    await assert.rejects(second.ended, (errors: { extensions: { code: string } }[]) => {
      assert.equal(errors[0]?.extensions.code, 'TOO_MANY_SUBSCRIPTIONS');
      return true;
    });
    const deep = watch(
      b,
      `subscription { importProgress(jobId: "${job!.id}") { job { library { tracks(first: 1) { edges { node { title } } } } } } }`,
    );
    await assert.rejects(deep.ended, (errors: { extensions: { code: string } }[]) => {
      assert.equal(errors[0]?.extensions.code, 'QUERY_TOO_DEEP');
      return true;
    });
    // Two connections are open from 127.0.0.1: a third is refused at the upgrade.
    const third = new WebSocket(gw.wsUrl, 'graphql-transport-ws');
    third.on('error', () => {});
    const status = await new Promise<number>((resolve) => {
      third.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      third.on('open', () => resolve(101));
    });
    third.terminate();
    assert.equal(status, 429);
    first.unsubscribe();
  } finally {
    await a.dispose();
    await b.dispose();
  }
});

test('automatic persisted queries: unknown hash, registration, then the hash alone (in Redis)', async () => {
  const query = '{ libraries { name } }';
  const sha256Hash = createHash('sha256').update(query).digest('hex');
  const extensions = { persistedQuery: { version: 1, sha256Hash } };
  const unknown = await post(gw.url, { extensions });
  assert.equal(codeOf(unknown), 'PERSISTED_QUERY_NOT_FOUND');
  const registered = await post(gw.url, { query, extensions });
  assert.equal(registered.status, 200);
  assert.ok(await redis.exists(`${apqPrefix}apq:${sha256Hash}`), 'the query is stored in Redis');
  const byHash = await post(gw.url, { extensions });
  assert.deepEqual(byHash.body, registered.body);
});

test('responses over 1 KiB are compressed; small ones and SSE are not', async () => {
  const query = '{ tracks(first: 50) { edges { node { id title } } } }';
  const res = await fetch(gw.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip' },
    body: JSON.stringify({ query }),
  });
  assert.equal(res.headers.get('content-encoding'), 'gzip');
  // fetch decodes transparently; check the bytes with a raw request too.
  const raw = await new Promise<Buffer>((resolve, reject) => {
    import('node:http')
      .then(({ request }) => {
        const req = request(
          gw.url,
          { method: 'POST', headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip' } },
          (r) => {
            const chunks: Buffer[] = [];
            r.on('data', (c: Buffer) => chunks.push(c));
            r.on('end', () => resolve(Buffer.concat(chunks)));
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify({ query }));
      })
      .catch(reject);
  });
  assert.equal(
    (JSON.parse(gunzipSync(raw).toString()) as { data: { tracks: { edges: unknown[] } } }).data.tracks.edges
      .length,
    50,
  );
  const [job] = await catalog.database.sql<{ id: string }[]>`
    select id from import_jobs limit 1`;
  const sse = await fetch(gw.url.replace(/\/graphql$/, '/graphql/stream'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'accept-encoding': 'gzip' },
    body: JSON.stringify({
      query: `subscription { importProgress(jobId: "${job?.id ?? '00000000-0000-0000-0000-000000000000'}") { status } }`,
    }),
  });
  // graphql-sse marks its streams `content-encoding: none`; what matters is that nothing gzips them.
  assert.notEqual(sse.headers.get('content-encoding'), 'gzip');
  assert.equal(sse.headers.get('content-type')?.startsWith('text/event-stream'), true);
  await sse.body?.cancel();
});

test('/metrics exposes requests, latency, subgraph fetches, WebSockets, subscriptions, rejections', async () => {
  await post(gw.url, { query: 'query LibraryList { libraries { id } }' });
  const text = await (await fetch(gw.url.replace(/\/graphql$/, '/metrics'))).text();
  for (const name of [
    'tonegraph_gateway_requests_total{operation="LibraryList",type="query",outcome="ok"}',
    'tonegraph_gateway_request_duration_seconds_bucket',
    'tonegraph_gateway_subgraph_fetch_duration_seconds_bucket{le="0.002",subgraph="catalog"}',
    'tonegraph_gateway_subgraph_fetch_errors_total',
    'tonegraph_gateway_websocket_connections',
    'tonegraph_gateway_active_subscriptions',
    'tonegraph_gateway_rejections_total{code="QUERY_TOO_DEEP"}',
  ]) {
    assert.ok(text.includes(name), `${name} in /metrics`);
  }
});
