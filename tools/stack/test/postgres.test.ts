import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { eq, gt } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { pgTable, real, serial, text } from 'drizzle-orm/pg-core';
import postgres from 'postgres';
import { createTestDatabase, testServices, type TestDatabase } from '@tonegraph/testing';

const smokeTrack = pgTable('smoke_track', {
  id: serial().primaryKey(),
  title: text().notNull(),
  bpm: real(),
});

let database: TestDatabase;
let client: postgres.Sql;

before(async () => {
  database = await createTestDatabase(testServices().DATABASE_URL);
  client = postgres(database.url, { max: 5, onnotice: () => {} });
});

after(async () => {
  await client?.end();
  await database?.drop();
});

test('drizzle applies a migration once and queries through postgres.js', async () => {
  const db = drizzle({ client });
  const migrationsFolder = fileURLToPath(new URL('./fixtures/migrations', import.meta.url));
  await migrate(db, { migrationsFolder });
  await migrate(db, { migrationsFolder }); // a second run is a no-op, not an error

  await db.insert(smokeTrack).values([
    { title: 'Blue Monday', bpm: 130 },
    { title: 'Teardrop', bpm: 77 },
    { title: 'Windowlicker', bpm: 128.5 },
  ]);
  const fast = await db.select().from(smokeTrack).where(gt(smokeTrack.bpm, 100)).orderBy(smokeTrack.title);
  assert.deepEqual(
    fast.map((t) => t.title),
    ['Blue Monday', 'Windowlicker'],
  );
  const [one] = await db.select().from(smokeTrack).where(eq(smokeTrack.title, 'Teardrop'));
  assert.equal(one?.bpm, 77);
  const applied = await client`select count(*)::int as n from drizzle.__drizzle_migrations`;
  assert.equal(applied[0]?.n, 1);
});

test('a transaction that fails leaves nothing behind', async () => {
  const db = drizzle({ client });
  await assert.rejects(
    db.transaction(async (tx) => {
      await tx.insert(smokeTrack).values({ title: 'Rolled back' });
      throw new Error('abort');
    }),
    /abort/,
  );
  const rows = await db.select().from(smokeTrack).where(eq(smokeTrack.title, 'Rolled back'));
  assert.equal(rows.length, 0);
});
