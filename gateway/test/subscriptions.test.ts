// Federated subscriptions through the gateway over graphql-ws: the catalog
// owns the root fields and publishes from Redis; a probe subgraph adds fields
// to the entities in each event, which the gateway fetches per event.
// SSE and subscriptions over HTTP: subscriptions-sse.test.ts.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Client } from 'graphql-ws';
import type { Redis } from 'ioredis';
import type { Harness } from '@tonegraph/catalog/test-harness';
import { importProgressChannel, libraryEventsChannel } from '@tonegraph/topics';
import { eventually } from '@tonegraph/testing';
import {
  type LiveSubscriptions,
  type Progress,
  progressQuery,
  startLiveSubscriptions,
} from './live-subscriptions.ts';
import { startGateway, watch, wsClient, type Probe, type RunningGateway } from './support.ts';

let live: LiveSubscriptions;
let catalog: Harness;
let probe: Probe;
let supergraphSdl: string;
let gatewayA: RunningGateway;
let gatewayB: RunningGateway;
let clientA: Client;
let clientB: Client;
let libraryId: string;
let redis: Redis;
const listeners = (channel: string) => live.listeners(channel);
const newJob = (status?: string) => live.newJob(status);
const progressEvent = (jobId: string, status: string, processed: number) =>
  live.progressEvent(jobId, status, processed);

before(async () => {
  live = await startLiveSubscriptions();
  ({ catalog, probe, supergraphSdl, libraryId, redis } = live);
  [gatewayA, gatewayB] = await Promise.all([startGateway(supergraphSdl), startGateway(supergraphSdl)]);
  clientA = wsClient(gatewayA.wsUrl);
  clientB = wsClient(gatewayB.wsUrl);
});

after(async () => {
  await clientA?.dispose();
  await clientB?.dispose();
  await gatewayA?.stop();
  await gatewayB?.stop();
  await live?.close();
});

test('importProgress carries fields of two subgraphs in every event, on two gateway instances', async (t) => {
  const jobId = await newJob();
  const a = watch<Progress>(clientA, progressQuery, { id: jobId });
  const b = watch<Progress>(clientB, progressQuery, { id: jobId });
  // Baseline for the latency figure: the same root field straight from the catalog.
  const direct = wsClient(catalog.url.replace(/^http/, 'ws'));
  t.after(() => direct.dispose());
  const d = watch<Progress>(
    direct,
    'subscription ($id: ID!) { importProgress(jobId: $id) { status processed job { id library { name } } } }',
    { id: jobId },
  );
  await d.until((r) => r.data?.importProgress.status === 'QUEUED');
  // The current state comes first, once the catalog has subscribed to the job's channel.
  await Promise.all([a, b].map((w) => w.until((r) => r.data?.importProgress.status === 'QUEUED')));
  const channel = importProgressChannel(catalog.redisPrefix, jobId);
  for (const gw of [gatewayA, gatewayB]) {
    assert.equal(
      gw.gateway.subscriptionStats().upstream,
      1,
      'each gateway holds its own upstream subscription',
    );
  }

  const sentAt = performance.now();
  // One catalog process: its Redis client shares a channel between its two subscribers.
  assert.equal(await redis.publish(channel, progressEvent(jobId, 'RUNNING', 4)), 1);
  const delays = await Promise.all(
    [d, a, b].map(async (w) => {
      await w.until((r) => r.data?.importProgress.processed === 4);
      return (performance.now() - sentAt).toFixed(1);
    }),
  );
  t.diagnostic(
    `publish → delivery: catalog directly ${delays[0]} ms; gateway A / B with the probe's entity fetches ${delays[1]} / ${delays[2]} ms`,
  );
  await redis.publish(channel, progressEvent(jobId, 'COMPLETED', 10));
  await Promise.all([a.ended, b.ended, d.ended]);

  for (const w of [a, b]) {
    assert.deepEqual(
      w.results.map((r) => [r.data?.importProgress.status, r.data?.importProgress.processed]),
      [
        ['QUEUED', 0],
        ['RUNNING', 4],
        ['COMPLETED', 10],
      ],
    );
    for (const r of w.results) {
      assert.equal(r.errors, undefined);
      assert.deepEqual(r.data?.importProgress.job, {
        id: jobId,
        probe: `job:${jobId}`,
        library: { name: 'Live', probe: `library:${libraryId}` },
      });
    }
  }
  // The upstream ended with the job: nothing left open anywhere.
  await eventually(async () => (await listeners(channel)) === 0);
  assert.equal(gatewayA.gateway.subscriptionStats().upstream, 0);
});

test('subscribers asking the same thing share one upstream subscription and one resolution per event; a late one gets the current state', async () => {
  const jobId = await newJob();
  const clients = [wsClient(gatewayA.wsUrl), wsClient(gatewayA.wsUrl), wsClient(gatewayA.wsUrl)];
  try {
    const watches = clients.slice(0, 2).map((c) => watch<Progress>(c, progressQuery, { id: jobId }));
    await Promise.all(watches.map((w) => w.until((r) => r.data?.importProgress.status === 'QUEUED')));
    const channel = importProgressChannel(catalog.redisPrefix, jobId);
    assert.equal(gatewayA.gateway.subscriptionStats().upstream, 1, 'one upstream subscription for both');
    assert.equal(gatewayA.gateway.subscriptionStats().clients, 2);
    assert.equal(await listeners(channel), 1);

    const before = probe.references;
    await redis.publish(channel, progressEvent(jobId, 'RUNNING', 4));
    await Promise.all(watches.map((w) => w.until((r) => r.data?.importProgress.processed === 4)));
    // The probe's fields of one event (the job and its library) were fetched once, not per subscriber.
    assert.equal(probe.references - before, 2, 'one resolution for the two subscribers');

    // A third subscriber joins the running share: the latest state at once, no new upstream.
    const late = watch<Progress>(clients[2]!, progressQuery, { id: jobId });
    await late.until((r) => r.data?.importProgress.processed === 4);
    assert.equal(late.results[0]?.data?.importProgress.status, 'RUNNING');
    assert.equal(gatewayA.gateway.subscriptionStats().upstream, 1);

    // One leaves: the others go on; the end reaches everyone and frees the share.
    watches[0]!.unsubscribe();
    await redis.publish(channel, progressEvent(jobId, 'COMPLETED', 10));
    await Promise.all([watches[1]!.ended, late.ended]);
    for (const w of [watches[1]!, late])
      assert.equal(w.results.at(-1)?.data?.importProgress.status, 'COMPLETED');
    await eventually(() => gatewayA.gateway.subscriptionStats().upstream === 0);
    assert.equal(gatewayA.gateway.subscriptionStats().clients, 0);
  } finally {
    for (const c of clients) await c.dispose();
  }
});

test('libraryEvents through the gateway, with the library from the catalog and a probe field', async () => {
  const jobId = await newJob('RUNNING');
  const w = watch<{ libraryEvents: unknown }>(
    clientA,
    `subscription ($lib: ID!) {
      libraryEvents(libraryId: $lib) {
        type library { name probe } progress { status processed job { id probe } }
      }
    }`,
    { lib: libraryId },
  );
  const channel = libraryEventsChannel(catalog.redisPrefix, libraryId);
  await eventually(async () => (await listeners(channel)) === 1);
  await redis.publish(
    channel,
    JSON.stringify({ type: 'IMPORT_PROGRESS', ...JSON.parse(progressEvent(jobId, 'RUNNING', 5)) }),
  );
  const result = await w.until(() => true);
  w.unsubscribe();
  assert.deepEqual(result, {
    data: {
      libraryEvents: {
        type: 'IMPORT_PROGRESS',
        library: { name: 'Live', probe: `library:${libraryId}` },
        progress: { status: 'RUNNING', processed: 5, job: { id: jobId, probe: `job:${jobId}` } },
      },
    },
  });
});

test('a client that leaves ends its upstream subscription; subscribers share one upstream connection', async () => {
  const gw = await startGateway(supergraphSdl);
  const client = wsClient(gw.wsUrl);
  const other = wsClient(gw.wsUrl);
  try {
    const libraries = [randomUUID(), randomUUID(), randomUUID()];
    const query = 'subscription ($lib: ID!) { libraryEvents(libraryId: $lib) { type } }';
    const watches = [
      watch(client, query, { lib: libraries[0] }),
      watch(client, query, { lib: libraries[1] }),
      watch(other, query, { lib: libraries[2] }),
    ];
    const channels = libraries.map((id) => libraryEventsChannel(catalog.redisPrefix, id));
    for (const channel of channels) await eventually(async () => (await listeners(channel)) === 1);
    assert.deepEqual(gw.gateway.subscriptionStats(), { clients: 3, upstream: 3, connections: 1 });

    // One subscription completed by its client (graphql-ws Complete message).
    watches[0]!.unsubscribe();
    await eventually(async () => (await listeners(channels[0]!)) === 0);
    assert.deepEqual(gw.gateway.subscriptionStats(), { clients: 2, upstream: 2, connections: 1 });
    assert.equal(await listeners(channels[1]!), 1);

    // A client whose socket goes away (graphql-ws closes every operation of it).
    await client.dispose();
    await eventually(async () => (await listeners(channels[1]!)) === 0);
    assert.equal(gw.gateway.subscriptionStats().upstream, 1);
    await other.dispose();
    await eventually(async () => (await listeners(channels[2]!)) === 0);
    await eventually(() => gw.gateway.subscriptionStats().upstream === 0);
    assert.equal(gw.gateway.subscriptionStats().clients, 0);
  } finally {
    await client.dispose();
    await other.dispose();
    await gw.stop();
  }
});

/** The first error a subscription ends with, as graphql-ws delivers it. */
async function errorsOf(client: Client, query: string, variables?: Record<string, unknown>) {
  const w = watch(client, query, variables);
  const error = await w.ended.then(
    () => assert.fail(`completed without an error: ${JSON.stringify(w.results)}`),
    (e: unknown) => e as { message: string; extensions?: Record<string, unknown> }[],
  );
  assert.deepEqual(w.results, [], 'an error message, not a next');
  return error;
}

test("the subgraph's own errors reach the client as a graphql-ws error", async () => {
  const [error] = await errorsOf(clientA, 'subscription { importProgress(jobId: "nope") { status } }');
  assert.equal(error?.extensions?.code, 'BAD_USER_INPUT');
  assert.equal(error?.extensions?.serviceName, 'catalog');
  await eventually(() => gatewayA.gateway.subscriptionStats().upstream === 0);
});

test('bad requests get request errors before anything reaches a subgraph', async () => {
  const cases: [string, Record<string, unknown> | undefined, string][] = [
    ['subscription { importProgress(jobId: "x") { nope } }', undefined, 'GRAPHQL_VALIDATION_FAILED'],
    ['subscription { importProgress(', undefined, 'GRAPHQL_PARSE_FAILED'],
    ['subscription ($id: ID!) { importProgress(jobId: $id) { status } }', {}, 'BAD_USER_INPUT'],
    ['{ libraries { id } }', undefined, 'OPERATION_NOT_SUPPORTED'],
  ];
  for (const [query, variables, code] of cases) {
    const [error] = await errorsOf(clientA, query, variables);
    assert.equal(error?.extensions?.code, code, query);
  }
  assert.equal(gatewayA.gateway.subscriptionStats().upstream, 0);
});

test('stopping the gateway closes its WebSocket clients with 1001 and ends their upstream subscriptions', async () => {
  const gw = await startGateway(supergraphSdl);
  const closeCodes: number[] = [];
  const client = wsClient(gw.wsUrl);
  client.on('closed', (event) => closeCodes.push((event as { code: number }).code));
  const lib = randomUUID();
  const channel = libraryEventsChannel(catalog.redisPrefix, lib);
  const w = watch(client, `subscription { libraryEvents(libraryId: "${lib}") { type } }`);
  await eventually(async () => (await listeners(channel)) === 1);
  await gw.stop();
  await w.ended.catch(() => {});
  assert.deepEqual(closeCodes, [1001]);
  await eventually(async () => (await listeners(channel)) === 0);
  await client.dispose();
});
