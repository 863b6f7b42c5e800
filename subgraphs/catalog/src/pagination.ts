import { sql, type SQL } from 'drizzle-orm';
import { badInput } from './errors.ts';

export const MAX_PAGE = 500;

/** A sort key: the SQL expression rows are ordered by, and its SQL type for cursor comparisons. */
export interface SortKey {
  readonly expr: SQL;
  readonly type: 'text' | 'timestamptz' | 'int' | 'real';
}

export interface PageArgs {
  readonly first?: number | null;
  readonly after?: string | null;
}

interface Cursor {
  readonly value: string;
  readonly id: string;
}

export const encodeCursor = (value: string, id: string): string =>
  Buffer.from(JSON.stringify([value, id])).toString('base64url');

function decodeCursor(cursor: string): Cursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && parsed.every((p) => typeof p === 'string')) {
      return { value: parsed[0] as string, id: parsed[1] as string };
    }
  } catch {
    // reported below
  }
  throw badInput(`"after" is not a cursor returned by this API: ${cursor.slice(0, 64)}`);
}

export function pageSize(first: number | null | undefined, max = MAX_PAGE): number {
  const n = first ?? 50;
  if (!Number.isInteger(n) || n < 0 || n > max)
    throw badInput(`"first" must be between 0 and ${max}, got ${n}`);
  return n;
}

/**
 * The pieces of a keyset-paginated query over `(key, id)`: rows strictly
 * after the cursor in the given direction, so concurrent inserts never shift
 * a page (no duplicates, no gaps).
 */
export function keyset(key: SortKey, idColumn: SQL, direction: 'ASC' | 'DESC', args: PageArgs) {
  const limit = pageSize(args.first);
  const dir = direction === 'DESC' ? sql`desc` : sql`asc`;
  let after: SQL | undefined;
  if (args.after) {
    const { value, id } = decodeCursor(args.after);
    const cmp = direction === 'DESC' ? sql`<` : sql`>`;
    after = sql`(${key.expr}, ${idColumn}) ${cmp} (${value}::${sql.raw(key.type)}, ${id}::uuid)`;
  }
  return {
    limit,
    after,
    orderBy: sql`${key.expr} ${dir}, ${idColumn} ${dir}`,
    /** Selects the sort key as text, exactly as PostgreSQL compares it. */
    keyText: sql<string>`(${key.expr})::text`,
  };
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: () => Promise<number>;
}

/** Builds a connection from `limit + 1` fetched rows, each carrying its sort key text. */
export function toConnection<T extends { id: string }>(
  rows: readonly (T & { sortKey: string })[],
  limit: number,
  totalCount: () => Promise<number>,
): Connection<T> {
  const page = rows.slice(0, limit);
  const edges = page.map(({ sortKey, ...node }) => ({
    cursor: encodeCursor(sortKey, node.id),
    node: node as unknown as T,
  }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount,
  };
}
