import { eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { libraries, type LibraryRow } from '../db/schema.ts';

/** What a library is doing: ONLINE (idle), SCANNING, or OFFLINE (its root is unreachable). */
export type LibraryStatus = 'ONLINE' | 'SCANNING' | 'OFFLINE';

/** How ingest keeps a library current: EVENTS (file-system watch), POLLING (periodic rescans) or OFF. */
export type WatchMode = 'EVENTS' | 'POLLING' | 'OFF';

/** A library by id, or undefined when there is none (removed since, say). */
export async function findLibrary(db: Db, libraryId: string): Promise<LibraryRow | undefined> {
  const [row] = await db.select().from(libraries).where(eq(libraries.id, libraryId));
  return row;
}

/** Every library's id and root folder. */
export async function listLibraryRoots(db: Db): Promise<{ id: string; path: string }[]> {
  return db.select({ id: libraries.id, path: libraries.path }).from(libraries);
}

/** Sets a library's status (a completed job sets it back to ONLINE itself: `finishIfDone`). */
export async function setLibraryStatus(db: Db, libraryId: string, status: LibraryStatus): Promise<void> {
  await db.update(libraries).set({ status }).where(eq(libraries.id, libraryId));
}

/** Records how libraries are watched, and why (null when nothing needs saying), as `Library.watch` shows it. */
export async function setWatchMode(
  db: Db,
  libraryIds: readonly string[],
  mode: WatchMode,
  reason: string | null,
): Promise<void> {
  if (libraryIds.length === 0) return;
  await db
    .update(libraries)
    .set({ watchMode: mode, watchReason: reason })
    .where(inArray(libraries.id, [...libraryIds]));
}
