/**
 * Buffers for reading files whole, reused from file to file, within a budget
 * of bytes shared by every file in flight: memory stays bounded whatever
 * the concurrency and the size of the library. A fresh multi-megabyte
 * buffer costs a page fault per 4 KiB on its first write, which for a few
 * MB is about as much CPU as hashing it; a reused one does not.
 */
export interface ReadBuffers {
  /**
   * A buffer of at least `bytes`, or undefined (never waits) when the budget
   * is used up or `bytes` is more than a quarter of it.
   */
  take(bytes: number): Buffer | undefined;
  /** Returns a buffer from {@link take}; nothing may read it any more. */
  give(buffer: Buffer): void;
}

export interface ReadBuffersOptions {
  /** Free buffers are dropped after this long without a read; default 10 s. */
  readonly idleMs?: number;
}

/** Smallest buffer handed out; larger ones are powers of two, so that similar files share them. */
const MIN_BYTES = 64 * 1024;

const capacityFor = (bytes: number) => Math.max(MIN_BYTES, 2 ** Math.ceil(Math.log2(Math.max(bytes, 1))));

/** Read buffers within `totalBytes`, counting both those in use and those kept for reuse. */
export function createReadBuffers(
  totalBytes: number,
  { idleMs = 10_000 }: ReadBuffersOptions = {},
): ReadBuffers {
  const free: Buffer[] = [];
  let inUse = 0;
  let kept = 0;
  let idle: NodeJS.Timeout | undefined;

  const drop = (buffer: Buffer) => {
    free.splice(free.indexOf(buffer), 1);
    kept -= buffer.length;
  };
  const touch = () => {
    clearTimeout(idle);
    idle = setTimeout(() => {
      free.length = 0;
      kept = 0;
    }, idleMs).unref();
  };

  return {
    take(bytes) {
      if (bytes > totalBytes / 4) return undefined;
      touch();
      const capacity = capacityFor(bytes);
      const reusable = free.find((b) => b.length === capacity);
      if (reusable) {
        drop(reusable);
        inUse += capacity;
        return reusable;
      }
      // Make room by dropping kept buffers of other sizes, largest first.
      free.sort((a, b) => b.length - a.length);
      while (inUse + kept + capacity > totalBytes && free.length > 0) drop(free[0]!);
      if (inUse + kept + capacity > totalBytes) return undefined;
      inUse += capacity;
      return Buffer.allocUnsafeSlow(capacity);
    },
    give(buffer) {
      inUse -= buffer.length;
      free.push(buffer);
      kept += buffer.length;
      touch();
    },
  };
}
