import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { composeSupergraph, supergraphFile } from '@tonegraph/schema-tools';

test('the subgraphs compose without errors or unreviewed hints', async () => {
  const { errors, hints } = await composeSupergraph();
  assert.deepEqual(errors, []);
  assert.deepEqual(hints, [], 'review each hint, then fix it or list its code in schema/subgraphs.json');
});

test('schema/supergraph.graphql is up to date (run `npm run compose`)', async () => {
  const { supergraphSdl } = await composeSupergraph();
  assert.equal(await readFile(supergraphFile, 'utf8'), supergraphSdl);
});
