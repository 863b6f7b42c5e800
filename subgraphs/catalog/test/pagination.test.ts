import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { seedCatalog } from '../src/seed.ts';
import { startCatalog, type Harness } from './harness.ts';

type Page = {
  tracks: {
    totalCount: number;
    edges: { cursor: string; node: { id: string } }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
};

const PAGE = `query ($first: Int, $after: String, $orderBy: TrackOrder, $filter: TrackFilter) {
  tracks(first: $first, after: $after, orderBy: $orderBy, filter: $filter) {
    totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor }
  }
}`;

let h: Harness;
let libraryId: string;

before(async () => {
  h = await startCatalog();
  ({ libraryId } = await seedCatalog(h.database.db, { tracks: 260, albums: 30, artists: 20, seed: 3 }));
});
after(() => h?.close());

async function walk(orderBy: object, between?: () => Promise<void>): Promise<string[]> {
  const ids: string[] = [];
  let after: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const res: { data?: Page; errors?: unknown } = await h.gql<Page>(PAGE, { first: 37, after, orderBy });
    assert.equal(res.errors, undefined);
    const conn = res.data!.tracks;
    ids.push(...conn.edges.map((e) => e.node.id));
    if (!conn.pageInfo.hasNextPage) return ids;
    after = conn.pageInfo.endCursor;
    if (pages === 0) await between?.();
  }
  throw new Error('pagination did not end');
}

for (const orderBy of [
  { field: 'TITLE', direction: 'ASC' },
  { field: 'ADDED_AT', direction: 'DESC' },
  { field: 'YEAR', direction: 'ASC' },
  { field: 'DURATION', direction: 'DESC' },
]) {
  test(`pages ordered by ${orderBy.field} ${orderBy.direction} have no duplicates or gaps`, async () => {
    const ids = await walk(orderBy);
    assert.equal(ids.length, 260);
    assert.equal(new Set(ids).size, 260);
  });
}

test('rows inserted while paging do not shift the original rows', async () => {
  const original = new Set(await walk({ field: 'TITLE', direction: 'ASC' }));
  const seen = await walk({ field: 'TITLE', direction: 'ASC' }, async () => {
    // New rows sorting before, inside and after the pages already read.
    const titles = ['!!! first', 'Electric mid', 'Night mid', '~~~ last', '0 early'];
    for (const [i, title] of titles.entries()) {
      await h.database.sql`insert into tracks (library_id, title, file_path, file_size, format)
        values (${libraryId}, ${title}, ${`/inserted/${i}.flac`}, 1, 'flac')`;
    }
  });
  const seenOriginal = seen.filter((id) => original.has(id));
  assert.equal(seenOriginal.length, original.size, 'every original row once');
  assert.equal(new Set(seen).size, seen.length, 'no duplicates');
});

test('a cursor that was not issued by the API and an oversized page are rejected', async () => {
  const bad = await h.gql(PAGE, { first: 10, after: 'not-a-cursor' });
  assert.equal(bad.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
  const huge = await h.gql(PAGE, { first: 5000 });
  assert.equal(huge.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
  assert.match(huge.errors?.[0]?.message ?? '', /between 0 and 500/);
  const badId = await h.gql(PAGE, { first: 1, filter: { albumId: "1' or 1=1" } });
  assert.equal(badId.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
});
