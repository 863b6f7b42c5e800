import type { Logger } from '@tonegraph/logger';
import {
  allQueues,
  assertTopology,
  createBrokerLink,
  publishAll,
  stageQueues,
  type QueueNames,
  type Stage,
  type StageJobs,
} from '@tonegraph/queues';
import { isServiceOutage } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import { consumeStage } from './consumer.ts';
import { stageTable, type Handlers } from './stages.ts';

export type { Handlers, StageHandler } from './stages.ts';

export interface WorkerOptions {
  readonly url: string;
  readonly names: QueueNames;
  /** Prefetch of the file consumer: how many file jobs are in flight at once. */
  readonly concurrency: number;
  /** Failed attempts after which a job is given up (outages do not count). */
  readonly maxRetries: number;
  /** How long a failed job waits in its retry queue. */
  readonly retryDelayMs: number;
  readonly log: Logger;
  readonly metrics?: Metrics;
}

export interface Worker {
  /** True while the broker connection is open. */
  connected(): boolean;
  /**
   * Queues jobs on `stage`'s queue; resolves once the broker has confirmed
   * them all. Throws `BrokerUnavailableError` while the connection is down.
   */
  enqueue<S extends Stage>(stage: S, jobs: readonly StageJobs[S][]): Promise<void>;
  /** Messages waiting in each of the pipeline's queues, by queue name (empty while disconnected). */
  queueDepths(): Promise<Record<string, number>>;
  /** Jobs being handled right now, across the stages. */
  inFlight(): number;
  /** Stops consuming, waits up to `deadlineMs` for jobs in flight, then closes. Idempotent. */
  stop(deadlineMs?: number): Promise<void>;
}

/**
 * Consumes the pipeline's queues (the stage table of `stages.ts`), acking
 * each message only after its handler has committed. A connection that
 * drops is reopened with backoff (`createBrokerLink`), the topology declared
 * and the consumers started again; unacked messages are redelivered by the
 * broker and the handlers are idempotent.
 */
export async function startWorker(handlers: Handlers, opts: WorkerOptions): Promise<Worker> {
  const { log, names } = opts;
  let stopping = false;
  let inFlight = 0;
  const idle = new Set<() => void>();
  /** Consumers of the current connection, to cancel on stop. */
  let consumers: { cancel(): Promise<unknown> }[] = [];

  const enqueue: Worker['enqueue'] = async (stage, jobs) =>
    publishAll(link.current(), stageQueues(names, stage).queue, jobs);
  const stages = stageTable(handlers, names, opts, (jobs) => enqueue('files', jobs));
  const context = {
    log,
    policy: { maxRetries: opts.maxRetries, isOutage: isServiceOutage },
    started: () => void inFlight++,
    done: () => {
      inFlight--;
      if (inFlight === 0) for (const resolve of idle) resolve();
    },
  };

  const link = createBrokerLink({
    url: opts.url,
    reconnect: true,
    log,
    async onOpen(channel, connection) {
      if (stopping) throw new Error('the worker is stopping'); // a reconnect while draining consumes nothing
      await assertTopology(channel, names, opts.retryDelayMs);
      consumers = [];
      for (const stage of stages) {
        // A channel per consumer: each has its own prefetch, and a slow stage never holds up another's acks.
        const ch = await connection.createConfirmChannel();
        await ch.prefetch(stage.prefetch);
        const tag = await consumeStage(ch, stage, context);
        consumers.push({ cancel: () => ch.cancel(tag) });
      }
      log.info({ queues: names, concurrency: opts.concurrency }, 'consuming');
    },
  });
  await link.channel();

  let stopped: Promise<void> | undefined;
  return {
    inFlight: () => inFlight,
    connected: () => link.connected(),
    enqueue,
    async queueDepths() {
      if (!link.connected()) return {};
      const ch = link.current();
      const depths: Record<string, number> = {};
      for (const queue of allQueues(names)) {
        const info = await ch.checkQueue(queue).catch(() => undefined);
        if (info) depths[queue] = info.messageCount;
      }
      return depths;
    },
    stop(deadlineMs = 10_000) {
      stopped ??= (async () => {
        stopping = true;
        // No new deliveries; those in hand may finish.
        for (const consumer of consumers) await consumer.cancel().catch(() => undefined);
        if (inFlight > 0) {
          await Promise.race([
            new Promise<void>((resolve) => idle.add(resolve)),
            new Promise((resolve) => setTimeout(resolve, deadlineMs).unref()),
          ]);
        }
        // Closing returns every unacked message to its queue.
        await link.close();
      })();
      return stopped;
    },
  };
}
