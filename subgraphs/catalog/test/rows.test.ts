import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { inArray } from 'drizzle-orm';
import { albumColumns, artistColumns, trackColumns } from '../src/db/columns.ts';
import { rowsByKey } from '../src/db/rows.ts';
import { albums, artists, tracks } from '../src/db/schema.ts';
import { seedCatalog } from '../src/seed.ts';
import { startCatalog, type Harness } from './harness.ts';

let h: Harness;
before(async () => {
  h = await startCatalog();
  await seedCatalog(h.database.db, { tracks: 300, albums: 40, artists: 30, seed: 11 });
});
after(() => h?.close());

const byId = <T extends { id: string }>(rows: T[]) => [...rows].sort((a, b) => a.id.localeCompare(b.id));

test('rows by key are the rows drizzle selects: every column, every type, nulls included', async () => {
  const { db } = h.database;
  for (const [name, columns, table] of [
    ['tracks', trackColumns, tracks],
    ['albums', albumColumns, albums],
    ['artists', artistColumns, artists],
  ] as const) {
    const ids = (await db.select({ id: table.id }).from(table)).map((r) => r.id);
    assert.ok(ids.length >= 30, name);
    const expected = await db.select(columns).from(table).where(inArray(table.id, ids));
    const read = rowsByKey<{ id: string }>(columns, table, table.id);
    const got = await read(db, [...ids, randomUUID()]);
    assert.equal(got.length, ids.length, name);
    assert.deepEqual(byId(got), byId(expected), name);
    // Each value has the type drizzle gives it (Date for timestamps, not the driver's string).
    for (const [key, value] of Object.entries(expected[0]!))
      assert.equal(
        Object.prototype.toString.call(
          (got.find((r) => r.id === expected[0]!.id) as Record<string, unknown>)[key],
        ),
        Object.prototype.toString.call(value),
        `${name}.${key}`,
      );
    assert.deepEqual(await read(db, []), []);
  }
});

test('decoded, not driver values: a bigint is a number, an array column an array', async () => {
  const read = rowsByKey<{ fileSize: unknown; genres: unknown }>(trackColumns, tracks, tracks.id);
  const [{ id }] = (await h.database.db.select({ id: tracks.id }).from(tracks).limit(1)) as [{ id: string }];
  const [row] = await read(h.database.db, [id]);
  assert.equal(typeof row!.fileSize, 'number');
  assert.ok(Array.isArray(row!.genres));
});
