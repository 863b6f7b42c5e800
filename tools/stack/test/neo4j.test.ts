import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import neo4j, { type Driver } from 'neo4j-driver';
import { isolation, testServices } from '@tonegraph/testing';

const { neo4jTag: run } = isolation();
let driver: Driver;

before(() => {
  driver = neo4j.driver(testServices().NEO4J_URL, undefined, {
    maxConnectionPoolSize: 20,
    disableLosslessIntegers: true,
  });
});

after(async () => {
  await driver?.executeQuery('MATCH (n {run: $run}) DETACH DELETE n', { run });
  await driver?.close();
});

test('writes a batch in one transaction and reads it back in another', async () => {
  const tracks = Array.from({ length: 500 }, (_, i) => ({ id: `${run}-${i}`, title: `Track ${i}` }));
  const session = driver.session();
  try {
    await session.executeWrite((tx) =>
      tx.run(
        `MERGE (a:SmokeArtist {id: $artist, run: $run})
         WITH a UNWIND $tracks AS t
         MERGE (tr:SmokeTrack {id: t.id, run: $run}) SET tr.title = t.title
         MERGE (tr)-[:PERFORMED_BY]->(a)`,
        { artist: `${run}-artist`, run, tracks },
      ),
    );
    // Running the same batch again changes nothing: MERGE is idempotent.
    await session.executeWrite((tx) =>
      tx.run('UNWIND $tracks AS t MERGE (tr:SmokeTrack {id: t.id, run: $run})', { run, tracks }),
    );
    const result = await session.executeRead((tx) =>
      tx.run(
        'MATCH (t:SmokeTrack {run: $run})-[:PERFORMED_BY]->(a) RETURN count(t) AS n, count(DISTINCT a) AS artists',
        {
          run,
        },
      ),
    );
    assert.equal(result.records[0]?.get('n'), 500);
    assert.equal(result.records[0]?.get('artists'), 1);
  } finally {
    await session.close();
  }
});

test('a failed write transaction is rolled back', async () => {
  const session = driver.session();
  try {
    await assert.rejects(
      session.executeWrite(async (tx) => {
        await tx.run('CREATE (:SmokeTrack {id: $id, run: $run})', { id: `${run}-ghost`, run });
        await tx.run('RETURN 1/0');
      }),
    );
    const { records } = await driver.executeQuery('MATCH (t:SmokeTrack {id: $id}) RETURN count(t) AS n', {
      id: `${run}-ghost`,
    });
    assert.equal(records[0]?.get('n'), 0);
  } finally {
    await session.close();
  }
});

test('APOC core procedures and functions are installed', async () => {
  const { records } = await driver.executeQuery(
    "RETURN apoc.version() AS version, apoc.cypher.runFirstColumnMany('UNWIND [1, 2, 3] AS x RETURN x', {}) AS xs",
  );
  assert.match(String(records[0]?.get('version')), /^5\./);
  assert.deepEqual(records[0]?.get('xs'), [1, 2, 3]);
});
