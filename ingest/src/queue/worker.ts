import amqp, { type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import type { Logger } from '@tonegraph/logger';
import type { Metrics } from '../metrics.ts';
import { isServiceOutage } from '../errors.ts';
import {
  RETRIES_HEADER,
  allQueues,
  assertTopology,
  type AnalysisJob,
  type EnrichmentJob,
  type FileJob,
  type GraphJob,
  type QueueNames,
  type ScanRequest,
} from './topology.ts';

/** What the consumers run; the pipeline handlers, bound to their dependencies. */
export interface Handlers {
  /** `enqueue` queues file jobs and resolves once the broker has confirmed them all. */
  scan: (request: ScanRequest, enqueue: (jobs: readonly FileJob[]) => Promise<void>) => Promise<void>;
  file: (job: FileJob) => Promise<void>;
  /** Called when a file job has failed transiently too often; records it before it is dead-lettered. */
  gaveUp: (job: FileJob, reason: string) => Promise<void>;
  /** The audio analysis stage, when this process runs it. */
  analysis?: {
    handle: (job: AnalysisJob) => Promise<void>;
    gaveUp: (job: AnalysisJob, reason: string) => Promise<void>;
    /** Analysis jobs in flight at once (the consumer's prefetch). */
    concurrency: number;
  };
  /** The library-graph sync stage, when this process runs it. */
  graph?: {
    handle: (job: GraphJob) => Promise<void>;
    gaveUp: (job: GraphJob, reason: string) => Promise<void>;
    concurrency: number;
  };
  /** The external enrichment stage, when this process runs it. */
  enrichment?: {
    handle: (job: EnrichmentJob) => Promise<void>;
    gaveUp: (job: EnrichmentJob, reason: string) => Promise<void>;
    concurrency: number;
  };
}

/** A queue of jobs with bounded retries: files, analyses. */
interface Stage<J extends { jobId: string; path: string }> {
  readonly name: string;
  readonly queue: string;
  readonly retry: string;
  readonly handle: (job: J) => Promise<void>;
  readonly gaveUp: (job: J, reason: string) => Promise<void>;
  readonly count: (result: string) => void;
}

export interface WorkerOptions {
  readonly url: string;
  readonly names: QueueNames;
  /** Prefetch of the file consumer: how many file jobs are in flight at once. */
  readonly concurrency: number;
  readonly maxRetries: number;
  readonly retryDelayMs: number;
  readonly log: Logger;
  readonly metrics?: Metrics;
}

export interface Worker {
  /** True while the broker connection is open. */
  connected(): boolean;
  /** Queues analysis jobs; resolves once the broker has confirmed them. */
  enqueueAnalysis(jobs: readonly AnalysisJob[]): Promise<void>;
  /** Messages waiting in each of the pipeline's queues, by queue name (empty while disconnected). */
  queueDepths(): Promise<Record<string, number>>;
  /** Queues graph sync jobs; resolves once the broker has confirmed them. */
  enqueueGraph(jobs: readonly GraphJob[]): Promise<void>;
  /** Queues enrichment jobs; resolves once the broker has confirmed them. */
  enqueueEnrichment(jobs: readonly EnrichmentJob[]): Promise<void>;
  /** Parks an enrichment job on the delayed queue; it comes back to the enrichment queue after `delayMs`. */
  deferEnrichment(job: EnrichmentJob, delayMs: number): Promise<void>;
  /** File jobs being handled right now. */
  inFlight(): number;
  /** Stops consuming, waits up to `deadlineMs` for jobs in flight, then closes. Idempotent. */
  stop(deadlineMs?: number): Promise<void>;
}

const parse = <T>(msg: ConsumeMessage): T | undefined => {
  try {
    return JSON.parse(msg.content.toString('utf8')) as T;
  } catch {
    return undefined;
  }
};

/**
 * Consumes scan requests (one at a time) and file jobs (up to `concurrency`),
 * acking each message only after its handler has committed. A connection
 * that drops is reopened with backoff; unacked messages are redelivered by
 * the broker and the handlers are idempotent.
 */
export async function startWorker(handlers: Handlers, opts: WorkerOptions): Promise<Worker> {
  const { log, names } = opts;
  let connection: ChannelModel | undefined;
  let current: { scans: ConfirmChannel; files: ConfirmChannel; tags: [ConfirmChannel, string][] } | undefined;
  const fileStage: Stage<FileJob> = {
    name: 'file',
    queue: names.files,
    retry: names.retry,
    handle: handlers.file,
    gaveUp: handlers.gaveUp,
    count: (result) => opts.metrics?.files.inc({ result }),
  };
  let stopping = false;
  let inFlight = 0;
  let reconnectDelay = 500;
  const idle = new Set<() => void>();

  const done = () => {
    inFlight--;
    if (inFlight === 0) for (const resolve of idle) resolve();
  };
  /**
   * Acks and nacks on a channel that closed meanwhile throw; the broker has
   * already put the message back on its queue then, so there is nothing to do.
   */
  const settle = (fn: () => void) => {
    try {
      fn();
    } catch (error) {
      log.warn({ err: error }, 'message not settled: its channel closed; the broker redelivers it');
    }
  };

  const publish = (
    ch: ConfirmChannel,
    queue: string,
    body: object,
    headers: Record<string, unknown> = {},
    expiration?: number,
  ) =>
    new Promise<void>((resolve, reject) => {
      ch.sendToQueue(
        queue,
        Buffer.from(JSON.stringify(body)),
        {
          persistent: true,
          contentType: 'application/json',
          headers,
          ...(expiration === undefined ? {} : { expiration: String(Math.max(0, Math.round(expiration))) }),
        },
        (err) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve()),
      );
    });

  const connect = async (): Promise<void> => {
    const conn = await amqp.connect(opts.url, { timeout: 10_000 });
    connection = conn;
    conn.on('error', (error: Error) => log.warn({ err: error }, 'AMQP connection error'));
    conn.on('close', () => {
      connection = undefined;
      if (stopping) return;
      log.warn({ retryInMs: reconnectDelay }, 'AMQP connection lost; reconnecting');
      setTimeout(() => void reconnect(), reconnectDelay).unref();
    });
    const scans = await conn.createConfirmChannel();
    const files = await conn.createConfirmChannel();
    await assertTopology(scans, names, opts.retryDelayMs);
    await scans.prefetch(1);
    await files.prefetch(opts.concurrency);

    const enqueue = async (jobs: readonly FileJob[]) => {
      // Confirmed in batches so that a 100k-file scan never buffers everything at once.
      for (let i = 0; i < jobs.length; i += 1000) {
        await Promise.all(jobs.slice(i, i + 1000).map((job) => publish(scans, names.files, job)));
      }
    };

    current = { scans, files, tags: [] };
    const scanConsumer = await scans.consume(names.scans, (msg) => {
      if (!msg) return;
      const request = parse<ScanRequest>(msg);
      if (!request?.jobId || !request.libraryId) {
        log.error(
          { body: msg.content.toString('utf8').slice(0, 200) },
          'malformed scan request; dead-lettered',
        );
        scans.nack(msg, false, false);
        return;
      }
      inFlight++;
      handlers
        .scan(request, enqueue)
        .then(
          () => {
            opts.metrics?.scans.inc({ result: 'done' });
            settle(() => scans.ack(msg));
          },
          (error: unknown) => {
            opts.metrics?.scans.inc({ result: 'retried' });
            log.error({ err: error, jobId: request.jobId }, 'scan failed; requeued');
            setTimeout(() => settle(() => scans.nack(msg, false, true)), 1000).unref();
          },
        )
        .finally(done);
    });

    const consumeStage = async <J extends { jobId: string; path: string }>(
      ch: ConfirmChannel,
      stage: Stage<J>,
      timer?: () => () => void,
    ) =>
      ch.consume(stage.queue, (msg) => {
        if (!msg) return;
        const job = parse<J>(msg);
        if (!job?.jobId || !job.path) {
          log.error(
            { body: msg.content.toString('utf8').slice(0, 200) },
            `malformed ${stage.name} job; dead-lettered`,
          );
          ch.nack(msg, false, false);
          return;
        }
        inFlight++;
        if (stage === (fileStage as unknown)) opts.metrics?.started();
        const end = timer?.();
        void handleMessage(ch, msg, job, stage).finally(() => {
          end?.();
          if (stage === (fileStage as unknown)) opts.metrics?.finished();
          done();
        });
      });
    const fileConsumer = await consumeStage(
      files,
      fileStage,
      () => opts.metrics?.duration.startTimer() ?? (() => {}),
    );
    current.tags.push([scans, scanConsumer.consumerTag], [files, fileConsumer.consumerTag]);
    const extra = async <J extends { jobId: string; path: string }>(
      stage: Stage<J>,
      concurrency: number,
      timer?: () => () => void,
    ) => {
      const ch = await conn.createConfirmChannel();
      await ch.prefetch(concurrency);
      const consumer = await consumeStage(ch, stage, timer);
      current!.tags.push([ch, consumer.consumerTag]);
    };
    if (handlers.analysis)
      await extra(
        {
          name: 'analysis',
          queue: names.analysis,
          retry: names.analysisRetry,
          handle: handlers.analysis.handle,
          gaveUp: handlers.analysis.gaveUp,
          count: (result) => opts.metrics?.analyses.inc({ result }),
        },
        handlers.analysis.concurrency,
        () => opts.metrics?.analysisDuration.startTimer() ?? (() => {}),
      );
    if (handlers.graph)
      await extra(
        {
          name: 'graph',
          queue: names.graph,
          retry: names.graphRetry,
          handle: handlers.graph.handle,
          gaveUp: handlers.graph.gaveUp,
          count: (result) => opts.metrics?.graphSyncs.inc({ result }),
        },
        handlers.graph.concurrency,
      );
    if (handlers.enrichment)
      await extra(
        {
          name: 'enrichment',
          queue: names.enrichment,
          retry: names.enrichmentRetry,
          handle: handlers.enrichment.handle,
          gaveUp: handlers.enrichment.gaveUp,
          count: (result) => opts.metrics?.enrichments.inc({ result }),
        },
        handlers.enrichment.concurrency,
      );
    reconnectDelay = 500;
    log.info({ queues: names, concurrency: opts.concurrency }, 'consuming');
  };

  const handleMessage = async <J extends { jobId: string; path: string }>(
    ch: ConfirmChannel,
    msg: ConsumeMessage,
    job: J,
    stage: Stage<J>,
  ) => {
    try {
      await stage.handle(job);
      settle(() => ch.ack(msg));
      stage.count('done');
      return;
    } catch (error) {
      const retries = Number(msg.properties.headers?.[RETRIES_HEADER] ?? 0);
      const reason = error instanceof Error ? error.message : String(error);
      const outage = isServiceOutage(error);
      if (outage || retries < opts.maxRetries) {
        log.warn(
          { stage: stage.name, jobId: job.jobId, path: job.path, retries, reason, outage },
          `${stage.name} job failed; retrying after a delay`,
        );
        try {
          // An outage does not count against the job: it waits for the service to come back.
          await publish(ch, stage.retry, job, { [RETRIES_HEADER]: outage ? retries : retries + 1 });
          settle(() => ch.ack(msg));
          stage.count('retried');
        } catch {
          settle(() => ch.nack(msg, false, true));
        }
        return;
      }
      log.error(
        { stage: stage.name, jobId: job.jobId, path: job.path, retries, reason },
        `${stage.name} job failed for good`,
      );
      try {
        await stage.gaveUp(job, `gave up after ${retries + 1} attempts: ${reason}`);
        settle(() => ch.ack(msg));
        stage.count('failed');
      } catch {
        settle(() => ch.nack(msg, false, false)); // to the dead-letter queue, with the message intact
        stage.count('dead');
      }
    }
  };

  const reconnect = async (): Promise<void> => {
    if (stopping) return;
    try {
      await connect();
    } catch (error) {
      reconnectDelay = Math.min(reconnectDelay * 2, 15_000);
      log.warn({ err: error, retryInMs: reconnectDelay }, 'AMQP reconnect failed');
      setTimeout(() => void reconnect(), reconnectDelay).unref();
    }
  };

  await connect();

  let stopped: Promise<void> | undefined;
  return {
    inFlight: () => inFlight,
    connected: () => connection !== undefined,
    async enqueueAnalysis(jobs) {
      const ch = current?.files;
      if (!ch || !connection)
        throw Object.assign(new Error('broker connection is down'), { code: 'ECONNREFUSED' });
      await Promise.all(jobs.map((job) => publish(ch, names.analysis, job)));
    },
    async queueDepths() {
      const ch = current?.scans;
      if (!ch || !connection) return {};
      const depths: Record<string, number> = {};
      for (const queue of allQueues(names)) {
        const info = await ch.checkQueue(queue).catch(() => undefined);
        if (info) depths[queue] = info.messageCount;
      }
      return depths;
    },
    async enqueueGraph(jobs) {
      const ch = current?.files;
      if (!ch || !connection)
        throw Object.assign(new Error('broker connection is down'), { code: 'ECONNREFUSED' });
      await Promise.all(jobs.map((job) => publish(ch, names.graph, job)));
    },
    async enqueueEnrichment(jobs) {
      const ch = current?.files;
      if (!ch || !connection)
        throw Object.assign(new Error('broker connection is down'), { code: 'ECONNREFUSED' });
      await Promise.all(jobs.map((job) => publish(ch, names.enrichment, job)));
    },
    async deferEnrichment(job, delayMs) {
      const ch = current?.files;
      if (!ch || !connection)
        throw Object.assign(new Error('broker connection is down'), { code: 'ECONNREFUSED' });
      await publish(ch, names.enrichmentDelayed, job, {}, delayMs);
    },
    stop(deadlineMs = 10_000) {
      stopped ??= (async () => {
        stopping = true;
        const conn = connection;
        // No new deliveries; those in hand may finish.
        for (const [ch, tag] of current?.tags ?? []) await ch.cancel(tag).catch(() => undefined);
        if (inFlight > 0) {
          await Promise.race([
            new Promise<void>((resolve) => idle.add(resolve)),
            new Promise((resolve) => setTimeout(resolve, deadlineMs).unref()),
          ]);
        }
        // Closing returns every unacked message to its queue.
        await conn?.close().catch(() => undefined);
      })();
      return stopped;
    },
  };
}
