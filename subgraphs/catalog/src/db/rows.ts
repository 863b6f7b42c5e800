import { Column, sql, type SQL } from 'drizzle-orm';
import { QueryBuilder, type PgColumn, type PgTable } from 'drizzle-orm/pg-core';
import type { Db } from './client.ts';

/**
 * `column = any($1)` with the values as one array parameter: the same
 * statement text for any number of values, so PostgreSQL and postgres.js
 * prepare it once per connection (drizzle's `inArray` writes one
 * parameter per value, and every new count is a statement to prepare: a
 * round trip more, and another entry in each connection's cache).
 */
export function anyOf(column: PgColumn, values: readonly string[]): SQL {
  return sql`${column} = any(${sql.param(values)})`;
}

/**
 * Rows of `table` whose `key` column is one of the given values, with
 * `columns`: the statement text is built once, and each row is decoded by
 * the columns' own decoders in a plain loop. drizzle's general row mapping
 * (a type check, a path iterator and a closure per column and row) was a
 * quarter of the catalog's CPU on a track list page, whose similar tracks
 * (5 per track) come back as entities with every column of the track.
 * Same rows as `db.select(columns).from(table).where(inArray(key, values))`
 * (a test compares them), through the same client, so a statement of an
 * abandoned request is still not sent.
 */
export function rowsByKey<T>(
  columns: Record<string, PgColumn>,
  table: PgTable,
  key: PgColumn,
): (db: Db, values: readonly string[]) => Promise<T[]> {
  const text = new QueryBuilder()
    .select(columns)
    .from(table)
    .where(sql`${key} = any(${sql.placeholder('values')})`)
    .toSQL().sql;
  const fields = Object.entries(columns).map(([name, column]) => ({
    name,
    // Columns whose driver value is already the row value (text, integers, uuid, jsonb …) skip the call.
    decode:
      column.mapFromDriverValue === Column.prototype.mapFromDriverValue
        ? undefined
        : (value: unknown) => column.mapFromDriverValue(value),
  }));
  return async (db, values) => {
    if (values.length === 0) return [];
    const raw = await db.$client.unsafe<unknown[][]>(text, [values as string[]]).values();
    return raw.map((cells) => {
      const row: Record<string, unknown> = {};
      for (let i = 0; i < fields.length; i++) {
        const { name, decode } = fields[i]!;
        const value = cells[i];
        row[name] = value === null || value === undefined ? null : decode ? decode(value) : value;
      }
      return row as T;
    });
  };
}
