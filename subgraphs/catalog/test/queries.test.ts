import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { seedCatalog } from '../src/seed.ts';
import { startCatalog, type Harness } from './harness.ts';

let h: Harness;
let libraryId: string;

before(async () => {
  h = await startCatalog();
  ({ libraryId } = await seedCatalog(h.database.db, { tracks: 300, albums: 40, artists: 25, seed: 11 }));
  // Known names for search: inserted through SQL like ingest would.
  const [artist] = await h.database.sql<{ id: string }[]>`
    insert into artists (name, sort_name) values ('Radiohead', 'Radiohead') returning id`;
  const [album] = await h.database.sql<{ id: string }[]>`
    insert into albums (title, album_artist_id, year) values ('OK Computer', ${artist!.id}, 1997) returning id`;
  const [track] = await h.database.sql<{ id: string }[]>`
    insert into tracks (library_id, album_id, album_artist_id, title, file_path, file_size, format, year, genres)
    values (${libraryId}, ${album!.id}, ${artist!.id}, 'Paranoid Android', '/x/paranoid.flac', 1, 'flac', 1997, '{Rock}')
    returning id`;
  await h.database
    .sql`insert into track_artists (track_id, artist_id, role, position) values (${track!.id}, ${artist!.id}, 'MAIN', 0)`;
});
after(() => h?.close());

const count = async (filter: object) => {
  const res = await h.gql<{ tracks: { totalCount: number } }>(
    'query ($filter: TrackFilter) { tracks(first: 0, filter: $filter) { totalCount } }',
    { filter },
  );
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  return res.data!.tracks.totalCount;
};
const sqlCount = async (where: string, ...params: (string | number | boolean)[]) => {
  const [row] = await h.database.sql.unsafe<{ n: number }[]>(
    `select count(*)::int as n from tracks t where ${where}`,
    params,
  );
  return row!.n;
};

test('each filter selects exactly the rows PostgreSQL says it should', async () => {
  const [some] = await h.database.sql<{ album_id: string; artist_id: string }[]>`
    select t.album_id, ta.artist_id from tracks t join track_artists ta on ta.track_id = t.id
    where ta.role = 'FEATURED' limit 1`;
  const cases: [object, string, (string | number | boolean)[]][] = [
    [{ libraryId }, 'library_id = $1', [libraryId]],
    [{ albumId: some!.album_id }, 'album_id = $1', [some!.album_id]],
    [
      { artistId: some!.artist_id },
      'exists (select 1 from track_artists a where a.track_id = t.id and a.artist_id = $1)',
      [some!.artist_id],
    ],
    [{ genre: 'house' }, "'House' = any(genres)", []],
    [{ yearFrom: 1990, yearTo: 1999 }, 'year between 1990 and 1999', []],
    [{ format: 'FLAC' }, "format = 'flac'", []],
    [{ lossless: true }, 'lossless', []],
    [{ lossless: false, yearFrom: 2000 }, 'not lossless and year >= 2000', []],
    [{ addedSince: '2000-01-01T00:00:00Z' }, 'true', []],
    [{ addedSince: '2999-01-01T00:00:00Z' }, 'false', []],
  ];
  for (const [filter, where, params] of cases) {
    const expected = await sqlCount(where, ...params);
    assert.equal(await count(filter), expected, JSON.stringify(filter));
  }
  assert.ok((await count({ genre: 'house' })) > 0, 'the seed has House tracks');
});

test('sorting by year descending returns non-increasing years', async () => {
  const res = await h.gql<{ tracks: { edges: { node: { year: number | null } }[] } }>(
    '{ tracks(first: 100, orderBy: { field: YEAR, direction: DESC }) { edges { node { year } } } }',
  );
  const years = res.data!.tracks.edges.map((e) => e.node.year ?? -1);
  assert.deepEqual(
    years,
    [...years].sort((a, b) => b - a),
  );
});

test('search ranks exact, prefix and misspelt matches across types', async () => {
  type Hits = { search: { score: number; node: { __typename: string; title?: string; name?: string } }[] };
  const q =
    'query ($text: String!) { search(text: $text, first: 5) { score node { __typename ... on Track { title } ... on Album { title } ... on Artist { name } } } }';
  const top = async (text: string) => {
    const res = await h.gql<Hits>(q, { text });
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    return res.data!.search;
  };
  assert.deepEqual((await top('Radiohead'))[0]?.node, { __typename: 'Artist', name: 'Radiohead' });
  assert.deepEqual((await top('paranoid andr'))[0]?.node, { __typename: 'Track', title: 'Paranoid Android' });
  assert.deepEqual((await top('radiohed'))[0]?.node, { __typename: 'Artist', name: 'Radiohead' });
  assert.deepEqual((await top('ok computr'))[0]?.node, { __typename: 'Album', title: 'OK Computer' });
  const hits = await top('Radiohead');
  assert.deepEqual(
    hits.map((x) => x.score),
    [...hits.map((x) => x.score)].sort((a, b) => b - a),
  );
  const bad = await h.gql(q, { text: '   ' });
  assert.equal(bad.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
});

test('nested fields and _entities answer from batched loads', async () => {
  const { data } = await h.gql<{
    albums: {
      edges: { node: { id: string; title: string; trackCount: number; tracks: { title: string }[] } }[];
    };
  }>('{ albums(first: 3) { edges { node { id title trackCount tracks { title } } } } }');
  for (const { node } of data!.albums.edges) assert.equal(node.tracks.length, node.trackCount);
  const ids = data!.albums.edges.map((e) => e.node.id);
  const res = await h.gql<{ _entities: ({ id: string; title: string } | null)[] }>(
    'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Album { id title } } }',
    {
      r: [
        ...ids.map((id) => ({ __typename: 'Album', id })),
        { __typename: 'Album', id: '00000000-0000-0000-0000-000000000000' },
      ],
    },
  );
  assert.deepEqual(
    res.data!._entities.slice(0, 3).map((e) => e?.id),
    ids,
  );
  assert.equal(res.data!._entities[3], null);
});

test('album and artist lists filter and page', async () => {
  const res = await h.gql<{
    artists: { totalCount: number; edges: { node: { name: string } }[] };
    comps: { totalCount: number; edges: { node: { compilation: boolean; albumArtist: unknown } }[] };
    nineties: { edges: { node: { year: number } }[] };
  }>(`{
    artists(first: 5, filter: { namePrefix: "RADIOH" }) { totalCount edges { node { name } } }
    comps: albums(first: 50, filter: { compilation: true }) { totalCount edges { node { compilation albumArtist { name } } } }
    nineties: albums(first: 50, filter: { yearFrom: 1990, yearTo: 1999 }, orderBy: { field: YEAR }) { edges { node { year } } }
  }`);
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  assert.deepEqual(
    res.data!.artists.edges.map((e) => e.node.name),
    ['Radiohead'],
  );
  const [expected] = await h.database.sql<
    { n: number }[]
  >`select count(*)::int as n from albums where compilation`;
  assert.equal(res.data!.comps.totalCount, expected!.n);
  assert.ok(res.data!.comps.edges.every((e) => e.node.compilation && e.node.albumArtist === null));
  const years = res.data!.nineties.edges.map((e) => e.node.year);
  assert.ok(years.length > 0 && years.every((y) => y >= 1990 && y <= 1999));
  assert.deepEqual(
    years,
    [...years].sort((a, b) => a - b),
  );
});
