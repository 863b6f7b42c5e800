import {
  MongoBulkWriteError,
  type AnyBulkWriteOperation,
  type Collection,
  type Document,
  type WriteError,
} from 'mongodb';

/**
 * Runs calls that arrive while an earlier batch is in flight as one batch:
 * the first call runs at once, alone; the calls that come while it runs go
 * together in the next. Under concurrency (ingest links many files at once)
 * N calls cost a few commands instead of N times as many; a lone call waits
 * for nothing. `run` returns one result per item, in order.
 */
export function createGroupCommit<T, R>(run: (items: readonly T[]) => Promise<readonly R[]>) {
  type Entry = { item: T; done: PromiseWithResolvers<R> };
  let queued: Entry[] = [];
  let running = false;

  const drain = async () => {
    running = true;
    while (queued.length > 0) {
      const batch = queued;
      queued = [];
      try {
        const results = await run(batch.map((e) => e.item));
        batch.forEach((e, i) => e.done.resolve(results[i] as R));
      } catch (error) {
        for (const e of batch) e.done.reject(error);
      }
    }
    running = false;
  };

  return (item: T): Promise<R> => {
    const done = Promise.withResolvers<R>();
    queued.push({ item, done });
    if (!running) void drain();
    return done.promise;
  };
}

/**
 * An unordered bulk write whose upserts may race with another upsert of
 * the same `_id`: the operations that lost (duplicate key) are sent again,
 * and then update the winner's document.
 */
export async function bulkWriteRacingUpserts<D extends Document>(
  collection: Collection<D>,
  operations: AnyBulkWriteOperation<D>[],
): Promise<void> {
  let ops = operations;
  for (let attempt = 0; ops.length > 0; attempt++) {
    try {
      await collection.bulkWrite(ops, { ordered: false });
      return;
    } catch (error) {
      if (!(error instanceof MongoBulkWriteError) || attempt === 3) throw error;
      const errors: WriteError[] = [error.writeErrors].flat();
      if (errors.length === 0 || errors.some((e) => e.code !== 11000)) throw error;
      const failed = new Set(errors.map((e) => e.index));
      ops = ops.filter((_, i) => failed.has(i));
    }
  }
}
