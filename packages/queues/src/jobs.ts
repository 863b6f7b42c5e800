import type { Stage } from './names.ts';

/**
 * A scan request: the catalog's `scanLibrary` (or ingest's watcher and CLI)
 * created import job `jobId` and asks ingest to scan the library.
 */
export interface ScanRequest {
  readonly jobId: string;
  readonly libraryId: string;
  readonly mode: 'FULL' | 'INCREMENTAL';
  /** When the job was created, ISO 8601. */
  readonly requestedAt: string;
}

/** A file job: one path of one import job. */
export interface FileJob {
  readonly jobId: string;
  readonly libraryId: string;
  readonly path: string;
  readonly action: 'upsert' | 'delete';
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

/**
 * An enrichment job: one catalog track to link to MusicBrainz. Queued after
 * an import's commit (`jobId` is the import job's) or by the catalog's
 * `enrichTracks` (`jobId` is `rerun:<uuid>`); it never holds an import job.
 */
export interface EnrichmentJob {
  readonly jobId: string;
  readonly trackId: string;
  /** The track's file, for logs, AcoustID and embedded covers. */
  readonly path: string;
  /** Times this job was deferred so far. */
  readonly deferrals?: number;
}

/** The job type of each stage's queue. */
export interface StageJobs {
  readonly files: FileJob;
  readonly analysis: AnalysisJob;
  readonly graph: GraphJob;
  readonly enrichment: EnrichmentJob;
}

/** What every stage's job has: the import job it belongs to and a path for logs. */
export type AnyJob = StageJobs[Stage];

/** Message header counting the failed attempts of a job, carried through its retry queue. */
export const RETRIES_HEADER = 'x-tonegraph-retries';
