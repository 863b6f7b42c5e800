import { badInput } from './errors.ts';
import type { TempoPosition } from './queries.ts';

/** Largest page any list of this subgraph returns. */
export const MAX_PAGE = 100;

/** Validates `first`: an integer in 0..max. */
export function pageSize(first: number | null | undefined, fallback: number, max = MAX_PAGE): number {
  const n = first ?? fallback;
  if (!Number.isInteger(n) || n < 0 || n > max)
    throw badInput(`"first" must be between 0 and ${max}, got ${n}`);
  return n;
}

export const encodeTempoCursor = ({ bpm, id }: TempoPosition): string =>
  Buffer.from(JSON.stringify([bpm, id])).toString('base64url');

export function decodeTempoCursor(cursor: string): TempoPosition {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      typeof parsed[0] === 'number' &&
      Number.isFinite(parsed[0]) &&
      typeof parsed[1] === 'string'
    ) {
      return { bpm: parsed[0], id: parsed[1] };
    }
  } catch {
    // reported below
  }
  throw badInput(`"after" is not a cursor returned by this API: ${cursor.slice(0, 64)}`);
}
