import type { Channel, Options } from 'amqplib';
import { STAGES, stageQueues, type QueueNames } from './names.ts';

/*
 * RabbitMQ refuses to declare an existing queue with other arguments
 * (PRECONDITION_FAILED closes the channel), so every process that declares a
 * queue takes its arguments from here.
 */

/** The scan-request queue: durable, no dead letters (a failed scan is requeued). */
export const SCAN_QUEUE_OPTIONS: Options.AssertQueue = { durable: true };

/** A stage's job queue: a job rejected for good goes to its dead-letter queue `dead`. */
export const stageQueueOptions = (dead: string): Options.AssertQueue => ({
  durable: true,
  deadLetterExchange: '',
  deadLetterRoutingKey: dead,
});

/** A stage's retry queue: a job waits `retryDelayMs` there, then returns to the stage's `queue`. */
export const retryQueueOptions = (queue: string, retryDelayMs: number): Options.AssertQueue => ({
  durable: true,
  messageTtl: retryDelayMs,
  deadLetterExchange: '',
  deadLetterRoutingKey: queue,
});

/** A delayed queue: no queue-wide TTL, every deferred message sets its own expiration. */
export const delayedQueueOptions = (queue: string): Options.AssertQueue => ({
  durable: true,
  deadLetterExchange: '',
  deadLetterRoutingKey: queue,
});

/**
 * Declares every durable queue of the pipeline: per stage, the job queue, its
 * retry queue (back to the job queue after `retryDelayMs`) and its
 * dead-letter queue, plus the scan requests and the enrichment deferrals.
 */
export async function assertTopology(
  channel: Channel,
  names: QueueNames,
  retryDelayMs: number,
): Promise<void> {
  await channel.assertQueue(names.scans, SCAN_QUEUE_OPTIONS);
  for (const stage of STAGES) {
    const q = stageQueues(names, stage);
    await channel.assertQueue(q.dead, { durable: true });
    await channel.assertQueue(q.queue, stageQueueOptions(q.dead));
    await channel.assertQueue(q.retry, retryQueueOptions(q.queue, retryDelayMs));
    if (q.delayed) await channel.assertQueue(q.delayed, delayedQueueOptions(q.queue));
  }
}
