import { sql } from 'drizzle-orm';
import type { Db } from './db/client.ts';
import { badInput } from './errors.ts';

export interface Hit {
  readonly type: 'Track' | 'Album' | 'Artist';
  readonly id: string;
  readonly score: number;
}

/** `daft punk` → `'daft':* & 'punk':*`: every word must match, each as a prefix. */
function prefixQuery(text: string): string {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return words.map((w) => `'${w}':*`).join(' & ');
}

/**
 * Ranked search over track titles, album titles and artist names. A row
 * matches on full-text prefixes or on trigram word similarity (typos); its
 * score adds both, so exact word matches rank above near misses.
 */
export async function search(db: Db, text: string, first: number): Promise<Hit[]> {
  const trimmed = text.trim();
  if (trimmed.length < 1 || trimmed.length > 200) throw badInput('"text" must be 1 to 200 characters');
  if (!Number.isInteger(first) || first < 1 || first > 100)
    throw badInput('"first" must be between 1 and 100');
  const tsq = prefixQuery(trimmed);
  const query = sql`(case when ${tsq} = '' then null else to_tsquery('simple', ${tsq}) end)`;
  const part = (type: string, table: string, column: string) => sql`
    select ${type} as type, id::text as id,
           coalesce(ts_rank(search, ${query}), 0) + word_similarity(${trimmed}, ${sql.raw(column)}) as score
    from ${sql.raw(table)}
    where search @@ ${query} or ${trimmed} <% ${sql.raw(column)}`;
  const rows = await db.execute<{ type: Hit['type']; id: string; score: number }>(sql`
    ${part('Track', 'tracks', 'title')}
    union all ${part('Album', 'albums', 'title')}
    union all ${part('Artist', 'artists', 'name')}
    order by score desc, type, id
    limit ${first}`);
  return rows.map((r) => ({ type: r.type, id: r.id, score: Number(r.score) }));
}
