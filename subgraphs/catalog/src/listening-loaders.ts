import DataLoader from 'dataloader';
import type { Db } from './db/client.ts';
import { playStats, starCounts } from './store/listening-stars.ts';
import { isCatalogId } from './store/ids.ts';

const valid = (keys: readonly string[]) => keys.filter(isCatalogId);

/** Per-request loaders of the listening data (plays, stars): one statement per field over a page. */
export function createListeningLoaders(db: Db) {
  return {
    playStatsByTrack: new DataLoader<string, { playCount: number; lastPlayed: string | null }>(
      async (keys) => {
        const stats = await playStats(db, valid(keys));
        return keys.map((k) => stats.get(k) ?? { playCount: 0, lastPlayed: null });
      },
    ),
    starCountByTrack: new DataLoader<string, number>(async (keys) => {
      const stars = await starCounts(db, 'track', valid(keys));
      return keys.map((k) => stars.get(k) ?? 0);
    }),
  };
}
