/** Where queue names start when `QUEUE_PREFIX` is not set (catalog and ingest read the same variable). */
export const DEFAULT_QUEUE_PREFIX = 'tonegraph';
/** The scan-request queue when `SCAN_QUEUE` is not set. */
export const DEFAULT_SCAN_QUEUE = 'tonegraph.scan-requests';

/** The queues of the file pipeline, named from a prefix so that runs can be kept apart. */
export interface QueueNames {
  readonly scans: string;
  readonly files: string;
  readonly retry: string;
  readonly dead: string;
  /** Audio analysis jobs, with their own retry and dead-letter queues. */
  readonly analysis: string;
  readonly analysisRetry: string;
  readonly analysisDead: string;
  /** Library-graph sync jobs. */
  readonly graph: string;
  readonly graphRetry: string;
  readonly graphDead: string;
  /** External enrichment jobs (MusicBrainz, covers), with retry and dead-letter queues. */
  readonly enrichment: string;
  readonly enrichmentRetry: string;
  readonly enrichmentDead: string;
  /**
   * Enrichment jobs deferred while a service is down or rate-limited: each
   * message carries its own `expiration` and is dead-lettered back to the
   * enrichment queue when it expires.
   */
  readonly enrichmentDelayed: string;
}

/** The names of every queue, from `QUEUE_PREFIX` and `SCAN_QUEUE`: the one place they are spelled. */
export function queueNames(prefix: string, scanQueue: string): QueueNames {
  return {
    scans: scanQueue,
    files: `${prefix}.files`,
    retry: `${prefix}.files.retry`,
    dead: `${prefix}.files.dead`,
    analysis: `${prefix}.analysis`,
    analysisRetry: `${prefix}.analysis.retry`,
    analysisDead: `${prefix}.analysis.dead`,
    graph: `${prefix}.graph`,
    graphRetry: `${prefix}.graph.retry`,
    graphDead: `${prefix}.graph.dead`,
    enrichment: `${prefix}.enrichment`,
    enrichmentRetry: `${prefix}.enrichment.retry`,
    enrichmentDead: `${prefix}.enrichment.dead`,
    enrichmentDelayed: `${prefix}.enrichment.delayed`,
  };
}

/** A stage whose jobs are retried a bounded number of times, then given up. */
export type Stage = 'files' | 'analysis' | 'graph' | 'enrichment';

/** The queues of one stage: its jobs, their retry delay, their dead letters, and (enrichment) deferrals. */
export interface StageQueues {
  readonly queue: string;
  readonly retry: string;
  readonly dead: string;
  readonly delayed?: string;
}

/** The queues of `stage`. */
export function stageQueues(names: QueueNames, stage: Stage): StageQueues {
  switch (stage) {
    case 'files':
      return { queue: names.files, retry: names.retry, dead: names.dead };
    case 'analysis':
      return { queue: names.analysis, retry: names.analysisRetry, dead: names.analysisDead };
    case 'graph':
      return { queue: names.graph, retry: names.graphRetry, dead: names.graphDead };
    case 'enrichment':
      return {
        queue: names.enrichment,
        retry: names.enrichmentRetry,
        dead: names.enrichmentDead,
        delayed: names.enrichmentDelayed,
      };
  }
}

/** Every stage, in the order their queues are declared. */
export const STAGES: readonly Stage[] = ['files', 'analysis', 'graph', 'enrichment'];

/** Every queue of `names`, e.g. for a test to delete. */
export const allQueues = (n: QueueNames): string[] => [
  n.scans,
  ...STAGES.flatMap((stage) => {
    const q = stageQueues(n, stage);
    return [q.queue, q.retry, q.dead, ...(q.delayed ? [q.delayed] : [])];
  }),
];
