import type { Redis } from 'ioredis';
import type { Db } from '@tonegraph/catalog/db';
import type { Logger } from '@tonegraph/logger';
import { finishIfDone, recordError, settleFile } from './catalog/jobs.ts';
import { createFileHandler } from './pipeline/file.ts';
import { handleScan } from './pipeline/scan.ts';
import type { Metrics } from './metrics.ts';
import { createProgressPublisher } from './progress.ts';
import type { QueueNames } from './queue/topology.ts';
import { startWorker, type Worker } from './queue/worker.ts';

/** Everything an ingest process runs on; `index.ts` builds it from config. */
export interface IngestDeps {
  readonly db: Db;
  readonly redis: Redis;
  readonly amqpUrl: string;
  readonly names: QueueNames;
  readonly concurrency: number;
  readonly sequential: boolean;
  readonly maxRetries: number;
  readonly retryDelayMs: number;
  readonly redisPrefix: string;
  readonly log: Logger;
  readonly metrics?: Metrics;
}

export interface Ingest {
  readonly worker: Worker;
  /** Stops consuming, lets files in flight finish (up to the deadline), flushes progress. */
  stop(deadlineMs?: number): Promise<void>;
}

/** Starts the ingest pipeline: scan requests in, catalog rows and progress events out. */
export async function startIngest(deps: IngestDeps): Promise<Ingest> {
  const progress = createProgressPublisher(deps.redis, deps.redisPrefix);
  const { db, log } = deps;
  const handleFile = createFileHandler({ db, progress, log, sequential: deps.sequential });
  const worker = await startWorker(
    {
      scan: (request, enqueue) => handleScan({ db, progress, log, enqueue }, request),
      file: handleFile,
      async gaveUp(job, reason) {
        await db.transaction(async (tx) => {
          await recordError(tx, job.jobId, job.path, 'ingest', reason);
          await settleFile(tx, job.jobId, job.path, 'failed');
        });
        const counters = await finishIfDone(db, job.jobId);
        if (counters) progress.publish(counters);
      },
    },
    {
      url: deps.amqpUrl,
      names: deps.names,
      // Sequential mode is the same code with one file at a time.
      concurrency: deps.sequential ? 1 : deps.concurrency,
      maxRetries: deps.maxRetries,
      retryDelayMs: deps.retryDelayMs,
      log,
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
    },
  );
  let stopped: Promise<void> | undefined;
  return {
    worker,
    stop(deadlineMs) {
      stopped ??= worker.stop(deadlineMs).then(() => progress.flush());
      return stopped;
    },
  };
}
