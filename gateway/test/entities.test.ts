// Entity resolution across subgraphs: a second, test-only subgraph extends
// the catalog's Track, and the gateway joins the two through _entities.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { composeServices } from '@apollo/composition';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { seedCatalog } from '@tonegraph/catalog/seed';
import { startCatalog, type Harness } from '@tonegraph/catalog/test-harness';
import { createLogger } from '@tonegraph/logger';
import { createServer, type Gateway } from '../src/server.ts';

const probeSdl = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Track @key(fields: "id") { id: ID! probe: String! }
  type Query { probeTracks(ids: [ID!]!): [Track!]! }
`);

let catalog: Harness;
let probe: ApolloServer;
let gateway: Gateway;
let url: string;
let trackIds: string[];
let probeReferences = 0;

before(async () => {
  catalog = await startCatalog();
  await seedCatalog(catalog.database.db, { tracks: 150, albums: 15, artists: 10, seed: 9 });
  trackIds = (await catalog.database.sql<{ id: string }[]>`select id from tracks order by id`).map(
    (r) => r.id,
  );
  probe = new ApolloServer({
    schema: buildSubgraphSchema({
      typeDefs: probeSdl,
      resolvers: {
        Query: { probeTracks: (_: unknown, { ids }: { ids: string[] }) => ids.map((id) => ({ id })) },
        Track: {
          __resolveReference: (ref: { id: string }) => {
            probeReferences++;
            return { id: ref.id };
          },
          probe: (t: { id: string }) => `probe:${t.id}`,
        },
      },
    }),
  });
  const { url: probeUrl } = await startStandaloneServer(probe, { listen: { port: 0, host: '127.0.0.1' } });
  const composed = composeServices([
    {
      name: 'catalog',
      url: catalog.url,
      typeDefs: parse(await readFile(new URL('../../schema/catalog.graphql', import.meta.url), 'utf8')),
    },
    { name: 'probe', url: probeUrl, typeDefs: probeSdl },
  ]);
  assert.equal(composed.errors, undefined, String(composed.errors));
  gateway = createServer({
    supergraphSdl: composed.supergraphSdl,
    subgraphTimeoutMs: 5000,
    development: false,
    auth: 'off',
    log: createLogger({ service: 'gateway-test', level: 'silent' }),
  });
  await gateway.start();
  await new Promise<void>((resolve) => gateway.httpServer.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(gateway.httpServer.address() as AddressInfo).port}/graphql`;
});

after(async () => {
  await gateway?.stop();
  await probe?.stop();
  await catalog?.close();
});

async function gql<T>(query: string, variables?: object): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown };
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data!;
}

test('catalog fields of Tracks referenced by another subgraph resolve in a constant number of statements', async (t) => {
  const query =
    'query ($ids: [ID!]!) { probeTracks(ids: $ids) { id probe title album { title } artists { artist { name } } } }';
  const run = async (n: number) => {
    catalog.resetStatements();
    const data = await gql<{
      probeTracks: { id: string; probe: string; title: string; album: { title: string } | null }[];
    }>(query, {
      ids: trackIds.slice(0, n),
    });
    assert.equal(data.probeTracks.length, n);
    for (const track of data.probeTracks) {
      assert.equal(track.probe, `probe:${track.id}`);
      assert.ok(track.title.length > 0);
    }
    return catalog.statements.length;
  };
  const ten = await run(10);
  const hundred = await run(100);
  t.diagnostic(`catalog statements for _entities through the gateway: N=10 → ${ten}, N=100 → ${hundred}`);
  assert.equal(hundred, ten);
});

test('fields another subgraph adds to catalog Tracks are fetched in one batch per page', async () => {
  probeReferences = 0;
  const data = await gql<{ tracks: { edges: { node: { id: string; title: string; probe: string } }[] } }>(
    '{ tracks(first: 40) { edges { node { id title probe } } } }',
  );
  assert.equal(data.tracks.edges.length, 40);
  for (const { node } of data.tracks.edges) assert.equal(node.probe, `probe:${node.id}`);
  assert.equal(probeReferences, 40, 'one _entities call resolved all 40 references');
});
