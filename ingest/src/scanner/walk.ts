import type { Dirent } from 'node:fs';
import { opendir, stat } from 'node:fs/promises';
import path from 'node:path';

/** Extensions Tonegraph imports (lower case, without the dot). */
export const AUDIO_EXTENSIONS: ReadonlySet<string> = new Set([
  'flac',
  'mp3',
  'm4a',
  'aac',
  'ogg',
  'oga',
  'opus',
  'wav',
  'aif',
  'aiff',
]);

export interface FoundFile {
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
}

export type SkipReason =
  | 'hidden'
  | 'not-audio'
  | 'symlink-loop'
  | 'unreadable'
  | 'broken-link'
  | 'invalid-name'
  | 'path-too-long'
  | 'special';

/**
 * Longest path (UTF-8 bytes) the catalog can hold. Paths are keys of its
 * unique B-tree indexes (tracks, job ledger, import errors), whose entries
 * PostgreSQL caps at 2704 bytes; a longer path would fail every scan of the
 * library. Linux allows 4095.
 */
export const MAX_PATH_BYTES = 2048;

/** Skips worth telling the user about (as ImportErrors), unlike hidden and non-audio files. */
export const REPORTABLE: ReadonlySet<SkipReason> = new Set([
  'symlink-loop',
  'unreadable',
  'broken-link',
  'invalid-name',
  'path-too-long',
]);

export interface SkippedEntry {
  readonly path: string;
  readonly reason: SkipReason;
  readonly detail?: string;
}

export interface WalkOptions {
  /** Told about every entry that is not yielded, and why. */
  readonly onSkip?: (entry: SkippedEntry) => void;
}

/**
 * Walks a library root depth-first with asynchronous directory streams (no
 * folder is ever read whole into memory), yielding every audio file. Hidden
 * entries, non-audio files, symlink loops, broken links and unreadable
 * folders are reported through `onSkip` and never stop the walk.
 */
export async function* walkLibrary(
  root: string,
  { onSkip = () => {} }: WalkOptions = {},
): AsyncGenerator<FoundFile> {
  const visited = new Set<string>();
  const pending: string[] = [root];
  while (pending.length > 0) {
    const dirPath = pending.pop()!;
    let dirStat;
    try {
      dirStat = await stat(dirPath);
    } catch (error) {
      onSkip({ path: dirPath, reason: 'unreadable', detail: (error as Error).message });
      continue;
    }
    // Identity by device and inode: a symlink back up the tree is seen twice.
    const id = `${dirStat.dev}:${dirStat.ino}`;
    if (visited.has(id)) {
      onSkip({ path: dirPath, reason: 'symlink-loop' });
      continue;
    }
    visited.add(id);
    let dir;
    try {
      dir = await opendir(dirPath, { bufferSize: 64 });
    } catch (error) {
      onSkip({ path: dirPath, reason: 'unreadable', detail: (error as Error).message });
      continue;
    }
    const subdirs: string[] = [];
    for await (const entry of dir) {
      const found = await classify(dirPath, entry, onSkip);
      if (found === 'dir') subdirs.push(path.join(dirPath, entry.name));
      else if (found) yield found;
    }
    // Reverse so that popping visits folders in name order.
    pending.push(...subdirs.sort().reverse());
  }
}

async function classify(
  dirPath: string,
  entry: Dirent,
  onSkip: (entry: SkippedEntry) => void,
): Promise<FoundFile | 'dir' | undefined> {
  const full = path.join(dirPath, entry.name);
  if (entry.name.startsWith('.')) {
    onSkip({ path: full, reason: 'hidden' });
    return undefined;
  }
  // A folder that is too long is not entered: everything below it is longer still.
  if (Buffer.byteLength(full) > MAX_PATH_BYTES) {
    onSkip({ path: full, reason: 'path-too-long' });
    return undefined;
  }
  let info;
  try {
    info = entry.isSymbolicLink() || entry.isFile() || entry.isDirectory() ? await stat(full) : undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // A name that is not valid UTF-8 decodes with U+FFFD and no longer names the file.
    const reason: SkipReason =
      code === 'ENOENT' && entry.name.includes('\uFFFD')
        ? 'invalid-name'
        : code === 'ENOENT'
          ? 'broken-link'
          : code === 'ELOOP'
            ? 'symlink-loop'
            : 'unreadable';
    onSkip({ path: full, reason, detail: (error as Error).message });
    return undefined;
  }
  if (!info) {
    onSkip({ path: full, reason: 'special' });
    return undefined;
  }
  if (info.isDirectory()) return 'dir';
  if (!info.isFile()) {
    onSkip({ path: full, reason: 'special' });
    return undefined;
  }
  if (!AUDIO_EXTENSIONS.has(path.extname(entry.name).slice(1).toLowerCase())) {
    onSkip({ path: full, reason: 'not-audio' });
    return undefined;
  }
  return { path: full, size: info.size, mtimeMs: info.mtimeMs };
}
