// Measures the subgraph against the stack's Neo4j:
//   npm run stack -- exec -- node subgraphs/library-graph/scripts/measure.ts [--tracks 2000]
// Seeds a library of its own (random ids), then prints the Cypher round trips
// of `_entities` for 10 and 100 representations and the latency of a
// similarTracks query, and removes what it seeded.
import { parseArgs } from 'node:util';
import { execute, parse } from 'graphql';
import { buildGraphSchema } from '../src/schema.ts';
import { countingDriver, createFixture, startLibraryGraph } from '../test/harness.ts';

const { values } = parseArgs({ options: { tracks: { type: 'string', default: '2000' } } });
const count = Number(values.tracks);
const h = await startLibraryGraph();
const f = createFixture();
try {
  const tracks = Array.from({ length: count }, (_, i) =>
    f.track({
      title: `t${i}`,
      artists: [
        { id: f.artist(`a${i % 200}`), name: `a${i % 200}`, role: 'main' },
        { id: f.artist(`a${(i * 7 + 3) % 200}`), name: `a${(i * 7 + 3) % 200}`, role: 'featured' },
      ],
      genres: [f.genre(`g${i % 12}`)],
      features: {
        bpm: 80 + ((i * 37) % 100),
        camelot: `${(i % 12) + 1}${i % 2 ? 'A' : 'B'}`,
        integratedLufs: -5 - (i % 10),
      },
    }),
  );
  const seedStart = performance.now();
  for (let i = 0; i < tracks.length; i += 100) await h.sync.upsertTracks(tracks.slice(i, i + 100));
  const seedMs = performance.now() - seedStart;
  // @neo4j/graphql asks the server for its version once, on the first query that reaches Neo4j.
  await h.gql('{ recommendations(seedTrackIds: []) { id } }');

  const rows: string[][] = [['measure', 'value']];
  rows.push(['tracks seeded (with similarity)', `${count} in ${(seedMs / 1000).toFixed(1)} s`]);
  // The same query on the schema as @neo4j/graphql generates it (reference resolver not batched).
  const counted = countingDriver(h.driver);
  const generated = await buildGraphSchema(counted.driver);
  const entities = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Track {
    id similarTracks(limit: 5) { id } performersConnection { edges { properties { role } node { id } } } } } }`;
  for (const n of [10, 100]) {
    const reps = tracks.slice(0, n).map((t) => ({ __typename: 'Track', id: t.id }));
    h.queries.reset();
    const res = await h.gql(entities, { reps });
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    counted.log.reset();
    const plain = await execute({
      schema: generated,
      document: parse(entities),
      variableValues: { reps },
      contextValue: { executionContext: counted.driver },
    });
    if (plain.errors) throw new Error(JSON.stringify(plain.errors));
    rows.push([
      `_entities, ${n} Track representations`,
      `${h.queries.statements.length} Cypher round trip(s) (as generated: ${counted.log.statements.length})`,
    ]);
  }

  const query =
    'query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Track { similarTracks(limit: 10) { id } } } }';
  const times: number[] = [];
  for (let i = 0; i < 220; i++) {
    const reps = [{ __typename: 'Track', id: tracks[(i * 13) % count]!.id }];
    const t = performance.now();
    const res = await h.gql(query, { reps });
    if (i >= 20) times.push(performance.now() - t);
    if (res.errors) throw new Error(JSON.stringify(res.errors));
  }
  times.sort((a, b) => a - b);
  const pct = (p: number) =>
    times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))]!.toFixed(1);
  rows.push([
    'similarTracks(limit: 10), one track, HTTP round trip',
    `p50 ${pct(50)} ms, p95 ${pct(95)} ms (n=${times.length})`,
  ]);

  const width = Math.max(...rows.map((r) => r[0]!.length));
  for (const [k, v] of rows) process.stdout.write(`${k!.padEnd(width)}  ${v}\n`);
} finally {
  await h.cleanupLibrary(f.libraryId);
  await h.close();
}
