import type { Channel } from 'amqplib';

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
   * message carries its own `expiration` (the enricher's `retryAfterMs`) and
   * is dead-lettered back to the enrichment queue when it expires.
   */
  readonly enrichmentDelayed: string;
}

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

/** Every queue of `names`, e.g. for a test to delete. */
export const allQueues = (n: QueueNames): string[] => [
  n.scans,
  n.files,
  n.retry,
  n.dead,
  n.analysis,
  n.analysisRetry,
  n.analysisDead,
  n.graph,
  n.graphRetry,
  n.graphDead,
  n.enrichment,
  n.enrichmentRetry,
  n.enrichmentDead,
  n.enrichmentDelayed,
];

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
  for (const [queue, retry, dead] of [
    [names.files, names.retry, names.dead],
    [names.analysis, names.analysisRetry, names.analysisDead],
    [names.graph, names.graphRetry, names.graphDead],
    [names.enrichment, names.enrichmentRetry, names.enrichmentDead],
  ] as const) {
    // The catalog's enrichment publisher (`enrichTracks`) declares the enrichment queue with these same arguments.
    await channel.assertQueue(dead, { durable: true });
    await channel.assertQueue(queue, { durable: true, deadLetterExchange: '', deadLetterRoutingKey: dead });
    await channel.assertQueue(retry, {
      durable: true,
      messageTtl: retryDelayMs,
      deadLetterExchange: '',
      deadLetterRoutingKey: queue,
    });
  }
  // No queue-wide TTL: every deferred message sets its own expiration.
  await channel.assertQueue(names.enrichmentDelayed, {
    durable: true,
    deadLetterExchange: '',
    deadLetterRoutingKey: names.enrichment,
  });
}

/**
 * An enrichment job: one catalog track to link to MusicBrainz. Queued after
 * an import's commit (`jobId` is the import job's) or by `enrichTracks`
 * (`jobId` is `rerun:<uuid>`); it never holds an import job.
 */
export interface EnrichmentJob {
  readonly jobId: string;
  readonly trackId: string;
  /** The track's file, for logs, AcoustID and embedded covers. */
  readonly path: string;
  /** Times this job was deferred so far. */
  readonly deferrals?: number;
}

/** An audio analysis job: one committed track whose audio is to be analysed. */
export interface AnalysisJob {
  readonly jobId: string;
  readonly libraryId: string;
  readonly trackId: string;
  readonly albumId: string | null;
  readonly path: string;
  /** SHA-256 of the file, hex: the analysis is stored and reused per content. */
  readonly contentHash: string;
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

/**
 * A library-graph sync job: tracks of one committed batch to upsert into
 * the graph (read back from the catalog), or deleted tracks to remove.
 */
export interface GraphJob {
  readonly jobId: string;
  /** A path of the batch, for logs. */
  readonly path: string;
  readonly upsert: readonly string[];
  readonly remove: readonly string[];
}
