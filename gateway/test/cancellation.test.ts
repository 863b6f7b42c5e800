// Cancellation end to end: client → gateway → catalog → PostgreSQL. A table
// lock held by the test keeps the catalog's statement waiting in PostgreSQL
// (a slow statement that no timing decides); when the client leaves, or the
// gateway's deadline passes, the statement must leave pg_stat_activity while
// the lock is still held — nobody waits for its answer any more.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { startCatalog, type Harness } from '@tonegraph/catalog/test-harness';
import { supergraphFile } from '@tonegraph/schema-tools';
import { eventually } from '@tonegraph/testing';
import { startGateway, type RunningGateway } from './support.ts';
import { metricValue } from './traffic-support.ts';

let catalog: Harness;
let gw: RunningGateway;
let timing: RunningGateway;

before(async () => {
  catalog = await startCatalog();
  const supergraphSdl = await readFile(supergraphFile, 'utf8');
  gw = await startGateway(supergraphSdl, { subgraphUrls: { catalog: catalog.url } });
  timing = await startGateway(supergraphSdl, {
    subgraphUrls: { catalog: catalog.url },
    limits: { requestTimeoutMs: 1000 },
  });
});
after(async () => {
  await timing?.stop();
  await gw?.stop();
  await catalog?.close();
});

const QUERY = '{ tracks(first: 5) { edges { node { id title } } } }';
const ask = (url: string, signal?: AbortSignal) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: QUERY }),
    ...(signal ? { signal } : {}),
  });

/** Statements of the catalog waiting on the test's lock of `tracks`. */
const waiting = async () => {
  const rows = await catalog.database.sql<{ n: number }[]>`
    select count(*)::int as n from pg_stat_activity
    where datname = current_database() and pid <> pg_backend_pid()
      and state = 'active' and wait_event_type = 'Lock' and query ilike '%"tracks"%'`;
  return rows[0]!.n;
};

/** Holds an exclusive lock on `tracks` until the returned function is called. */
async function lockTracks(): Promise<() => Promise<void>> {
  const conn = await catalog.database.sql.reserve();
  await conn`begin`;
  await conn`lock table tracks in access exclusive mode`;
  return async () => {
    await conn`rollback`;
    conn.release();
  };
}

test('a client that leaves cancels the catalog statement its query was waiting on', async () => {
  const unlock = await lockTracks();
  try {
    const client = new AbortController();
    const answer = ask(gw.url, client.signal).catch((error: unknown) => error);
    await eventually(async () => (await waiting()) === 1);
    client.abort();
    assert.ok((await answer) instanceof Error);
    await eventually(async () => (await waiting()) === 0);
    const cancelled = await metricValue(
      gw.gateway.metrics.registry,
      'tonegraph_gateway_subgraph_fetches_cancelled_total',
      {
        subgraph: 'catalog',
        stage: 'in_flight',
      },
    );
    assert.equal(cancelled, 1);
  } finally {
    await unlock();
  }
  const after = (await (await ask(gw.url)).json()) as { data?: unknown; errors?: unknown };
  assert.equal(after.errors, undefined, 'the catalog answers the next query');
});

test("a query that reaches the gateway's deadline gets GATEWAY_TIMEOUT and its statement is cancelled", async () => {
  const unlock = await lockTracks();
  try {
    const res = await ask(timing.url);
    const body = (await res.json()) as { errors?: { extensions?: { code?: string } }[] };
    assert.equal(body.errors?.[0]?.extensions?.code, 'GATEWAY_TIMEOUT');
    await eventually(async () => (await waiting()) === 0);
  } finally {
    await unlock();
  }
});
