import { fileURLToPath } from 'node:url';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import type { Logger } from '@tonegraph/logger';
import * as schema from './schema.ts';

/** drizzle over postgres.js, with the client it runs on (`$client`, as `drizzle()` returns it). */
export type Db = PostgresJsDatabase<typeof schema> & { $client: postgres.Sql };

/** Options for {@link createDb}. */
export interface DbOptions {
  /** Connections in the pool; default 30. */
  readonly poolSize?: number;
  /** Called with the text of every statement sent; tests count them. */
  readonly onQuery?: (query: string) => void;
}

export interface Database {
  readonly db: Db;
  readonly sql: postgres.Sql;
  /** Ends the pool, waiting up to 5 s for queries in flight. Idempotent. */
  close(): Promise<void>;
}

export function createDb(url: string, { poolSize = 30, onQuery }: DbOptions = {}): Database {
  const sql = postgres(url, {
    max: poolSize,
    idle_timeout: 60,
    connect_timeout: 10,
    onnotice: () => {},
    ...(onQuery ? { debug: (_conn: number, query: string) => onQuery(query) } : {}),
  });
  let closing: Promise<void> | undefined;
  return {
    db: drizzle({ client: sql, schema }),
    sql,
    close() {
      closing ??= sql.end({ timeout: 5 });
      return closing;
    },
  };
}

export const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));

/** Any fixed number: the advisory lock that serialises migrations across processes. */
export const MIGRATION_LOCK = 7_245_001;

/** Options for {@link migrateDb}. */
export interface MigrateOptions {
  /** Told when another process holds the migration lock and this one waits for it. */
  readonly log?: Pick<Logger, 'info'>;
}

/** Applies pending migrations; several processes starting at once take turns. */
export async function migrateDb({ db, sql }: Database, { log }: MigrateOptions = {}): Promise<void> {
  const conn = await sql.reserve();
  try {
    const [free] = await conn<
      { locked: boolean }[]
    >`select pg_try_advisory_lock(${MIGRATION_LOCK}) as locked`;
    if (!free?.locked) {
      log?.info("catalog schema: waiting for another process's migrations (it holds the migration lock)");
      await conn`select pg_advisory_lock(${MIGRATION_LOCK})`;
    }
    await migrate(db, { migrationsFolder });
  } finally {
    await conn`select pg_advisory_unlock(${MIGRATION_LOCK})`.catch(() => undefined);
    conn.release();
  }
}
