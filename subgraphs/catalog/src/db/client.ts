import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
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

/** A pool of PostgreSQL connections to the catalog's database, with drizzle over it. */
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
