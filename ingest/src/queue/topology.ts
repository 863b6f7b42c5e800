import type { Channel } from 'amqplib';

/** The queues of the file pipeline, named from a prefix so that runs can be kept apart. */
export interface QueueNames {
  readonly scans: string;
  readonly files: string;
  readonly retry: string;
  readonly dead: string;
}

export function queueNames(prefix: string, scanQueue: string): QueueNames {
  return {
    scans: scanQueue,
    files: `${prefix}.files`,
    retry: `${prefix}.files.retry`,
    dead: `${prefix}.files.dead`,
  };
}

/**
 * Declares the durable queues: a file job rejected for good goes to the
 * dead-letter queue; a retried one waits in the retry queue for its delay,
 * then returns to the file queue.
 */
export async function assertTopology(
  channel: Channel,
  names: QueueNames,
  retryDelayMs: number,
): Promise<void> {
  await channel.assertQueue(names.scans, { durable: true });
  await channel.assertQueue(names.dead, { durable: true });
  await channel.assertQueue(names.files, {
    durable: true,
    deadLetterExchange: '',
    deadLetterRoutingKey: names.dead,
  });
  await channel.assertQueue(names.retry, {
    durable: true,
    messageTtl: retryDelayMs,
    deadLetterExchange: '',
    deadLetterRoutingKey: names.files,
  });
}

/** A file job: one path of one import job. */
export interface FileJob {
  readonly jobId: string;
  readonly libraryId: string;
  readonly path: string;
  readonly action: 'upsert' | 'delete';
}

/** A scan request, as the catalog publishes it. */
export interface ScanRequest {
  readonly jobId: string;
  readonly libraryId: string;
  readonly mode: 'FULL' | 'INCREMENTAL';
}

export const RETRIES_HEADER = 'x-tonegraph-retries';
