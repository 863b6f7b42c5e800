// The catalog's migrations on a new database: processes starting at once
// take turns under the migration lock (each migration applied once, none
// failing), and one that finds the lock taken says it waits, then goes on
// once the holder lets go.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import postgres from 'postgres';
import { createTestDatabase, testServices } from '@tonegraph/testing';
import { createDb } from '../src/db/client.ts';
import { migrateCatalog, MIGRATION_LOCK, migrationsFolder } from '../src/store/migrate.ts';

const journal = JSON.parse(await readFile(path.join(migrationsFolder, 'meta/_journal.json'), 'utf8')) as {
  entries: unknown[];
};

const applied = async (sql: postgres.Sql) =>
  (await sql<{ n: number }[]>`select count(*)::int as n from drizzle.__drizzle_migrations`)[0]?.n;

test('four processes migrating a new database at once all succeed, each migration applied once', async (t) => {
  const testDb = await createTestDatabase(testServices().DATABASE_URL);
  t.after(() => testDb.drop());
  const databases = Array.from({ length: 4 }, () => createDb(testDb.url, { poolSize: 2 }));
  t.after(() => Promise.all(databases.map((d) => d.close())));
  await Promise.all(databases.map((d) => migrateCatalog(d)));
  assert.equal(await applied(databases[0]!.sql), journal.entries.length);
});

test('a process that finds the migration lock taken says so and migrates once it is free', async (t) => {
  const testDb = await createTestDatabase(testServices().DATABASE_URL);
  t.after(() => testDb.drop());
  const holder = postgres(testDb.url, { max: 1, onnotice: () => {} });
  t.after(() => holder.end());
  const database = createDb(testDb.url, { poolSize: 2 });
  t.after(() => database.close());
  await holder`select pg_advisory_lock(${MIGRATION_LOCK})`;
  let told: (message: string) => void;
  const waiting = new Promise<string>((resolve) => (told = resolve));
  const migrating = migrateCatalog(database, { log: { info: (message: string) => told(message) } });
  assert.match(await waiting, /waiting for another process's migrations/);
  const [{ exists } = { exists: true }] = await holder<{ exists: boolean }[]>`
    select to_regclass('public.tracks') is not null as exists`;
  assert.equal(exists, false, 'nothing is migrated while the lock is held');
  await holder`select pg_advisory_unlock(${MIGRATION_LOCK})`;
  await migrating;
  assert.equal(await applied(database.sql), journal.entries.length);
});
