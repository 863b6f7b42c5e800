import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Db } from '@tonegraph/catalog/db';
import { knownFiles } from '@tonegraph/catalog/store';
import { hashFile } from './hash.ts';
import { walkLibrary, type FoundFile, type SkippedEntry } from './walk.ts';

/** What a scan found to do, by comparing the disk with the catalog. */
export interface ScanPlan {
  /** New or changed files to read. */
  readonly upserts: FoundFile[];
  /** Catalog paths whose file is gone. */
  readonly deletes: string[];
  /** Files that moved: the track keeps its id. */
  readonly moves: { trackId: string; from: string; to: FoundFile }[];
  /** Files whose size and mtime match the catalog (INCREMENTAL only). */
  readonly unchanged: string[];
  readonly skipped: SkippedEntry[];
}

/** The library root is missing or unreadable: the library is offline, its tracks are kept. */
export class LibraryOfflineError extends Error {
  override name = 'LibraryOfflineError';
}

interface Known {
  id: string;
  size: number;
  mtimeMs: number | null;
  hash: string | null;
}

/**
 * Walks a library and compares (path, size, mtime) with the catalog. Content
 * is hashed only to recognise moves: for new paths whose size equals that of
 * a track whose file is gone.
 */
export async function reconcile(
  db: Db,
  libraryId: string,
  root: string,
  mode: 'FULL' | 'INCREMENTAL',
): Promise<ScanPlan> {
  try {
    if (!(await stat(root)).isDirectory()) throw new LibraryOfflineError(`${root} is not a directory`);
  } catch (error) {
    if (error instanceof LibraryOfflineError) throw error;
    throw new LibraryOfflineError(`library root ${root} is not reachable: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const rows = await knownFiles(db, libraryId);
  const known = new Map<string, Known>(
    rows.map((r) => [
      r.path,
      { id: r.id, size: r.size, mtimeMs: r.mtime ? Date.parse(r.mtime) : null, hash: r.hash },
    ]),
  );

  const plan: ScanPlan = { upserts: [], deletes: [], moves: [], unchanged: [], skipped: [] };
  const fresh: FoundFile[] = [];
  for await (const file of walkLibrary(root, { onSkip: (s) => plan.skipped.push(s) })) {
    const row = known.get(file.path);
    if (!row) {
      fresh.push(file);
      continue;
    }
    known.delete(file.path);
    const same = row.size === file.size && row.mtimeMs === Math.floor(file.mtimeMs);
    if (same && mode === 'INCREMENTAL') plan.unchanged.push(file.path);
    else plan.upserts.push(file);
  }

  // What is left in `known` is gone from its path: moved (same content elsewhere) or deleted.
  const goneBySize = new Map<number, [string, Known][]>();
  for (const entry of known) {
    if (entry[1].hash) goneBySize.set(entry[1].size, [...(goneBySize.get(entry[1].size) ?? []), entry]);
  }
  // Identical copies (the same recording saved twice) must not steal a moved
  // track's id: files that kept their name, then their extension, match first.
  const goneNames = new Set([...known.keys()].map((p) => path.basename(p)));
  const goneExts = new Set([...known.keys()].map((p) => path.extname(p)));
  const rank = (f: FoundFile) =>
    goneNames.has(path.basename(f.path)) ? 0 : goneExts.has(path.extname(f.path)) ? 1 : 2;
  fresh.sort((a, b) => rank(a) - rank(b));
  for (const file of fresh) {
    const candidates = goneBySize.get(file.size);
    if (!candidates?.length) {
      plan.upserts.push(file);
      continue;
    }
    const hash = await hashFile(file.path).catch(() => null);
    const match = candidates.findIndex(([, k]) => k.hash === hash);
    if (match < 0) {
      plan.upserts.push(file);
      continue;
    }
    const [[from, k]] = candidates.splice(match, 1) as [[string, Known]];
    known.delete(from);
    plan.moves.push({ trackId: k.id, from, to: file });
  }
  plan.deletes.push(...known.keys());
  return plan;
}
