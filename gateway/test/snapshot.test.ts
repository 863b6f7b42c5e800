// Which subscription fields are snapshots is declared by the subgraph that
// owns them (`@snapshot`, kept by `@composeDirective`) and read by the gateway
// from the supergraph — never named in the gateway's code.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { composeServices } from '@apollo/composition';
import { Supergraph } from '@apollo/federation-internals';
import { parse } from 'graphql';
import { snapshotFieldsOf } from '../src/subscriptions/snapshot.ts';

const supergraphFile = new URL('../../schema/supergraph.graphql', import.meta.url);

/** A one-subgraph supergraph whose SDL links the spec as `link` says and marks `ticks` with `mark`. */
function compose(link: string, mark: string): Supergraph {
  const typeDefs = parse(`
    extend schema
      @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@composeDirective"])
      ${link}
    directive ${mark} on FIELD_DEFINITION
    type Query { ok: Boolean }
    type Subscription { ticks: Int! ${mark}  events: Int! }
  `);
  const result = composeServices([{ name: 'ticker', url: 'http://127.0.0.1:1/graphql', typeDefs }]);
  assert.deepEqual(result.errors ?? [], []);
  return Supergraph.build(result.supergraphSdl!);
}

test('the checked-in supergraph marks importProgress, and only it, as a snapshot', async () => {
  const supergraph = Supergraph.build(await readFile(supergraphFile, 'utf8'));
  assert.deepEqual([...snapshotFieldsOf(supergraph)], ['importProgress']);
});

test('the directive is found through its @link, under whatever name the subgraph imports it', () => {
  const renamed = compose(
    `@link(url: "https://tonegraph.dev/subscriptions/v1.0", import: [{ name: "@snapshot", as: "@latest" }])
     @composeDirective(name: "@latest")`,
    '@latest',
  );
  assert.deepEqual([...snapshotFieldsOf(renamed)], ['ticks']);
});

test('a @snapshot of another spec, or one not kept by @composeDirective, marks nothing', () => {
  const foreign = compose(
    `@link(url: "https://example.com/other/v1.0", import: ["@snapshot"]) @composeDirective(name: "@snapshot")`,
    '@snapshot',
  );
  assert.deepEqual([...snapshotFieldsOf(foreign)], []);
  const dropped = compose(
    `@link(url: "https://tonegraph.dev/subscriptions/v1.0", import: ["@snapshot"])`,
    '@snapshot',
  );
  assert.deepEqual([...snapshotFieldsOf(dropped)], []);
});
