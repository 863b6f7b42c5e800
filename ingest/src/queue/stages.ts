import {
  stageQueues,
  type AnalysisJob,
  type EnrichmentJob,
  type FileJob,
  type GraphJob,
  type QueueNames,
  type ScanRequest,
} from '@tonegraph/queues';
import type { Metrics } from '../metrics.ts';

/** A stage's handler, and what records a job it gave up on before it is acked. */
export interface StageHandler<J> {
  readonly handle: (job: J) => Promise<void>;
  /**
   * Records a job given up on (an `UnrecoverableJobError`, or retries used
   * up) with `reason`; `error` is what the last attempt threw. When it
   * throws, the job is dead-lettered (or, in an outage, retried).
   */
  readonly gaveUp: (job: J, reason: string, error: unknown) => Promise<void>;
}

/** What the consumers run: the pipeline handlers, bound to their dependencies. */
export interface Handlers {
  /** `enqueue` queues file jobs and resolves once the broker has confirmed them all. */
  readonly scan: (
    request: ScanRequest,
    enqueue: (jobs: readonly FileJob[]) => Promise<void>,
  ) => Promise<void>;
  readonly files: StageHandler<FileJob>;
  /** The audio analysis stage, when this process runs it; `concurrency` is its consumer's prefetch. */
  readonly analysis?: StageHandler<AnalysisJob> & { readonly concurrency: number };
  /** The library-graph sync stage, when this process runs it. */
  readonly graph?: StageHandler<GraphJob> & { readonly concurrency: number };
  /** The external enrichment stage, when this process runs it. */
  readonly enrichment?: StageHandler<EnrichmentJob> & { readonly concurrency: number };
}

/** One consumer of the worker: a queue, its prefetch, its handler, and how its failures are retried. */
export interface StageSpec<J extends object> {
  /** For logs: `scan`, `file`, `analysis`… */
  readonly name: string;
  readonly queue: string;
  /** Jobs in flight at once on this consumer. */
  readonly prefetch: number;
  /** Whether a parsed body is a job of this stage; anything else is dead-lettered as malformed. */
  readonly isJob: (body: Partial<J> | undefined) => boolean;
  readonly handle: (job: J) => Promise<void>;
  /**
   * Bounded retries through `queue`, deferrals through `delayed`, give-ups
   * through `gaveUp`. Absent (scans): a failed job is requeued after a second, without limit.
   */
  readonly retry?: {
    readonly queue: string;
    readonly delayed?: string;
    readonly gaveUp: StageHandler<J>['gaveUp'];
  };
  /** Counts each outcome (`done`, `retried`, `failed`, `dead`). */
  readonly count: (result: string) => void;
  /** Called as a job starts; the function it returns, as it ends (timers, in-flight gauges). */
  readonly observe?: () => () => void;
}

/** Anything with an import job and a path for logs: files, analyses, graph syncs, enrichments. */
const isStageJob = (body: { jobId?: unknown; path?: unknown } | undefined) =>
  Boolean(body?.jobId && body.path);

/**
 * The worker's consumers: scan requests one at a time, file jobs up to
 * `concurrency`, and the optional stages with their own concurrency.
 */
export function stageTable(
  handlers: Handlers,
  names: QueueNames,
  opts: { concurrency: number; metrics?: Metrics | undefined },
  enqueueFiles: (jobs: readonly FileJob[]) => Promise<void>,
): StageSpec<object>[] {
  const m = opts.metrics;
  const bounded = <J extends object>(
    name: string,
    stage: 'files' | 'analysis' | 'graph' | 'enrichment',
    handler: StageHandler<J>,
    prefetch: number,
    count: (result: string) => void,
    observe?: () => () => void,
  ): StageSpec<J> => {
    const q = stageQueues(names, stage);
    return {
      name,
      queue: q.queue,
      prefetch,
      isJob: isStageJob,
      handle: handler.handle,
      retry: { queue: q.retry, ...(q.delayed ? { delayed: q.delayed } : {}), gaveUp: handler.gaveUp },
      count,
      ...(observe ? { observe } : {}),
    };
  };
  const table: StageSpec<never>[] = [
    {
      name: 'scan',
      queue: names.scans,
      prefetch: 1,
      isJob: (r: Partial<ScanRequest> | undefined) => Boolean(r?.jobId && r.libraryId),
      handle: (request: ScanRequest) => handlers.scan(request, enqueueFiles),
      count: (result) => m?.scans.inc({ result }),
    },
    bounded(
      'file',
      'files',
      handlers.files,
      opts.concurrency,
      (result) => m?.files.inc({ result }),
      () => {
        m?.started();
        const end = m?.duration.startTimer();
        return () => {
          end?.();
          m?.finished();
        };
      },
    ),
  ];
  const { analysis, graph, enrichment } = handlers;
  if (analysis)
    table.push(
      bounded(
        'analysis',
        'analysis',
        analysis,
        analysis.concurrency,
        (result) => m?.analyses.inc({ result }),
        () => (m ? m.analysisDuration.startTimer() : () => {}),
      ),
    );
  if (graph)
    table.push(bounded('graph', 'graph', graph, graph.concurrency, (r) => m?.graphSyncs.inc({ result: r })));
  if (enrichment)
    table.push(
      bounded('enrichment', 'enrichment', enrichment, enrichment.concurrency, (r) =>
        m?.enrichments.inc({ result: r }),
      ),
    );
  return table as StageSpec<object>[];
}
