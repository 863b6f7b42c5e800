import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { AUDIO_EXTENSIONS } from '../scanner/walk.ts';

/** Options of {@link createLibraryWatcher}. */
export interface LibraryWatcherOptions {
  /** Quiet time after the last event before the batch is handed over; default 2000 ms. */
  readonly debounceMs?: number;
  /** A file counts as written once its size has not changed for this long; default 1000 ms. */
  readonly writeFinishMs?: number;
  /** Called with the changed paths of one batch (deduplicated). */
  readonly onChanges: (paths: readonly string[]) => void;
  /**
   * Called once when events cannot be relied on any more (the OS watch limit is
   * exhausted, too many open files, the root vanished); the watcher has closed
   * itself and the caller should fall back to polling.
   */
  readonly onFailure: (reason: string) => void;
  /** Builds the chokidar watcher; tests replace it to simulate an exhausted watch limit. */
  readonly createWatcher?: typeof watch;
}

export interface LibraryWatcher {
  /** Resolves once the initial directory tree is being watched. */
  readonly ready: Promise<void>;
  /** Idempotent. */
  close(): Promise<void>;
}

/** Errors that mean the OS stopped giving (or will not give) events for part of the tree. */
const FATAL_CODES = new Set(['ENOSPC', 'EMFILE', 'ENFILE', 'EACCES', 'EPERM']);

const isHidden = (p: string) => path.basename(p).startsWith('.');

/**
 * Watches one library root and hands over batches of changed paths: debounced,
 * only once each file has stopped growing (a copy in progress is not a change
 * yet), ignoring hidden and non-audio files.
 */
export function createLibraryWatcher(root: string, options: LibraryWatcherOptions): LibraryWatcher {
  const debounceMs = options.debounceMs ?? 2000;
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let failed = false;
  let closing: Promise<void> | undefined;

  const watcher: FSWatcher = (options.createWatcher ?? watch)(root, {
    ignoreInitial: true,
    followSymlinks: false,
    awaitWriteFinish: { stabilityThreshold: options.writeFinishMs ?? 1000, pollInterval: 100 },
    // Directories pass (their files may be audio); files must have an audio extension.
    ignored: (p, stats) =>
      p !== root &&
      (isHidden(p) ||
        (stats?.isFile() === true && !AUDIO_EXTENSIONS.has(path.extname(p).slice(1).toLowerCase()))),
  });

  const flush = () => {
    timer = undefined;
    if (pending.size === 0 || failed) return;
    const paths = [...pending];
    pending.clear();
    options.onChanges(paths);
  };

  watcher.on('all', (_event, p) => {
    pending.add(p);
    clearTimeout(timer);
    timer = setTimeout(flush, debounceMs);
  });
  watcher.on('error', (error: unknown) => {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    if (failed || !code || !FATAL_CODES.has(code)) return;
    failed = true;
    clearTimeout(timer);
    options.onFailure(describe(code, error));
    void close();
  });

  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  const close = () => {
    clearTimeout(timer);
    closing ??= watcher.close();
    return closing;
  };
  return { ready, close };
}

function describe(code: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  switch (code) {
    case 'ENOSPC':
      return `the OS file-watch limit is exhausted (raise fs.inotify.max_user_watches): ${message}`;
    case 'EMFILE':
    case 'ENFILE':
      return `too many open files to watch the library: ${message}`;
    default:
      return `file-system events unavailable: ${message}`;
  }
}
