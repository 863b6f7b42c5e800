import amqp from 'amqplib';
import { Redis } from 'ioredis';
import { createDb } from '@tonegraph/catalog/db';
import { allQueues, createScanPublisher, queueNames } from '@tonegraph/queues';
import { requestScan } from '@tonegraph/catalog/store';
import { createLogger } from '@tonegraph/logger';
import { loadIngestConfig } from '../config.ts';
import { startIngest } from '../service.ts';

export interface EmbeddedImport {
  readonly jobId: string;
  /** Stops the pipeline and removes its private queues. */
  close(): Promise<void>;
}

/**
 * Runs one import in this process, in sequential mode, on private queues (so
 * the ingest service, if running, does not take part): the same code as the
 * service, one file and one step at a time. Progress goes to the usual Redis
 * channels, so the API's subscriptions report it as for any other job.
 */
export async function startEmbeddedImport(
  libraryId: string,
  mode: 'FULL' | 'INCREMENTAL',
): Promise<EmbeddedImport> {
  const config = loadIngestConfig();
  const log = createLogger({
    service: 'tonegraph-cli',
    level: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL,
  });
  const database = createDb(config.DATABASE_URL, { poolSize: 4 });
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 2 });
  const tag = `cli-${process.pid}-${Date.now().toString(36)}`;
  const names = queueNames(`${config.QUEUE_PREFIX}.${tag}`, `${config.QUEUE_PREFIX}.${tag}.scans`);
  const ingest = await startIngest({
    db: database.db,
    redis,
    amqpUrl: config.AMQP_URL,
    names,
    concurrency: 1,
    sequential: true,
    maxRetries: config.INGEST_MAX_RETRIES,
    retryDelayMs: config.INGEST_RETRY_DELAY_MS,
    redisPrefix: config.REDIS_PREFIX,
    log,
  });
  const publisher = createScanPublisher(config.AMQP_URL, names.scans);
  const { id: jobId } = await requestScan(database.db, publisher, libraryId, mode);
  let closing: Promise<void> | undefined;
  return {
    jobId,
    close() {
      closing ??= (async () => {
        await ingest.stop(10_000);
        await publisher.close();
        const conn = await amqp.connect(config.AMQP_URL);
        const channel = await conn.createChannel();
        for (const q of allQueues(names)) await channel.deleteQueue(q);
        await conn.close();
        redis.disconnect();
        await database.close();
      })();
      return closing;
    },
  };
}
