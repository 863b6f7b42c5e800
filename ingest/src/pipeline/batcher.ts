/** Options for {@link createBatcher}. */
export interface BatcherOptions {
  /** Largest batch; 1 disables batching. */
  readonly maxSize: number;
  /** Longest an item waits for others before its batch is flushed. */
  readonly maxWaitMs: number;
}

/**
 * Groups items that arrive close together into one `flush` call (one
 * transaction), resolving each item's promise when its batch is done. When
 * a batch fails, its items are flushed one by one, so a single bad item
 * fails alone and the others still commit.
 */
export function createBatcher<T>(flush: (items: readonly T[]) => Promise<void>, options: BatcherOptions) {
  type Entry = { item: T; resolve: () => void; reject: (error: unknown) => void };
  let pending: Entry[] = [];
  let timer: NodeJS.Timeout | undefined;

  const run = async (batch: Entry[]) => {
    try {
      await flush(batch.map((e) => e.item));
      for (const e of batch) e.resolve();
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      for (const e of batch) await run([e]);
    }
  };

  const flushNow = () => {
    clearTimeout(timer);
    timer = undefined;
    const batch = pending;
    pending = [];
    if (batch.length > 0) void run(batch);
  };

  return {
    add(item: T): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        pending.push({ item, resolve, reject });
        if (pending.length >= options.maxSize) flushNow();
        else timer ??= setTimeout(flushNow, options.maxWaitMs);
      });
    },
  };
}
