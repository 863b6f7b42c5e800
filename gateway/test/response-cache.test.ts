// The gateway's response cache against a real catalog and Redis: answers
// repeat without reaching the subgraph, and a change notice from ingest, a
// mutation, or a lost Redis connection all make the next answer fresh.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { seedCatalog } from '@tonegraph/catalog/seed';
import { startCatalog, type Harness } from '@tonegraph/catalog/test-harness';
import { createLogger } from '@tonegraph/logger';
import { supergraphFile } from '@tonegraph/schema-tools';
import { eventually, isolation, testServices } from '@tonegraph/testing';
import { catalogChangedChannel } from '@tonegraph/topics';
import { createServer, type Gateway } from '../src/server.ts';

const prefix = isolation().redisPrefix;
let root: string;
let catalog: Harness;
let redis: Redis;
let admin: Redis;
let gateway: Gateway;
let url: string;

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'tonegraph-cache-'));
  catalog = await startCatalog({ allowedRoots: [root] });
  await seedCatalog(catalog.database.db, { tracks: 30, albums: 3, artists: 3, seed: 5 });
  redis = new Redis(testServices().REDIS_URL);
  admin = new Redis(testServices().REDIS_URL);
  gateway = createServer({
    supergraphSdl: await readFile(supergraphFile, 'utf8'),
    subgraphUrls: { catalog: catalog.url, analysis: 'http://127.0.0.1:9/graphql' },
    subgraphTimeoutMs: 5000,
    development: false,
    auth: 'off',
    log: createLogger({ service: 'gateway-test', level: 'silent' }),
    redis,
    responseCache: { prefix, ttlSeconds: 60, maxBytes: 8 * 1024 * 1024 },
  });
  await gateway.start();
  await new Promise<void>((resolve) => gateway.httpServer.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(gateway.httpServer.address() as AddressInfo).port}/graphql`;
  await eventually(() => gateway.responseCache!.live());
});

after(async () => {
  await gateway?.stop();
  redis?.disconnect();
  admin?.disconnect();
  await catalog?.close();
  await rm(root, { recursive: true, force: true });
});

async function post(query: string, variables?: object) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  return { res, body };
}

/** Subgraph fetches made so far to `subgraph`, from the gateway's own metrics. */
async function fetches(subgraph: string): Promise<number> {
  const metric = await gateway.metrics.registry
    .getSingleMetric('tonegraph_gateway_subgraph_fetch_duration_seconds')!
    .get();
  const count = metric.values.find(
    (v) => (v as { metricName?: string }).metricName?.endsWith('_count') && v.labels['subgraph'] === subgraph,
  );
  return count?.value ?? 0;
}

const FIRST = '{ tracks(first: 1, orderBy: { field: TITLE }) { edges { node { id title } } } }';
type First = { tracks: { edges: { node: { id: string; title: string } }[] } };
const title = (body: { data?: Record<string, unknown> }) => (body.data as First).tracks.edges[0]!.node.title;

test('a repeated query is answered from the cache, without a Cache-Control header', async () => {
  const first = await post(FIRST);
  assert.equal(first.body.errors, undefined);
  const before = await fetches('catalog');
  const second = await post(FIRST);
  assert.deepEqual(second.body, first.body);
  assert.equal(await fetches('catalog'), before, 'no subgraph fetch for the second answer');
  assert.ok(second.res.headers.get('age') !== null, 'a cached answer says its age');
  assert.equal(second.res.headers.get('cache-control'), null, 'browsers and proxies are not told to cache');
  // Other variables or another document are other entries.
  const other = await post('query ($n: Int) { tracks(first: $n) { edges { node { id } } } }', { n: 2 });
  assert.equal(other.body.errors, undefined);
  assert.ok((await fetches('catalog')) > before);
});

test('a change notice (as ingest sends after a commit) makes the next answer fresh', async () => {
  const id = ((await post(FIRST)).body.data as First).tracks.edges[0]!.node.id;
  await catalog.database.sql`update tracks set title = ${'!Renamed'} where id = ${id}`;
  // Without a notice, the cached answer stands (until its TTL).
  assert.notEqual(title((await post(FIRST)).body), '!Renamed');
  const generation = gateway.responseCache!.generation();
  assert.equal(await admin.publish(catalogChangedChannel(prefix), '{"source":"ingest"}'), 1);
  await eventually(() => gateway.responseCache!.generation() > generation);
  assert.equal(title((await post(FIRST)).body), '!Renamed');
  assert.equal(gateway.responseCache!.size(), 1, 'the old entries are gone, the new answer stored');
});

test('a mutation through the gateway empties the cache here and tells the other gateways', async () => {
  const LIBS = '{ libraries { name } }';
  const names = (body: { data?: Record<string, unknown> }) =>
    (body.data as { libraries: { name: string }[] }).libraries.map((l) => l.name);
  const before = names((await post(LIBS)).body);
  assert.ok(!before.includes('Cached'));
  assert.deepEqual(names((await post(LIBS)).body), before); // cached
  const notices: string[] = [];
  const listener = new Redis(testServices().REDIS_URL);
  listener.on('message', (_ch: string, message: string) => notices.push(message));
  await listener.subscribe(catalogChangedChannel(prefix));
  try {
    const added = await post('mutation ($p: String!) { addLibrary(path: $p, name: "Cached") { id } }', {
      p: root,
    });
    assert.equal(added.body.errors, undefined, JSON.stringify(added.body.errors));
    assert.deepEqual(names((await post(LIBS)).body).sort(), [...before, 'Cached'].sort());
    await eventually(() => notices.length > 0);
    assert.match(notices[0]!, /"source":"gateway"/);
  } finally {
    listener.disconnect();
  }
});

test('answers with errors are not cached', async () => {
  // The analysis subgraph is unreachable: a partial answer with an error, every time from the subgraphs.
  const query = '{ tracks(first: 1) { edges { node { title analysis { status } } } } }';
  const first = await post(query);
  assert.ok(first.body.errors, 'the analysis field fails');
  const before = await fetches('catalog');
  await post(query);
  assert.ok((await fetches('catalog')) > before, 'asked the subgraph again');
});

test('while notices cannot be heard the cache is off; back on after, emptied', async () => {
  const id = ((await post(FIRST)).body.data as First).tracks.edges[0]!.node.id;
  await post(FIRST); // cached
  await catalog.database.sql`update tracks set title = ${'!Again'} where id = ${id}`;
  // Drop the gateway's notice connection: a notice sent meanwhile would be lost.
  const list = (await admin.call('CLIENT', 'LIST')) as string;
  const ids = list
    .split('\n')
    .filter((line) => line.includes(` name=gateway-notices:${prefix} `))
    .map((line) => /\bid=(\d+)/.exec(line)![1]!);
  assert.equal(ids.length, 1, 'one notice connection');
  const generation = gateway.responseCache!.generation();
  await admin.call('CLIENT', 'KILL', 'ID', ids[0]!);
  await eventually(() => gateway.responseCache!.generation() > generation);
  await eventually(() => gateway.responseCache!.live());
  assert.equal(title((await post(FIRST)).body), '!Again', 'nothing stale survives the reconnection');
  const hits = await gateway.metrics.registry.getSingleMetricAsString(
    'tonegraph_gateway_response_cache_total',
  );
  assert.match(hits, /result="hit"/);
  assert.match(hits, /result="miss"/);
});

test('identical queries arriving together are executed once (single flight)', async () => {
  await admin.publish(catalogChangedChannel(prefix), '{"source":"ingest"}'); // an empty cache
  const generation = gateway.responseCache!.generation();
  await eventually(() => gateway.responseCache!.generation() > generation);
  const query = '{ albums(first: 3) { edges { node { title tracks { title } } } } }';
  const before = await fetches('catalog');
  const answers = await Promise.all(Array.from({ length: 20 }, () => post(query)));
  for (const a of answers) assert.deepEqual(a.body, answers[0]!.body);
  assert.equal(answers[0]!.body.errors, undefined);
  const made = (await fetches('catalog')) - before;
  assert.ok(made <= 2, `20 identical queries cost ${made} subgraph fetches`);
  const outcomes = await gateway.metrics.registry.getSingleMetricAsString(
    'tonegraph_gateway_response_cache_total',
  );
  assert.match(outcomes, /result="shared"/);
});
