import type { Redis } from 'ioredis';
import type { Db } from '@tonegraph/catalog/db';
import type { Logger } from '@tonegraph/logger';
import type { AnalysisPool } from '@tonegraph/audio-analysis';
import type { AnalysisStore } from '@tonegraph/analysis/store';
import { createAnalysisCatchUp, createAnalysisHandler } from './pipeline/analysis.ts';
import type { GraphSync } from '@tonegraph/library-graph/sync';
import { createFileHandler, recordFileGivenUp } from './pipeline/file.ts';
import { createGraphHandler } from './pipeline/graph.ts';
import { createEnrichmentHandler, type TrackEnricher } from './pipeline/enrichment.ts';
import { handleScan } from './pipeline/scan.ts';
import type { Metrics } from './metrics.ts';
import { createProgressPublisher, type ProgressPublisher } from './progress.ts';
import { createChangeNotifier } from './changes.ts';
import {
  DeferJobError,
  type AnalysisJob,
  type EnrichmentJob,
  type GraphJob,
  type QueueNames,
} from '@tonegraph/queues';
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
  /** Change notices to the gateways: at most one per interval (default 500 ms). */
  readonly changeNoticeIntervalMs?: number;
  readonly log: Logger;
  readonly metrics?: Metrics;
  /** The audio analysis stage; without it, ingest reads tags and formats only. */
  readonly analysis?: {
    readonly store: AnalysisStore;
    readonly pool: AnalysisPool;
    readonly analyzerVersion: string;
    /** Analysis jobs in flight at once. */
    readonly concurrency: number;
  };
  /** The library-graph sync stage; without it, the graph is not kept. */
  readonly graph?: {
    readonly sync: GraphSync;
    /** Graph sync jobs (batches of tracks) in flight at once. */
    readonly concurrency: number;
  };
  /**
   * External enrichment (MusicBrainz, covers); without it, tracks keep their
   * tags only. Queued after each commit; import jobs do not wait for it.
   */
  readonly enrichment?: {
    readonly enricher: TrackEnricher;
    /** Enrichment jobs in flight at once (the enricher's bulkheads and rate limits pace the calls). */
    readonly concurrency: number;
  };
}

export interface Ingest {
  readonly worker: Worker;
  /** Stops consuming, lets files in flight finish (up to the deadline), flushes progress. */
  stop(deadlineMs?: number): Promise<void>;
}

/** Starts the ingest pipeline: scan requests in, catalog rows and progress events out. */
export async function startIngest(deps: IngestDeps): Promise<Ingest> {
  const changes = createChangeNotifier(deps.redis, deps.redisPrefix, deps.changeNoticeIntervalMs);
  const events = createProgressPublisher(deps.redis, deps.redisPrefix);
  // A job's final event goes out after the change notice for its last commits (same Redis connection,
  // so in that order): a client that queries on "COMPLETED" never gets a cached answer from before.
  const finals = new Set<Promise<void>>();
  const progress: ProgressPublisher = {
    publish(counters, lastTrackId) {
      if (counters.status === 'RUNNING' || counters.status === 'QUEUED')
        events.publish(counters, lastTrackId);
      else {
        changes.changed(); // the commit that ended the job is announced now, not after the handler
        const final = changes.flush().finally(() => events.publish(counters, lastTrackId));
        finals.add(final);
        void final.finally(() => finals.delete(final));
      }
    },
    flush: async () => {
      await Promise.allSettled(finals);
      await events.flush();
    },
  };
  /**
   * Every handler commits something the API serves: the gateways hear of it
   * once it has. A deferral commits the deferred status before it is thrown.
   */
  const notifying =
    <A extends unknown[]>(handle: (...args: A) => Promise<void>) =>
    async (...args: A) => {
      try {
        await handle(...args);
      } catch (error) {
        if (error instanceof DeferJobError) changes.changed();
        throw error;
      }
      changes.changed();
    };
  const stage = <J>(s: {
    handle: (job: J) => Promise<void>;
    gaveUp: (job: J, reason: string, error: unknown) => Promise<void>;
  }) => ({
    ...s,
    handle: notifying(s.handle),
    gaveUp: notifying(s.gaveUp),
  });
  const { db, log } = deps;
  // The worker starts consuming as soon as it is created; files committed by
  // then queue their analyses through it.
  const started = Promise.withResolvers<Worker>();
  const enqueueAnalysis = deps.analysis
    ? async (jobs: readonly AnalysisJob[]) => (await started.promise).enqueue('analysis', jobs)
    : undefined;
  const enqueueGraph = deps.graph
    ? async (jobs: readonly GraphJob[]) => (await started.promise).enqueue('graph', jobs)
    : undefined;
  const enqueueEnrichment = deps.enrichment
    ? async (jobs: readonly EnrichmentJob[]) => (await started.promise).enqueue('enrichment', jobs)
    : undefined;
  const handleFile = createFileHandler({
    db,
    progress,
    log,
    sequential: deps.sequential,
    ...(enqueueAnalysis ? { enqueueAnalysis } : {}),
    ...(enqueueGraph ? { enqueueGraph } : {}),
    ...(enqueueEnrichment ? { enqueueEnrichment } : {}),
  });
  const enrichment = deps.enrichment && {
    ...stage(
      createEnrichmentHandler({
        db,
        enricher: deps.enrichment.enricher,
        log: log.child({ stage: 'enrichment' }),
        onResult: (status) => deps.metrics?.enrichmentResults.inc({ status }),
      }),
    ),
    concurrency: deps.sequential ? 1 : deps.enrichment.concurrency,
  };
  const catchUpAnalysis =
    deps.analysis && enqueueAnalysis
      ? createAnalysisCatchUp({ db, store: deps.analysis.store, enqueue: enqueueAnalysis })
      : undefined;
  const graph = deps.graph && {
    ...stage(
      createGraphHandler({
        db,
        sync: deps.graph.sync,
        log: log.child({ stage: 'graph' }),
        ...(deps.analysis ? { analyses: deps.analysis.store } : {}),
      }),
    ),
    concurrency: deps.sequential ? 1 : deps.graph.concurrency,
  };
  const analysis = deps.analysis && {
    ...stage(
      createAnalysisHandler({
        db,
        progress,
        log: log.child({ stage: 'analysis' }),
        store: deps.analysis.store,
        pool: deps.analysis.pool,
        redis: deps.redis,
        redisPrefix: deps.redisPrefix,
        analyzerVersion: deps.analysis.analyzerVersion,
        settleBatchSize: deps.sequential ? 1 : 64,
        ...(deps.graph ? { graph: deps.graph.sync } : {}),
      }),
    ),
    // Sequential mode: one analysis at a time, too.
    concurrency: deps.sequential ? 1 : deps.analysis.concurrency,
  };
  const worker = await startWorker(
    {
      ...(analysis ? { analysis } : {}),
      ...(graph ? { graph } : {}),
      ...(enrichment ? { enrichment } : {}),
      scan: notifying((request, enqueue) =>
        handleScan({ db, progress, log, enqueue, catchUpAnalysis }, request),
      ),
      files: stage({
        handle: handleFile,
        gaveUp: (job, reason, error) => recordFileGivenUp({ db, progress }, job, reason, error),
      }),
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
  started.resolve(worker);
  let stopped: Promise<void> | undefined;
  return {
    worker,
    stop(deadlineMs) {
      stopped ??= worker
        .stop(deadlineMs)
        .then(() => Promise.all([progress.flush(), changes.flush()]))
        .then(() => undefined);
      return stopped;
    },
  };
}
