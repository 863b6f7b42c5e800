import { randomUUID } from 'node:crypto';
import type { EnrichmentJob, ScanRequest } from './jobs.ts';
import { createBrokerLink } from './link.ts';
import type { QueueNames } from './names.ts';
import { publishAll, publishJson } from './publish.ts';
import { SCAN_QUEUE_OPTIONS, stageQueueOptions } from './topology.ts';

/** Publishes scan requests for ingest. */
export interface ScanPublisher {
  /** Resolves once the broker has confirmed the persistent message. */
  publish(request: ScanRequest): Promise<void>;
  /** Closes the connection. Idempotent. */
  close(): Promise<void>;
}

/**
 * Publishes scan requests on the durable queue `queue` with publisher
 * confirms (the message id is the job id). The connection is opened on
 * first use and reopened after it drops, so a broker restart costs the
 * requests made while it is down, which fail loudly.
 */
export function createScanPublisher(url: string, queue: string, timeoutMs = 5000): ScanPublisher {
  const link = createBrokerLink({
    url,
    connectTimeoutMs: timeoutMs,
    onOpen: (ch) => ch.assertQueue(queue, SCAN_QUEUE_OPTIONS),
  });
  return {
    async publish(request) {
      await publishJson(await link.channel(), queue, request, { messageId: request.jobId, timeoutMs });
    },
    close: () => link.close(),
  };
}

/** A track to re-enrich, as the catalog's `enrichTracks` queues it. */
export interface EnrichmentRequest {
  readonly trackId: string;
  /** The track's file, for logs. */
  readonly path: string;
}

/** Queues tracks straight onto ingest's enrichment stage. */
export interface EnrichmentPublisher {
  /** Queues the tracks' enrichment; resolves with how many were queued once the broker confirmed them. */
  publish(requests: readonly EnrichmentRequest[]): Promise<number>;
  /** Closes the connection. Idempotent. */
  close(): Promise<void>;
}

/**
 * Publishes enrichment jobs onto ingest's enrichment queue
 * (`<QUEUE_PREFIX>.enrichment`, declared with the arguments ingest gives
 * it), persistent and confirmed. Each job is `{ jobId: 'rerun:<uuid>',
 * trackId, path }`: a re-run belongs to no import job.
 */
export function createEnrichmentPublisher(
  url: string,
  names: Pick<QueueNames, 'enrichment' | 'enrichmentDead'>,
  timeoutMs = 5000,
): EnrichmentPublisher {
  const link = createBrokerLink({
    url,
    connectTimeoutMs: timeoutMs,
    onOpen: (ch) => ch.assertQueue(names.enrichment, stageQueueOptions(names.enrichmentDead)),
  });
  return {
    async publish(requests) {
      const jobId = `rerun:${randomUUID()}`;
      const jobs = requests.map((r): EnrichmentJob => ({ jobId, trackId: r.trackId, path: r.path }));
      await publishAll(await link.channel(), names.enrichment, jobs, { timeoutMs });
      return requests.length;
    },
    close: () => link.close(),
  };
}
