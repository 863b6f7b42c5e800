import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { seedCatalog } from '@tonegraph/catalog/seed';
import { startCatalog, type Harness } from '@tonegraph/catalog/test-harness';
import { createLogger } from '@tonegraph/logger';
import { supergraphFile } from '@tonegraph/schema-tools';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createServer, type Gateway } from '../src/server.ts';

let catalog: Harness;
let gateway: Gateway;
let url: string;

before(async () => {
  catalog = await startCatalog();
  await seedCatalog(catalog.database.db, { tracks: 120, albums: 12, artists: 10, seed: 2 });
  gateway = createServer({
    supergraphSdl: await readFile(supergraphFile, 'utf8'),
    subgraphUrls: { catalog: catalog.url },
    subgraphTimeoutMs: 5000,
    development: false,
    auth: 'off',
    log: createLogger({ service: 'gateway-test', level: 'silent' }),
  });
  await gateway.start();
  await new Promise<void>((resolve) => gateway.httpServer.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(gateway.httpServer.address() as AddressInfo).port}`;
});

after(async () => {
  await gateway?.stop();
  await catalog?.close();
});

type Body = {
  data?: Record<string, unknown>;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
};
async function gql(query: string, variables?: object): Promise<Body> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as Body;
}

test('a query through the gateway answers from the catalog, same as the subgraph', async () => {
  const query =
    '{ tracks(first: 50) { totalCount edges { node { id title album { title } artists { artist { name } } } } } }';
  const viaGateway = await gql(query);
  assert.equal(viaGateway.errors, undefined, JSON.stringify(viaGateway.errors));
  const direct = await catalog.gql(query);
  assert.deepEqual(viaGateway.data, direct.data);
  const tracks = viaGateway.data!.tracks as { totalCount: number; edges: unknown[] };
  assert.equal(tracks.totalCount, 120);
  assert.equal(tracks.edges.length, 50);
});

test('subgraph error codes reach the client; bad queries get request errors', async () => {
  const res = await gql('mutation { addLibrary(path: "relative/path", name: "x") { id } }');
  assert.equal(res.errors?.[0]?.extensions?.code, 'LIBRARY_PATH_INVALID');
  const invalid = await gql('{ tracks(first: 1) { nope } }');
  assert.equal(invalid.errors?.[0]?.extensions?.code, 'GRAPHQL_VALIDATION_FAILED');
  const parse = await gql('{ tracks(first: ');
  assert.equal(parse.errors?.[0]?.extensions?.code, 'GRAPHQL_PARSE_FAILED');
});

test('a subscription over HTTP gets a clear error, not an internal one', async () => {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: 'subscription { importProgress(jobId: "00000000-0000-0000-0000-000000000000") { status } }',
    }),
  });
  assert.equal(res.status, 400);
  const body = (await res.json()) as Body;
  assert.equal(body.errors?.[0]?.extensions?.code, 'OPERATION_NOT_SUPPORTED');
});

test('the checked-in supergraph serves catalog subscriptions over WebSocket', async () => {
  const [library] = await catalog.database.sql<{ id: string }[]>`
    insert into libraries (name, path) values ('Sub', '/sub') returning id`;
  const [job] = await catalog.database.sql<{ id: string }[]>`
    insert into import_jobs (library_id, mode, status, total, processed)
    values (${library!.id}, 'FULL', 'COMPLETED', 2, 2) returning id`;
  const client = createClient({
    url: `${url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
  });
  try {
    const results: unknown[] = [];
    for await (const result of client.iterate({
      query: `subscription { importProgress(jobId: "${job!.id}") { status processed job { library { name } } } }`,
    })) {
      results.push(result);
    }
    assert.deepEqual(results, [
      { data: { importProgress: { status: 'COMPLETED', processed: 2, job: { library: { name: 'Sub' } } } } },
    ]);
  } finally {
    await client.dispose();
  }
});

test('health and readiness', async () => {
  const health = await fetch(`${url}/health`);
  assert.equal(health.status, 200);
  // The checked-in supergraph grows as subgraphs are added; only the catalog runs here.
  const ready = await fetch(`${url}/ready`);
  const body = (await ready.json()) as { status: string; subgraphs: Record<string, string> };
  assert.equal(body.subgraphs.catalog, 'ok');
  const allOk = Object.values(body.subgraphs).every((s) => s === 'ok');
  assert.equal(body.status, allOk ? 'ready' : 'unavailable');
  assert.equal(ready.status, allOk ? 200 : 503);
});

test('CSRF prevention: GET queries are answered; a GET mutation and a simple POST are refused', async () => {
  const get = (query: string) => fetch(`${url}/graphql?query=${encodeURIComponent(query)}`);
  const query = await get('{ libraries { id } }');
  assert.equal(query.status, 200, 'a query by GET has no side effects (see README: CSRF)');
  assert.ok(Array.isArray(((await query.json()) as { data: { libraries: unknown } }).data.libraries));
  const mutation = await get('mutation { removeLibrary(id: "00000000-0000-0000-0000-000000000000") }');
  assert.equal(mutation.status, 405, 'a mutation is never run from a GET');
  const simplePost = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: JSON.stringify({ query: 'mutation { removeLibrary(id: "00000000-0000-0000-0000-000000000000") }' }),
  });
  assert.equal(simplePost.status, 400, 'a simple (non-preflighted) POST is refused');
});

test('request errors are 200 for a client asking for application/json, 400 for graphql-response+json', async () => {
  const cases = [
    { query: '{ libraries { id ', code: 'GRAPHQL_PARSE_FAILED' },
    { query: '{ noSuchField }', code: 'GRAPHQL_VALIDATION_FAILED' },
    { query: 'query ($n: Int!) { tracks(first: $n) { edges { node { id } } } }', code: 'BAD_USER_INPUT' },
  ];
  for (const { query, code } of cases) {
    for (const [accept, status] of [
      ['application/json', 200],
      ['application/graphql-response+json', 400],
      ['application/graphql-response+json, application/json;q=0.9', 400],
    ] as const) {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept },
        body: JSON.stringify({ query, variables: { n: 'many' } }),
      });
      assert.equal(res.status, status, `${code} with accept ${accept}`);
      const body = (await res.json()) as Body;
      assert.equal(body.errors?.[0]?.extensions?.['code'], code);
    }
  }
});

test('a subgraph that is down gives a masked error with a correlation id, and /ready says 503', async () => {
  const broken = createServer({
    supergraphSdl: await readFile(supergraphFile, 'utf8'),
    subgraphUrls: { catalog: 'http://127.0.0.1:1/graphql' },
    subgraphTimeoutMs: 2000,
    development: false,
    auth: 'off',
    log: createLogger({ service: 'gateway-test', level: 'silent' }),
  });
  await broken.start();
  await new Promise<void>((resolve) => broken.httpServer.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(broken.httpServer.address() as AddressInfo).port}`;
  try {
    const res = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ libraries { id } }' }),
    });
    const body = (await res.json()) as Body;
    const error = body.errors?.[0];
    assert.equal(error?.extensions?.code, 'INTERNAL_SERVER_ERROR');
    assert.match(String(error?.extensions?.correlationId), /^[0-9a-f-]{36}$/);
    assert.doesNotMatch(JSON.stringify(body), /127\.0\.0\.1:1|ECONNREFUSED/);
    assert.equal((await fetch(`${base}/ready`)).status, 503);
  } finally {
    await broken.stop();
  }
});

test('@defer is refused with a validation error naming the directive (see README: incremental delivery)', async () => {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'multipart/mixed; deferSpec=20220824, application/json',
    },
    body: JSON.stringify({
      query: '{ tracks(first: 2) { edges { node { title ... @defer { album { title } } } } } }',
    }),
  });
  assert.equal(res.status, 400);
  const body = (await res.json()) as Body;
  assert.equal(body.errors?.[0]?.extensions?.['code'], 'GRAPHQL_VALIDATION_FAILED');
  assert.match(body.errors?.[0]?.message ?? '', /@defer/);
});
