// Deduplication of identical subgraph fetches in flight: against a local
// subgraph that holds every answer until the test opens its gate, so the
// number of fetches reaching it is exact, not a matter of timing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { eventually, isolation, testServices } from '@tonegraph/testing';
import { createMetrics } from '../src/observability/metrics.ts';
import { createSubgraphDataSource } from '../src/subgraph-fetch.ts';
import { deduplicateFetches } from '../src/subgraph-traffic/dedupe.ts';
import { post, startGateway, type RunningGateway } from './support.ts';
import { askEcho, metricValue, startGatedSubgraph, type GatedSubgraph } from './traffic-support.ts';

const DEDUPLICATED = 'tonegraph_gateway_subgraph_fetches_deduplicated_total';
let subgraph: GatedSubgraph;
let gw: RunningGateway;

before(async () => {
  subgraph = await startGatedSubgraph();
  gw = await startGateway(subgraph.supergraphSdl);
});
after(async () => {
  await gw?.stop();
  await subgraph?.stop();
});

const deduplicated = () => metricValue(gw.gateway.metrics.registry, DEDUPLICATED, { subgraph: 'gated' });
const echo = (tag: string, signal?: AbortSignal) => askEcho(gw.url, tag, signal);

/** Waits until `n` client requests have reached the subgraph or joined a fetch in flight. */
const arrived = (n: number, before: { requests: number; deduplicated: number }) =>
  eventually(
    async () => subgraph.requests - before.requests + (await deduplicated()) - before.deduplicated >= n,
  );
const snapshot = async () => ({ requests: subgraph.requests, deduplicated: await deduplicated() });

test('twenty identical concurrent queries reach the subgraph as one fetch, and each gets the answer', async () => {
  subgraph.close();
  const start = await snapshot();
  const answers = Array.from({ length: 20 }, () =>
    post<{ echo: string }>(gw.url, { query: '{ echo(tag: "a") }' }),
  );
  await arrived(20, start);
  subgraph.open();
  for (const answer of await Promise.all(answers)) {
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { data: { echo: 'a' } });
  }
  assert.equal(subgraph.requests - start.requests, 1, 'one fetch reached the subgraph');
  assert.equal((await deduplicated()) - start.deduplicated, 19);
});

test('queries with different variables are not merged', async () => {
  subgraph.close();
  const start = await snapshot();
  const answers = Array.from({ length: 10 }, (_, i) => echo(i % 2 ? 'odd' : 'even'));
  await arrived(10, start);
  subgraph.open();
  const bodies = await Promise.all(
    answers.map(async (a) => (await (await a).json()) as { data: { echo: string } }),
  );
  assert.deepEqual(
    bodies.map((b) => b.data.echo),
    Array.from({ length: 10 }, (_, i) => (i % 2 ? 'odd' : 'even')),
  );
  assert.equal(subgraph.requests - start.requests, 2, 'one fetch per distinct variables');
});

test('mutations are never deduplicated', async () => {
  subgraph.close();
  const start = await snapshot();
  const answers = Array.from({ length: 5 }, () => post(gw.url, { query: 'mutation { touch(tag: "m") }' }));
  await eventually(() => subgraph.requests - start.requests === 5);
  subgraph.open();
  for (const answer of await Promise.all(answers)) assert.deepEqual(answer.body, { data: { touch: 'm' } });
  assert.equal((await deduplicated()) - start.deduplicated, 0);
});

test('a shared fetch that fails fails each waiter with an error, and the next query fetches again', async () => {
  subgraph.close();
  const start = await snapshot();
  const answers = Array.from({ length: 6 }, () => post(gw.url, { query: '{ echo(tag: "fail-1") }' }));
  await arrived(6, start);
  subgraph.open();
  for (const answer of await Promise.all(answers)) {
    assert.equal(answer.status, 200);
    assert.equal(answer.body.data, null);
    assert.equal(answer.body.errors?.length, 1, 'one error per waiter');
  }
  assert.equal(subgraph.requests - start.requests, 1);
  const again = await post(gw.url, { query: '{ echo(tag: "fail-1") }' });
  assert.equal(again.body.errors?.length, 1);
  assert.equal(subgraph.requests - start.requests, 2, 'a failure is not kept');
});

test('a client that leaves a shared fetch does not cancel it for the others; the last one leaving does', async () => {
  subgraph.close();
  const start = await snapshot();
  const leaving = new AbortController();
  const left = echo('shared', leaving.signal).catch((error: unknown) => error);
  const staying = echo('shared');
  await arrived(2, start);
  leaving.abort();
  assert.ok((await left) instanceof Error);
  const abandonedBefore = subgraph.abandoned;
  subgraph.open();
  assert.deepEqual(await (await staying).json(), { data: { echo: 'shared' } });
  assert.equal(subgraph.abandoned, abandonedBefore, 'the shared fetch was answered');

  subgraph.close();
  const next = await snapshot();
  const clients = Array.from({ length: 3 }, () => new AbortController());
  const all = clients.map((c) => echo('everyone-leaves', c.signal).catch(() => undefined));
  await arrived(3, next);
  for (const c of clients) c.abort();
  await Promise.all(all);
  await eventually(() => subgraph.abandoned > abandonedBefore);
  subgraph.open();
});

test('fetches with different headers to the subgraph are not merged', async () => {
  const metrics = createMetrics(() => ({ clients: 0, upstream: 0, connections: 0 }));
  const source = createSubgraphDataSource({
    name: 'gated',
    url: subgraph.url,
    timeoutMs: 5000,
    secret: undefined,
    metrics,
    plugins: [deduplicateFetches({ registry: metrics.registry })],
  });
  try {
    subgraph.close();
    const before = subgraph.requests;
    const body = JSON.stringify({ query: '{ echo(tag: "h") }' });
    const send = (language: string) =>
      source.fetcher(subgraph.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'accept-language': language },
        body,
      });
    const answers = [send('en'), send('de'), send('en')];
    await eventually(() => subgraph.requests - before === 2);
    subgraph.open();
    for (const a of await Promise.all(answers)) assert.deepEqual(await a.json(), { data: { echo: 'h' } });
    assert.equal(subgraph.requests - before, 2, 'one fetch per distinct headers');
    assert.equal(await metricValue(metrics.registry, DEDUPLICATED), 1);
  } finally {
    await source.close();
  }
});

test('with the response cache on, queries the cache tells apart but that plan to one fetch share it', async () => {
  const redis = new Redis(testServices().REDIS_URL);
  const cached = await startGateway(subgraph.supergraphSdl, {
    redis,
    responseCache: { prefix: isolation().redisPrefix, ttlSeconds: 60, maxBytes: 1024 * 1024 },
  });
  try {
    await eventually(() => cached.gateway.responseCache!.live());
    subgraph.close();
    const before = subgraph.requests;
    const registry = cached.gateway.metrics.registry;
    // Spelled differently, so each is its own response-cache key (and its own single flight).
    const answers = Array.from({ length: 8 }, (_, i) =>
      post<{ echo: string }>(cached.url, { query: `{${' '.repeat(i)}echo(tag: "cached") }` }),
    );
    await eventually(
      async () => subgraph.requests - before + (await metricValue(registry, DEDUPLICATED)) >= 8,
    );
    subgraph.open();
    for (const answer of await Promise.all(answers))
      assert.deepEqual(answer.body, { data: { echo: 'cached' } });
    assert.equal(subgraph.requests - before, 1, 'one fetch reached the subgraph');
    assert.equal(await metricValue(registry, DEDUPLICATED), 7);
  } finally {
    await cached.stop();
    redis.disconnect();
  }
});
