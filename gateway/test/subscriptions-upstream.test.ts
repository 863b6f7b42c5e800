// A subscription owned by a subgraph other than the catalog (the probe's
// `ticks`), whose events reference catalog Tracks; and what the gateway does
// when that subgraph restarts or stays down.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Client } from 'graphql-ws';
import { seedCatalog } from '@tonegraph/catalog/seed';
import { startCatalog, type Harness } from '@tonegraph/catalog/test-harness';
import { eventually } from '@tonegraph/testing';
import {
  composeWithProbe,
  startGateway,
  startProbe,
  watch,
  wsClient,
  type Probe,
  type RunningGateway,
} from './support.ts';

let catalog: Harness;
let probe: Probe;
let gw: RunningGateway;
let client: Client;
let track: { id: string; title: string };

before(async () => {
  catalog = await startCatalog();
  await seedCatalog(catalog.database.db, { tracks: 5, albums: 1, artists: 1, seed: 4 });
  const rows = await catalog.database.sql<
    { id: string; title: string }[]
  >`select id, title from tracks limit 1`;
  track = rows[0]!;
  probe = await startProbe();
  // Short waits between reconnection attempts keep the test quick: 3 attempts ≈ 50 + 100 + 200 ms.
  gw = await startGateway(await composeWithProbe(catalog.url, probe.url), {
    subscriptions: { retryAttempts: 3, retryBaseMs: 50, idleCloseMs: 100 },
  });
  client = wsClient(gw.wsUrl);
});

after(async () => {
  await client?.dispose();
  await gw?.stop();
  await probe?.stop();
  await catalog?.close();
});

type Tick = { ticks: { n: number; track: { id: string; title: string; probe: string } | null } };
const ticksQuery = 'subscription ($topic: String!) { ticks(topic: $topic) { n track { id title probe } } }';

/** Ticks until the probe has a subscriber (the gateway's upstream subscription is set up asynchronously). */
async function tickWhenSubscribed(topic: string, n: number) {
  await eventually(() => probe.tick(topic, n, track.id) > 0);
}

test('events of a non-catalog subscription carry catalog fields resolved per event', async () => {
  const topic = randomUUID();
  const w = watch<Tick>(client, ticksQuery, { topic });
  await tickWhenSubscribed(topic, 1);
  const result = await w.until((r) => r.data?.ticks.n === 1);
  assert.deepEqual(result, {
    data: { ticks: { n: 1, track: { id: track.id, title: track.title, probe: `probe:${track.id}` } } },
  });
  w.unsubscribe();
  await eventually(() => gw.gateway.subscriptionStats().upstream === 0);
});

test('a subgraph restart: the gateway reconnects and re-subscribes; the client subscription goes on', async () => {
  const topic = randomUUID();
  const w = watch<Tick>(client, ticksQuery, { topic });
  await tickWhenSubscribed(topic, 1);
  await w.until((r) => r.data?.ticks.n === 1);

  await probe.stop();
  await probe.restart();
  await tickWhenSubscribed(topic, 2);
  await w.until((r) => r.data?.ticks.n === 2);
  assert.deepEqual(
    w.results.map((r) => r.data?.ticks.n),
    [1, 2],
  );
  assert.equal(gw.gateway.subscriptionStats().upstream, 1);
  w.unsubscribe();
  await eventually(() => gw.gateway.subscriptionStats().upstream === 0);
});

test('a subgraph that stays down: the client subscription ends with SUBSCRIPTION_UPSTREAM_UNAVAILABLE', async () => {
  const topic = randomUUID();
  const w = watch<Tick>(client, ticksQuery, { topic });
  await tickWhenSubscribed(topic, 1);
  await w.until((r) => r.data?.ticks.n === 1);
  await probe.stop();
  try {
    const errors = await w.ended.then(
      () => assert.fail('completed without an error'),
      (e: unknown) => e as { message: string; extensions?: Record<string, unknown> }[],
    );
    assert.equal(errors[0]?.extensions?.code, 'SUBSCRIPTION_UPSTREAM_UNAVAILABLE');
    assert.equal(errors[0]?.extensions?.serviceName, 'probe');
    assert.doesNotMatch(JSON.stringify(errors), /127\.0\.0\.1|ECONNREFUSED/);
    assert.deepEqual(gw.gateway.subscriptionStats(), { clients: 0, upstream: 0, connections: 0 });
  } finally {
    await probe.restart();
  }
  // The gateway is not stuck: a new subscription works once the subgraph is back.
  const again = watch<Tick>(client, ticksQuery, { topic });
  await tickWhenSubscribed(topic, 3);
  await again.until((r) => r.data?.ticks.n === 3);
  again.unsubscribe();
});
